"""Manifest -> RenderedCard[]: one sandboxed Jinja2 environment, canonical front matter.

Everything is rendered and checked before anything is written: `render_all` raises one error
listing every template, front-matter and metadata problem of every card.
"""

from __future__ import annotations

import contextlib
import dataclasses
import difflib
import stat
import traceback
from collections.abc import Callable, Collection, Mapping, Sequence
from pathlib import Path
from typing import Any

import jinja2
from jinja2.exceptions import SecurityError

from pipeline import hubrules, quanttypes
from pipeline.atomic import cannot_write, make_folders, write_bytes_atomically
from pipeline.card import _metadata as metadata
from pipeline.card import edits as kept_edits
from pipeline.card import frontmatter
from pipeline.card._templating import (
    MAX_CARD_BYTES,
    DataFileNotFound,
    OutputTooLarge,
    TooMuchWork,
    UndefinedName,
    make_environment,
    render_bounded,
)
from pipeline.card._templating import (
    yaml_string as yaml_string,  # re-exported: templates' tests use it
)
from pipeline.card.companions import render_companions
from pipeline.card.incremental import (
    CardStore,
    card_key,
    digests,
    position_free,
    reads_of,
    still_valid,
)
from pipeline.errors import CardError, OutputError, Problem, TemplateError
from pipeline.manifest.model import Manifest, Variant
from pipeline.manifest.results import Result, model_index, read_results
from pipeline.manifest.selection import (
    Selection as Selection,  # re-exported: callers import it here
)
from pipeline.manifest.selection import select as select
from pipeline.manifest.sources import SourceFiles, read_copies, read_sources, read_templates
from pipeline.records import RenderedCard

HUB_URL = "https://huggingface.co"


def _llama_slug(version: str) -> str:
    # Meta keeps the license at models/llama3_1/LICENSE, not models/llama3.1/ (a known defect).
    return "llama" + version.replace(".", "_")


def quantized_by_base(manifest: Manifest) -> dict[str, list[Variant]]:
    """The quantised (gguf) variants of the manifest by the repo id they are made from (folded
    as the Hub folds it), in manifest order: worked out once, not once per card."""
    out: dict[str, list[Variant]] = {}
    for v in manifest.variants:
        if v.kind == "gguf":
            out.setdefault(v.base_model.lower(), []).append(position_free(v))
    return out


def _card_variants(manifest: Manifest, variant: Variant) -> tuple[Variant, Variant | None]:
    """The variant and its parent variant (if the manifest has it) as a card sees them
    (incremental.position_free): what context_for gives as `model` and `parent`."""
    parent = (
        manifest.by_repo_id(variant.base_model) if variant.base_model_variant is not None else None
    )
    return position_free(variant), position_free(parent) if parent is not None else None


def context_for(
    manifest: Manifest,
    variant: Variant,
    results: tuple[Result, ...] = (),
    quantized: Mapping[str, list[Variant]] | None = None,
) -> dict[str, Any]:
    """The template context; names of the seed template are kept (model_name, version, ...).

    `results` are the variant's evaluation results (cards/results/<name>.toml); `quantized` is
    quantized_by_base(manifest), when the caller has it. The variants a card sees carry no
    position in models.toml (incremental.position_free)."""
    variant, parent = _card_variants(manifest, variant)
    quantized = quantized if quantized is not None else quantized_by_base(manifest)
    base_model_name = (
        parent.display_name if parent is not None else variant.base_model.split("/", 1)[1]
    )
    slug = _llama_slug(variant.llama_version)
    return {
        "model": variant,
        "parent": parent,
        "model_name": variant.display_name,
        "model_id": variant.repo_id,
        "version": variant.llama_version,
        "base_model_name": base_model_name,
        "base_model_link": f"{HUB_URL}/{variant.base_model}",
        "parameter_count": variant.parameters,
        "license_url": f"https://github.com/meta-llama/llama-models/blob/main/models/{slug}/LICENSE",
        "use_policy_url": f"https://llama.meta.com/{slug}/use-policy",
        # The English names written beside the codes of the front matter and in the text.
        "language_names": {code: hubrules.language_name(code) for code in variant.languages},
        "links": dict(manifest.links),
        "hub_url": HUB_URL,
        # Its quantization as llama.cpp's table describes it (quanttypes), or None.
        "quant": quanttypes.quant_type(variant.quantization) if variant.quantization else None,
        # The quantised (gguf) variants of the manifest made from this one, in manifest order.
        "quantized_versions": list(quantized.get(variant.repo_id.lower(), ())),
        "results": results,
        "model_index": model_index(variant.repo_id.split("/", 1)[1], results) if results else [],
    }


