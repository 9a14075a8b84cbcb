"""validate's remembered verdict, like ruff's or mypy's cache: same inputs, same code, same answer.

A passing validate depends only on the bytes it read (the manifest, every file under cards/ and
every file the manifest copies: SourceFiles.fingerprint), the selection, the paths it was given
(its line names the manifest's), nb-release's code and data files, and the libraries that
validate and render (their versions). On success, validate records its line under a key made of
all of them (the cache's kind "verdict"); a later validate with the same key prints that line
and exits 0 without loading pydantic, jinja2, the renderer or rich. A failure is never recorded:
its full report is printed each time.

This module is imported before any console exists: it loads only the standard library, the
cache and the reading of the source files, and prints with sys.stdout. It holds validate's
options record too, so that the check loads no other command's.
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass
from importlib.util import find_spec
from pathlib import Path
from typing import TYPE_CHECKING

from pipeline.errors import PipelineError
from pipeline.exitcodes import EXIT_OK

if TYPE_CHECKING:
    from pipeline.manifest.selection import Selection
    from pipeline.manifest.sources import SourceFiles, Sources

KIND = "verdict"
_PACKAGE = Path(__file__).resolve().parent.parent  # pipeline/
# The libraries a validation runs (the manifest's models, the renderer, the YAML readers, the
# language codes, the merge of kept edits): an upgrade of any of them validates fully again.
_LIBRARIES = (
    "pydantic",
    "pydantic_core",
    "jinja2",
    "markupsafe",
    "ruamel.yaml",
    "yaml",
    "pycountry",
    "merge3",
)


@dataclass(frozen=True)
class ValidateOptions:
    """validate's options record (cli/options.py names it with the others'): here, so that a
    remembered verdict is checked without loading every other command's record."""

    sources: Sources
    selection: Selection
    cache: bool = True  # remember a passing verdict, and answer from it (not --no-cache)


def _stat(path: str | Path) -> str:
    try:
        stat = os.stat(path)
    except OSError:
        return "-"
    return f"{stat.st_size}:{stat.st_mtime_ns}"


def _data_stamp() -> str:
    """Every file of the package that is not a module (pipeline/hubrules_snapshot.json, the
    Hub's lists the cards are checked against), by size and time: hub/cache.py's code stamp
    covers the modules."""
    parts = []
    for folder, dirs, names in os.walk(_PACKAGE):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__")
        for name in sorted(names):
            if not name.endswith((".py", ".pyc")):
                path = os.path.join(folder, name)
                parts.append(f"{os.path.relpath(path, _PACKAGE)}:{_stat(path)}")
    return "\n".join(parts)


def _libraries() -> list[str]:
    """Each library of _LIBRARIES as installed (its module file's size and time), found without
    importing it."""
    stamps = []
    for name in _LIBRARIES:
        try:
            spec = find_spec(name)
        except (ImportError, ValueError):
            spec = None
        origin = spec.origin if spec is not None else None
        stamps.append(f"{name}:{_stat(origin) if origin else '-'}")
    return stamps


def verdict_key(options: ValidateOptions, files: SourceFiles) -> str:
    """All a passing validate's answer depends on."""
    from pipeline.hub.cache import _this_code

    return json.dumps(
        [
            KIND,
            files.fingerprint,
            str(options.sources.manifest),
            str(options.sources.cards),
            repr(options.selection),
            _this_code(),
            _data_stamp(),
            _libraries(),
            sys.version,
        ]
    )


def remembered(options: ValidateOptions) -> int | None:
    """EXIT_OK once the line of a passing verdict for these exact inputs is printed; None when
    there is none (or --no-cache): validate fully. Anything that stops the check (a file that
    cannot be read, a cache that cannot be set up) is left to the full validation to report."""
    if not options.cache:
        return None
    from pipeline.hub.cache import Cache
    from pipeline.manifest.sources import read_sources

    try:
        files = read_sources(options.sources.manifest, options.sources.cards)
        payload = Cache().get(KIND, verdict_key(options, files))
    except PipelineError:
        return None
    line = _line(payload)
    if line is None:
        return None
    try:
        sys.stdout.write(line + "\n")
        sys.stdout.flush()
    except OSError:  # the full run reports an unwritable stdout as an error
        return None
    return EXIT_OK


def _line(payload: bytes | None) -> str | None:
    try:
        value = json.loads(payload) if payload is not None else None
    except ValueError:
        return None
    line = value.get("line") if isinstance(value, dict) else None
    return line if isinstance(line, str) else None


def record(
    options: ValidateOptions, files: SourceFiles, line: str, cards: int, variants: int
) -> None:
    """Remember that these exact inputs passed, and the line validate printed. A cache that
    cannot be set up or written is skipped: validate never fails for it."""
    if not options.cache:
        return
    from pipeline.hub.cache import Cache

    payload = json.dumps({"line": line, "cards": cards, "variants": variants}, ensure_ascii=False)
    try:
        Cache().put(KIND, verdict_key(options, files), payload.encode("utf-8"))
    except PipelineError:
        return
