"""The manifest's bytes and those of every file under cards/, read once: what is rendered is
exactly what is fingerprinted.

A plan records the fingerprint of the files it was made from. Reading the files once, hashing
those bytes and rendering from the same bytes means an edit made while a plan is being built
cannot give a plan whose fingerprint does not match its content. A render reads nothing else:
templates are loaded, and data files read (`data_file()`), from these bytes only
(templating.MemoryLoader), so a data file a manifest key names is in the fingerprint without a
word here.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from pipeline.compliance import LEVELS, RULE_NAMES, Level
from pipeline.errors import PipelineError, Problem, TemplateError
from pipeline.localfiles import UnreadableFile, read_regular_file
from pipeline.manifest._file import Store as Store  # the cache as the readers see it
from pipeline.manifest._file import parse_manifest, read_manifest_bytes, recall_document
from pipeline.manifest._file import toml_document as toml_document

if TYPE_CHECKING:  # a warm plan from cached renders never loads the manifest's models
    from pipeline.manifest.model import Manifest

# Our templates are 1 to 8 KB each, 21 KB in all. A template is mostly the text of its output,
# and a card may be at most 1 MiB (templating.MAX_CARD_BYTES), so 2 MiB leaves room for comments
# and logic; the whole folder (read into memory and hashed on every run) at most 16 MiB.
MAX_TEMPLATE_BYTES = 2 * 1024 * 1024
MAX_CARDS_BYTES = 16 * 1024 * 1024


@dataclass(frozen=True)
class Sources:
    """Where the manifest and templates are (what a command was told to read)."""

    manifest: Path
    cards: Path


@dataclass(frozen=True)
class SourceFiles:
    """The bytes of the manifest and of every file under the cards folder, as read at the start."""

    manifest_path: Path
    manifest_bytes: bytes
    cards_dir: Path
    # Every file under cards_dir, templates and data files: path relative to it (posix) -> bytes.
    templates: Mapping[str, bytes] = field(repr=False)
    # Every project file a `copy` of the manifest names and that could be read: its path as
    # written there -> bytes (a file that cannot be read is reported by the render).
    copies: Mapping[str, bytes] = field(default_factory=dict, repr=False)
    # The manifest's parse as the cache kept it when its bytes were other (an edit since): what
    # manifest/touched.py compares with the parse of these bytes. None: no edit seen.
    earlier: Mapping[str, Any] | None = field(default=None, repr=False, compare=False)

    @property
    def fingerprint(self) -> str:
        """sha256 over the manifest and every file under cards/: all a render reads, so what a
        plan was made from."""
        digest = hashlib.sha256()
        files = [("models.toml", self.manifest_bytes), *sorted(self.templates.items())]
        files += [(f"copy:{name}", data) for name, data in sorted(self.copies.items())]
        for name, data in files:
            digest.update(f"{name}\0{len(data)}\0".encode())
            digest.update(data)
        return "sha256:" + digest.hexdigest()

    @property
    def templates_fingerprint(self) -> str:
        """sha256 over every file under cards/ alone: while it is unchanged, a card whose key
        (card/incremental.py) is unchanged is the same card, whatever else of the manifest
        changed."""
        digest = hashlib.sha256()
        for name, data in sorted(self.templates.items()):
            digest.update(f"{name}\0{len(data)}\0".encode())
            digest.update(data)
        return "sha256:" + digest.hexdigest()


def read_templates(cards_dir: Path) -> dict[str, bytes]:
    """Every file under `cards_dir`, by path relative to it; TemplateError naming each bad file.

    Templates run in CI with the token in the environment, and whatever they include ends up in
    a public card, so a template can only be what it seems: a regular file whose real path lies
    inside `cards_dir`. A symbolic link to another file in the folder is read (its real path is
    checked, not its name); a link that leads outside, to a folder or to nothing, a FIFO or a
    device is refused, as is a file over MAX_TEMPLATE_BYTES or a folder over MAX_CARDS_BYTES.
    """
    try:
        root = cards_dir.resolve(strict=True)
    except FileNotFoundError:
        raise _unreadable_folder(cards_dir, "no such folder") from None
    except (OSError, RuntimeError) as exc:
        raise _unreadable_folder(cards_dir, str(exc)) from None
    files: dict[str, bytes] = {}
    problems: list[Problem] = []
    total = 0
    for path in _walk(cards_dir, problems):
        name = path.relative_to(cards_dir).as_posix()
        try:
            data = _read_template(path, cards_dir, root)
        except UnreadableFile as exc:
            problems.append(Problem(str(path), exc.reason, hint=_CARDS_HINT))
            continue
        total += len(data)
        if total > MAX_CARDS_BYTES:
            message = f"the files under {cards_dir}/ hold more than {MAX_CARDS_BYTES} bytes"
            problems.append(Problem(str(path), message, hint=_CARDS_HINT))
            break
        files[name] = data
    if problems:
        problems.sort(key=lambda problem: problem.file)
        raise TemplateError("the card templates cannot be read", problems)
    return files


_CARDS_HINT = (
    "cards/ holds the card templates: regular files of the project, or links to files in cards/"
)


def _unreadable_folder(cards_dir: Path, reason: str) -> PipelineError:
    return PipelineError(
        f"cannot read the templates in {cards_dir}/: {reason}",
        hint="--cards names the folder of card templates (default: cards)",
    )


def _walk(cards_dir: Path, problems: list[Problem]) -> list[Path]:
    """Every entry under `cards_dir` but folders, sorted; a linked folder is a problem."""

    def fail(exc: OSError) -> None:
        raise _unreadable_folder(cards_dir, exc.strerror or str(exc))

    found: list[Path] = []
    for folder, dirs, names in os.walk(cards_dir, onerror=fail):  # never follows a link
        for name in dirs:
            path = Path(folder, name)
            if path.is_symlink():
                problems.append(
                    Problem(
                        str(path),
                        "the entry is a symbolic link to a folder; only links to files are read",
                        hint=_CARDS_HINT,
                    )
                )
        found += [Path(folder, name) for name in names]
    return sorted(found)


def _read_template(path: Path, cards_dir: Path, root: Path) -> bytes:
    """The bytes of one file under `cards_dir`, whose real path must lie inside `root`."""
    if path.is_symlink():
        real = Path(os.path.realpath(path))
        if not real.is_relative_to(root):
            raise UnreadableFile(f"the file is a symbolic link to a place outside {cards_dir}/")
        if not real.exists():
            raise UnreadableFile("the file is a symbolic link to nothing")
        path = real
    return read_regular_file(path, MAX_TEMPLATE_BYTES, "a template", follow=False)


def read_sources(manifest_path: Path, cards_dir: Path, store: Store | None = None) -> SourceFiles:
    """Read the manifest's bytes and every template's, once. With a `store`, the manifest's
    parse is the one kept there when these bytes were parsed before (_file.recall_document)."""
    manifest_bytes = read_manifest_bytes(manifest_path)
    earlier = recall_document(manifest_bytes, store, manifest_path) if store is not None else None
    return SourceFiles(
        manifest_path,
        manifest_bytes,
        cards_dir,
        read_templates(cards_dir),
        read_copies(manifest_path, manifest_bytes),
        earlier,
    )


def copy_sources(manifest_bytes: bytes) -> list[str]:
    """Every `copy = "..."` of the manifest's `files` tables, read without validating the
    manifest (the fingerprint is made before it is): a file the manifest cannot be parsed into
    names nothing."""
    data = toml_document(manifest_bytes, shared=True)  # read only
    if data is None:
        return []
    tables: list[object] = [data.get("defaults")]
    kinds = data.get("kinds")
    if isinstance(kinds, dict):
        tables += list(kinds.values())
    models = data.get("models")
    if isinstance(models, list):
        tables += models
    found: list[str] = []
    for table in tables:
        files = table.get("files") if isinstance(table, dict) else None
        for source in files.values() if isinstance(files, dict) else ():
            copy = source.get("copy") if isinstance(source, dict) else None
            if isinstance(copy, str):
                found.append(copy)
    return sorted(set(found))


def read_copies(manifest_path: Path, manifest_bytes: bytes) -> dict[str, bytes]:
    """The bytes of each project file the manifest copies into its repos, inside the project
    only (the manifest's folder): a path that leads elsewhere, or cannot be read, is left out
    and the manifest's check or the render says why."""
    root = Path(os.path.realpath(manifest_path.parent))
    out: dict[str, bytes] = {}
    for name in copy_sources(manifest_bytes):
        path = Path(os.path.realpath(root / name))
        if Path(name).is_absolute() or not path.is_relative_to(root):
            continue
        try:
            out[name] = read_regular_file(path, MAX_TEMPLATE_BYTES, "a copied file")
        except UnreadableFile:
            continue
    return out


def load_sources(manifest_path: Path, cards_dir: Path) -> tuple[SourceFiles, Manifest]:
    """The files read once, and the manifest validated from exactly those bytes."""
    from pipeline.manifest.model import load_manifest_bytes

    files = read_sources(manifest_path, cards_dir)
    return files, load_manifest_bytes(manifest_path, files.manifest_bytes)


def rule_settings(
    path: Path, source: bytes
) -> tuple[dict[str, Level], Callable[[str], int | None]]:
    """The `[rules]` levels of manifest bytes already validated (load_manifest_bytes checks
    them; a plan whose renders came from the cache neither validates the manifest again nor
    loads pydantic), and the line of a variant by name (where a rule's failure is located;
    found only when asked: locating thousands of entries costs more than the plan)."""
    data, locator = parse_manifest(str(path), source, shared=True)  # read only
    models = data.get("models", [])
    index_of = {
        entry["name"]: index
        for index, entry in enumerate(models if isinstance(models, list) else [])
        if isinstance(entry, dict) and isinstance(entry.get("name"), str)
    }

    def line_of(name: str) -> int | None:
        index = index_of.get(name)
        return None if index is None else locator.find(f"models[{index}]")[0]

    rules = data.get("rules", {})
    levels = {
        str(name): cast(Level, level)
        for name, level in (rules.items() if isinstance(rules, dict) else ())
        if name in RULE_NAMES and level in LEVELS
    }
    return levels, line_of