def _template_problem(
    exc: Exception,
    variant: Variant,
    files: _Files,
    context: Mapping[str, Any],
) -> Problem:
    """Locate a Jinja2 failure: the template file and line, and what went wrong there.

    The hint does not name the card: the same mistake in a shared template fails every card
    that uses it, and `render_all` reports it once (see `_merge`).
    """
    cards_dir = files.cards_dir
    if isinstance(exc, DataFileNotFound):
        return _data_file_problem(exc, variant, files)
    if isinstance(exc, jinja2.TemplateSyntaxError):
        name = exc.name or exc.filename or variant.template
        return Problem(str(cards_dir / name), f"template syntax error: {exc.message}", exc.lineno)
    if isinstance(exc, jinja2.TemplateNotFound) and not isinstance(exc.name, str):
        place, line = _innermost_frame(exc, variant, cards_dir)
        return Problem(
            place,
            "`extends` or `include` is given a template object (such as `self`), not a file name",
            line,
            hint='name the template file in quotes, e.g. {% extends "_layout.md.j2" %}',
        )
    if isinstance(exc, jinja2.TemplateNotFound) and exc.name != variant.template:
        # An `include`, `extends` or `import` inside a template: the same for every card that
        # uses it, so located at that line and named without the card (render_all merges it).
        place, line = _innermost_frame(exc, variant, cards_dir)
        return Problem(
            place,
            f"template {str(exc.name)!r} not found",
            line,
            hint=f"templates available: {_listing(files.templates(every=True))}",
        )
    if isinstance(exc, jinja2.TemplateNotFound):
        return Problem(
            str(cards_dir / variant.template),
            f"template {str(exc.name)!r} not found",
            hint=f"the manifest's `template` names a file in {cards_dir}/; "
            f"templates available: {_listing(files.templates())}",
        )
    place, line = _innermost_frame(exc, variant, cards_dir)
    message, hint = _runtime_message(exc, context)
    return Problem(place, message, line, hint=hint)


def _innermost_frame(exc: Exception, variant: Variant, cards_dir: Path) -> tuple[str, int | None]:
    """Where a runtime error happened: the innermost frame of a template file, and its line."""
    place, line = str(cards_dir / variant.template), None
    for frame in traceback.extract_tb(exc.__traceback__):
        if frame.filename.startswith(str(cards_dir)) and frame.filename != __file__:
            place, line = frame.filename, frame.lineno
    with contextlib.suppress(ValueError):  # outside the working folder: keep it absolute
        place = str(Path(place).resolve().relative_to(Path.cwd()))
    return place, line


def _runtime_message(exc: Exception, context: Mapping[str, Any]) -> tuple[str, str | None]:
    readme = "the README (Templates) lists the variables a card template receives"
    if isinstance(exc, UndefinedName) and exc.refused is not None:
        exc = SecurityError(exc.refused)
    if isinstance(exc, UndefinedName) and exc.name is not None:
        if exc.owner is jinja2.utils.missing:
            what, names = f"{exc.name!r} is undefined", list(context)
        else:
            what, names = (
                f"{exc.name!r} is not an attribute of {_describe(exc.owner)}",
                _names_of(exc.owner),
            )
        near = difflib.get_close_matches(exc.name, names, n=1)
        return f"undefined variable: {what}", (f"did you mean {near[0]!r}? " if near else "") + (
            readme[0].upper() + readme[1:] if near else readme
        )
    if isinstance(exc, jinja2.UndefinedError):
        return f"undefined variable: {exc}", readme
    if isinstance(exc, OutputTooLarge):
        return str(exc), "a card may be at most 1 MiB; look for a loop or a repeat that grows"
    if isinstance(exc, TooMuchWork):
        return str(exc), "a card's loops run over its languages, tags and links; look for nesting"
    if isinstance(exc, SecurityError):
        return (
            f"refused by the template sandbox: {exc}",
            "templates may read the values they are given, not Python internals",
        )
    if isinstance(exc, RecursionError):
        return (
            "the template recurses without end (a macro calling itself, or a template "
            "extending or including itself)",
            "give the recursion a base case, or remove the cycle",
        )
    if isinstance(exc, jinja2.TemplateError):
        return str(exc), None
    return f"the template failed: {type(exc).__name__}: {exc}", None


def _describe(owner: object) -> str:
    if isinstance(owner, Variant):
        return "a variant (`model`, `parent`)"
    if isinstance(owner, Mapping):
        return "this mapping"
    return f"a {type(owner).__name__} value"


def _names_of(owner: object) -> list[str]:
    if isinstance(owner, Mapping):
        return [k for k in owner if isinstance(k, str)]
    return [n for n in dir(owner) if not n.startswith("_")]


def _merge(found: Sequence[tuple[Problem, str]]) -> list[Problem]:
    """One problem per distinct template problem, naming how many cards (and which) it broke."""
    cards: dict[Problem, list[str]] = {}
    for problem, repo_id in found:
        cards.setdefault(problem, []).append(repo_id)
    merged: list[Problem] = []
    for problem, repo_ids in cards.items():
        if len(repo_ids) == 1:
            where = f"while rendering {repo_ids[0]}"
        else:
            shown = ", ".join(repo_ids[:3]) + (", ..." if len(repo_ids) > 3 else "")
            where = f"while rendering {len(repo_ids)} cards ({shown})"
        hint = f"{problem.hint}; {where}" if problem.hint else where
        merged.append(dataclasses.replace(problem, hint=hint))
    return merged


@dataclasses.dataclass(frozen=True)
class _Files:
    """What a render reads: the manifest's path, and the files of the cards folder."""

    manifest_path: Path
    cards_dir: Path
    names: Sequence[str]  # sorted paths relative to cards_dir

    def templates(self, every: bool = False) -> list[str]:
        """The templates a variant may name; with `every`, also the `_` ones it may include."""
        top = (n for n in self.names if "/" not in n and n.endswith(".j2"))
        return [n for n in top if every or not n.startswith("_")]


def _listing(names: Sequence[str], most: int = 20) -> str:
    more = f", ... ({len(names) - most} more)" if len(names) > most else ""
    return ", ".join(names[:most]) + more if names else "none"


def _data_file_problem(exc: DataFileNotFound, variant: Variant, files: _Files) -> Problem:
    """A data file not under cards/: placed at the manifest key that names it, if one does,
    else at the template line that asks for it."""
    files_there = f"the files under {files.cards_dir}/ are: {_listing(files.names)}"
    place, line = _innermost_frame(exc, variant, files.cards_dir)
    if not isinstance(exc.name, str):
        return Problem(
            place,
            f"data_file() takes the path of a file under {files.cards_dir}/, got {exc.name!r}",
            line,
            hint="read an optional key only when it is set: "
            "{% if model.notes_file %}{{ data_file(model.notes_file) }}{% endif %}",
        )
    keys = [f.name for f in dataclasses.fields(variant) if getattr(variant, f.name) == exc.name]
    if keys:
        return Problem(
            str(files.manifest_path),
            f"{keys[0]} names {exc.name!r}, which is not a file under {files.cards_dir}/",
            variant.line,
            key_path=f"models[{variant.index}].{keys[0]}",
            hint=f"a data file a card reads is a path under {files.cards_dir}/; {files_there}",
        )
    return Problem(
        place,
        f"data file {exc.name!r} not found under {files.cards_dir}/",
        line,
        hint=f'data_file() takes a path under {files.cards_dir}/ (data_file("notes/x.md")); '
        + files_there,
    )


def _expected_metadata(variant: Variant, context: Mapping[str, Any]) -> dict[str, object]:
    expected: dict[str, object] = {
        "license": variant.license,
        "language": list(variant.languages),
        "pipeline_tag": variant.pipeline_tag,
        "tags": list(variant.tags),
        "base_model": variant.base_model,
    }
    if variant.library_name:
        expected["library_name"] = variant.library_name
    if variant.datasets:
        expected["datasets"] = list(variant.datasets)
    if context["model_index"]:
        expected["model-index"] = context["model_index"]
    return expected


def render_all(
    manifest: Manifest,
    cards: Path | SourceFiles,
    selection: Selection = Selection(),
    *,
    apply_edits: bool = True,
) -> list[RenderedCard]:
    """Render every selected variant; raise one error listing every problem of every card.

    `cards` is the folder of templates, or the files already read from it (`sources.read_sources`):
    then exactly those bytes are rendered. Each repo's kept edit (cards/edits/, see card/edits.py)
    is merged into its card, unless `apply_edits` is false (`keep` needs the plain render); a
    conflict in any card stops the whole run.
    """
    return render_incremental(manifest, cards, selection, apply_edits=apply_edits)[0]


def render_incremental(
    manifest: Manifest,
    cards: Path | SourceFiles,
    selection: Selection = Selection(),
    store: CardStore | None = None,
    *,
    apply_edits: bool = True,
    skip: Collection[str] = frozenset(),
    on_rendered: Callable[[RenderedCard], None] | None = None,
) -> tuple[list[RenderedCard], list[str]]:
    """render_all, taking from `store` each card whose inputs are unchanged (card/incremental.py)
    and keeping there each card rendered now; the cards, and the key of each. A card whose key
    is in `skip` (the caller knows it already: the same key, and cards/ unchanged) is neither
    read nor rendered: its key is in the keys, and it is not in the cards. `on_rendered` hears
    each card of the cards as soon as it has it, rendered now or taken from `store` (the Hub
    may be asked about it while the others are rendered); a problem still raises at the end."""
    cards_dir = cards if isinstance(cards, Path) else cards.cards_dir
    data = read_templates(cards) if isinstance(cards, Path) else cards.templates
    copies = (
        read_copies(manifest.path, manifest.path.read_bytes())
        if isinstance(cards, Path)
        else cards.copies
    )
    known = [variant.repo_id for variant in manifest.variants]
    edits = kept_edits.read_edits(cards_dir, data, known) if apply_edits else {}
    data = kept_edits.templates_only(data)  # an edit file is never a template nor a data file
    env = make_environment(cards_dir, data, store)
    files = _Files(manifest.path, cards_dir, sorted(data))
    results = read_results(cards_dir, data, [v.name for v in manifest.variants])
    template_problems: list[tuple[Problem, str]] = []
    card_problems: list[Problem] = []
    edit_problems: list[Problem] = []
    rendered: list[RenderedCard] = []
    keys: list[str] = []
    quantized = quantized_by_base(manifest)
    known_files = digests(data) if store is not None else {}
    for variant in select(manifest, selection):
        edit = edits.get(variant.repo_id)
        key = ""
        if store is not None:
            free, parent = _card_variants(manifest, variant)
            key = card_key(
                free,
                parent,
                quantized.get(variant.repo_id.lower(), ()),
                manifest.links,
                results.get(variant.name, ()),
                edit,
                copies,
            )
            if key in skip:
                keys.append(key)
                continue
            found = store.card(key)
            if found is not None and still_valid(found[1], known_files):
                rendered.append(found[0])
                keys.append(key)
                if on_rendered is not None:
                    on_rendered(found[0])
                continue
        context = context_for(manifest, variant, results.get(variant.name, ()), quantized)
        env.reads = set()
        try:
            text = render_bounded(env.get_template(variant.template), context)
        except Exception as exc:  # whatever a template raises is a problem of that template
            problem = _template_problem(exc, variant, files, context)
            template_problems.append((problem, variant.repo_id))
            continue
        card = f"{variant.repo_id}/README.md"
        try:
            content, reading = frontmatter.canonical_reading(text, card)
        except CardError as exc:
            card_problems.extend(exc.problems)
            continue
        if edit is not None:
            merged = kept_edits.merge(edit, content, card)
            if isinstance(merged, list):
                edit_problems.extend(merged)
                continue
            # The merged card is published as it is (the hand edit byte for byte); its front
            # matter is read and checked as a rendered card's is.
            content = merged
            try:
                reading = frontmatter.canonical_reading(content, card)[1]
            except CardError as exc:
                card_problems.extend(_from_edit(p, edit) for p in exc.problems)
                continue
        problems = metadata.check_metadata(
            card, content, expected=_expected_metadata(variant, context), reading=reading
        )
        size = len(content.encode("utf-8"))
        if size > MAX_CARD_BYTES:
            problems.append(_too_large(card, size))
        if problems:
            card_problems.extend(
                problems if edit is None else [_from_edit(p, edit) for p in problems]
            )
            continue
        companions, problems = render_companions(
            manifest, variant, env, context, copies, str(cards_dir)
        )
        if problems:
            card_problems.extend(problems)
            continue
        made = RenderedCard(
            repo_id=variant.repo_id,
            variant=variant.name,
            template=variant.template,
            content=content,
            allow_create=variant.allow_create,
            on_drift=variant.on_drift,
            on_adopt=variant.on_adopt,
            files=tuple(companions),
        )
        rendered.append(made)
        keys.append(key)
        if store is not None:
            store.put_card(key, made, reads_of(env.reads, known_files))
        if on_rendered is not None:
            on_rendered(made)
    if template_problems:
        raise TemplateError("the card templates cannot be rendered", _merge(template_problems))
    if edit_problems:
        raise kept_edits.EditError(
            "the kept edits cannot be merged into the new render; nothing is published",
            edit_problems,
        )
    if card_problems:
        raise CardError("the rendered cards are not valid", card_problems)
    return rendered, keys


def _from_edit(problem: Problem, edit: kept_edits.Edit) -> Problem:
    """A problem of a card with a kept edit: the hint names the edit, which may be its cause."""
    where = f"the card carries the kept edit {edit.patch_file}"
    return dataclasses.replace(problem, hint=f"{problem.hint}; {where}" if problem.hint else where)


def _too_large(card: str, size: int) -> Problem:
    return Problem(
        file=card,
        message=f"the card is {size:,} bytes; a card may be at most {MAX_CARD_BYTES:,} bytes "
        f"({MAX_CARD_BYTES // (1024 * 1024)} MiB)",
        hint="the Hub refuses a README of 10 MiB or more outside Git LFS; shorten the card",
    )


def fingerprint(manifest_path: Path, cards_dir: Path) -> str:
    """sha256 of the manifest and every file under cards/ as they are now on disk."""
    return read_sources(manifest_path, cards_dir).fingerprint


def card_path(out_dir: Path, repo_id: str) -> Path:
    namespace, name = repo_id.split("/", 1)
    return out_dir / namespace / name / "README.md"


def symlink_under(out_dir: Path, path: Path) -> Path | None:
    """The first part of `path` below `out_dir` that is a symbolic link, if any.

    render writes, compares and removes only what lies in --out itself: a link there, to a folder
    or to a file, could lead anywhere, so it is never followed. --out itself may be a link: the
    user named it.
    """
    part = out_dir
    for name in path.relative_to(out_dir).parts:
        part = part / name
        if part.is_symlink():
            return part
    return None


def check_out(cards: Sequence[RenderedCard], out_dir: Path) -> None:
    """Refuse, before anything is written, an --out where a card would be written through a
    link or cannot be written: --out not a folder, a card's folder or README.md not one."""
    try:
        if not stat.S_ISDIR(out_dir.stat().st_mode):
            raise OutputError(f"cannot write {out_dir}: it is not a folder")
    except FileNotFoundError:
        pass  # written later, parents and all
    except OSError as exc:
        raise cannot_write(out_dir, exc) from None
    for card in cards:
        path = card_path(out_dir, card.repo_id)
        link = symlink_under(out_dir, path)
        if link is not None:
            raise OutputError(
                f"cannot write {link}: it is a symbolic link; render never writes through one "
                "under --out",
                hint="remove the link, or render into a folder of its own",
            )
        for part, wanted, test in (
            (path.parent.parent, "a folder", stat.S_ISDIR),
            (path.parent, "a folder", stat.S_ISDIR),
            (path, "a regular file", stat.S_ISREG),
        ):
            try:
                mode = part.lstat().st_mode
            except FileNotFoundError:
                break
            except OSError as exc:
                raise cannot_write(part, exc) from None
            if not test(mode):
                raise OutputError(f"cannot write {part}: it is not {wanted}")


def differing_files(cards: Sequence[RenderedCard], out_dir: Path) -> list[Path]:
    """The card files under out_dir that are missing or differ from a fresh render."""
    out: list[Path] = []
    for card in cards:
        path = card_path(out_dir, card.repo_id)
        try:
            if path.read_bytes() != card.content.encode("utf-8"):
                out.append(path)
        except FileNotFoundError:
            out.append(path)
    return out


def stale_files(manifest: Manifest, out_dir: Path) -> list[Path]:
    """Cards under out_dir of variants the manifest no longer has.

    Only what `render` itself writes counts: a regular file DIR/<namespace>/<name>/README.md
    whose namespace is one of the manifest's, and whose repo id (compared without case, as the
    Hub does) is not a variant of the manifest. Nothing else under out_dir is touched.
    """
    known = {v.repo_id.lower() for v in manifest.variants}
    found: list[Path] = []
    for namespace in sorted({v.namespace for v in manifest.variants}):
        folder = out_dir / namespace
        if symlink_under(out_dir, folder) or not folder.is_dir():
            continue
        for entry in sorted(folder.iterdir()):
            readme = entry / "README.md"
            if symlink_under(out_dir, readme) or not entry.is_dir():
                continue
            if f"{namespace}/{entry.name}".lower() in known or not readme.is_file():
                continue
            found.append(readme)
    return found


def remove_stale(paths: Sequence[Path]) -> None:
    """Remove stale cards, and each one's folder if it is then empty."""
    for path in paths:
        path.unlink(missing_ok=True)
        with contextlib.suppress(OSError):  # not empty: something else lives there; keep it
            path.parent.rmdir()


def write_cards(cards: Sequence[RenderedCard], out_dir: Path) -> list[Path]:
    """Write each card as DIR/<namespace>/<name>/README.md (LF, UTF-8), atomically per file."""
    check_out(cards, out_dir)
    make_folders(out_dir)
    written: list[Path] = []
    for card in cards:
        path = card_path(out_dir, card.repo_id)
        make_folders(path.parent)
        write_bytes_atomically(path, card.content.encode("utf-8"))
        written.append(path)
    return written
