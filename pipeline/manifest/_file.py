"""Reading models.toml: its bytes, UTF-8, TOML, and bounds on what a hostile file may cost.

Every failure is a ManifestError naming the file and, where there is one, the line and column.
"""

from __future__ import annotations

import hashlib
import json
import re
import sys
import threading
import tomllib
from pathlib import Path
from typing import Any, Protocol

from pipeline.errors import ManifestError, Problem
from pipeline.localfiles import (
    NotText,
    UnreadableFile,
    decode_text,
    nesting_depth,
    read_regular_file,
)
from pipeline.manifest._places import Locator

# No real models.toml comes near these; they keep hostile input from exhausting the process.
MAX_BYTES = 5 * 1024 * 1024
# models.toml nests at most four deep (models -> [i] -> tags -> [j]); tomllib recurses once per
# level and fails with a RecursionError traceback near 300, Pydantic and repr likewise.
MAX_DEPTH = 32


def read_manifest_bytes(path: Path) -> bytes:
    """The manifest file's bytes (what a fingerprint is made of); ManifestError if unreadable."""
    try:
        return read_regular_file(path, MAX_BYTES, "a manifest")
    except UnreadableFile as exc:
        raise ManifestError("cannot read the manifest", [Problem(str(path), exc.reason)]) from None


def _decode(file: str, raw: bytes) -> str:
    try:
        text = decode_text(raw)
    except NotText as exc:
        problem = Problem(file, exc.reason, exc.line, exc.column, hint="save models.toml as UTF-8")
        raise ManifestError("cannot read the manifest", [problem]) from None
    # Universal newlines, as reading the file as text did.
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _too_deep(file: str, locator: Locator) -> ManifestError:
    depth, line, column = locator.deepest(beyond=MAX_DEPTH)
    problem = Problem(
        file,
        f"tables and arrays nest {depth} levels deep here; a manifest may nest at most {MAX_DEPTH}",
        line,
        column,
        hint="models.toml needs four levels at most: [[models]] entries with plain values "
        "and arrays of strings",
    )
    return ManifestError("the manifest is invalid", [problem])


# The documents parsed this run, by the sha256 of their text: a plan reads the manifest's TOML in
# several places (the copied files, the rules, the scope, the collections, the validation), and
# at 5,000 variants one parse costs about 0.1 s. A few entries: one run reads one manifest.
_PARSED: dict[str, dict[str, Any]] = {}
_PARSED_MAX = 4
_PARSED_LOCK = threading.Lock()
# (store, entry, text): the parses recall_document has found or put in a store this run.
_KEPT: set[tuple[int, str, str]] = set()


def _key(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def _loads(text: str, shared: bool = False) -> dict[str, Any]:
    """tomllib.loads(text), parsed once per run. Each caller gets its own copy (no caller can
    change what another reads), except with `shared`: the one parse itself, for a reader that
    only reads it. Raises what tomllib raises, every time."""
    key = _key(text)
    with _PARSED_LOCK:
        found = _PARSED.get(key)
    if found is None:
        found = tomllib.loads(text)
        _remember(key, found)
    if shared:
        return found
    copy: dict[str, Any] = _copied(found)
    return copy


def _remember(key: str, data: dict[str, Any]) -> None:
    """Keep `data` as this run's parse of the text `key` names (the oldest out past a few)."""
    with _PARSED_LOCK:
        while len(_PARSED) >= _PARSED_MAX:
            del _PARSED[next(iter(_PARSED))]
        _PARSED[key] = data


def _copied(value: Any) -> Any:
    """A copy of parsed TOML: new dicts and lists, the same immutable leaves (str, numbers,
    booleans, dates and times). Iterative: a document may nest up to MAX_DEPTH and no deeper
    only once it is checked, and a deep one must not exhaust the stack here first."""
    if not isinstance(value, dict | list):
        return value
    root: Any = {} if isinstance(value, dict) else []
    stack: list[tuple[Any, Any]] = [(value, root)]
    while stack:
        source, target = stack.pop()
        items = source.items() if isinstance(source, dict) else enumerate(source)
        for key, item in items:
            if isinstance(item, dict | list):
                child: Any = {} if isinstance(item, dict) else []
                stack.append((item, child))
                item = child
            if isinstance(target, dict):
                target[key] = item
            else:
                target.append(item)
    return root


class Store(Protocol):
    """Where parsed manifests are kept between runs (pipeline.hub.cache.Cache is one)."""

    def get(self, kind: str, key: str) -> bytes | None: ...

    def put(self, kind: str, key: str, payload: bytes) -> None: ...


def recall_document(source: bytes, store: Store, path: Path | None = None) -> dict[str, Any] | None:
    """Make this run's parse of the manifest bytes `source` (read from `path`) the one `store`
    kept from an earlier run (JSON: at 5,000 variants it loads in a hundredth of tomllib's
    time), or parse it now and keep it there: one entry per manifest file, replaced when its
    bytes change (an edit does not add a copy of the family to the cache). Bytes that are not
    UTF-8 TOML, or hold dates (JSON has none), are not kept: the readers parse them as ever.

    Returns the parse kept for the file's earlier bytes when they have changed since (what
    an edit changed can be told from the two: manifest/touched.py), else None."""
    try:
        text = _decode("", source)
    except ManifestError:
        return None
    key = _key(text)
    where = str(path.resolve()) if path is not None else ""
    entry = json.dumps(["toml", where, sys.version_info[:2]])
    kept_here = (id(store), entry, key)
    with _PARSED_LOCK:
        if kept_here in _KEPT and key in _PARSED:
            return None
        _KEPT.add(kept_here)  # before the store is read: one reader of it a run
    payload = store.get("toml", entry)
    try:
        kept = json.loads(payload) if payload is not None else None
    except ValueError:
        kept = None
    if not isinstance(kept, dict) or not isinstance(kept.get("data"), dict):
        kept = None
    elif kept.get("text") == key:
        _remember(key, kept["data"])
        return None
    before = kept.get("source") if kept is not None else None
    if kept is not None and isinstance(before, str):
        spliced = _spliced(before, kept["data"], text)
        if spliced is not None:
            _remember(key, spliced)
    try:
        data = _loads(text, shared=True)
        value = json.dumps(
            {"text": key, "data": data, "source": text}, ensure_ascii=False, allow_nan=True
        )
    except (tomllib.TOMLDecodeError, RecursionError, TypeError, ValueError):
        return None  # reported, located, by the validation; or a date
    store.put("toml", entry, value.encode("utf-8"))
    earlier: dict[str, Any] | None = kept["data"] if kept is not None else None
    return earlier


_MODELS = "[[models]]"


def _entries(text: str) -> list[str]:
    """`text` cut before each line that is exactly `[[models]]`: the head, then one piece per
    entry (with its sub-tables) when the file is laid out as usual."""
    pieces = [""]
    for line in text.splitlines(keepends=True):
        if line.rstrip("\r\n") == _MODELS:
            pieces.append("")
        pieces[-1] += line
    return pieces


def _spliced(before: str, parsed: dict[str, Any], now: str) -> dict[str, Any] | None:
    """The parse of `now` made from `parsed` (the parse of `before`) and a parse of each
    `[[models]]` entry whose text changed, or None when that cannot be told for sure: the head
    differs, an entry was added or removed, or a piece is not one whole entry of its own (its
    own parse is not exactly one `[[models]]` table, or the old piece's is not the entry it
    stood for). At 5,000 variants, a one-line edit costs a millisecond instead of 90."""
    old, new = _entries(before), _entries(now)
    models = parsed.get("models")
    if len(old) != len(new) or old[0] != new[0] or not isinstance(models, list):
        return None
    if len(models) != len(old) - 1:
        return None
    entries = list(models)
    for index in range(1, len(new)):
        if new[index] == old[index]:
            continue
        try:
            was, is_now = tomllib.loads(old[index]), tomllib.loads(new[index])
        except (tomllib.TOMLDecodeError, RecursionError):
            return None
        if not (_one_entry(was) and _one_entry(is_now)) or was["models"][0] != models[index - 1]:
            return None
        entries[index - 1] = is_now["models"][0]
    return {**parsed, "models": entries}


def _one_entry(document: dict[str, Any]) -> bool:
    models = document.get("models")
    return set(document) == {"models"} and isinstance(models, list) and len(models) == 1


def toml_document(source: bytes, shared: bool = False) -> dict[str, Any] | None:
    """The manifest bytes as TOML data, read as parse_manifest reads them, or None when they are
    not UTF-8 TOML (for the readers that come before the validation: load_manifest_bytes
    reports the mistake, located). `shared`: see _loads."""
    try:
        return _loads(_decode("", source), shared)
    except (ManifestError, tomllib.TOMLDecodeError, RecursionError):
        return None


# The texts whose parse nests no deeper than MAX_DEPTH (checked once per run, by _key).
_SHALLOW: set[str] = set()


def _parse(file: str, text: str, shared: bool = False) -> tuple[dict[str, Any], Locator]:
    locator = Locator(text)
    try:
        data = _loads(text, shared)
    except tomllib.TOMLDecodeError as exc:
        raise ManifestError("models.toml is not valid TOML", [_toml_problem(file, exc)]) from None
    except RecursionError:
        raise _too_deep(file, locator) from None
    key = _key(text)
    if key not in _SHALLOW:
        if nesting_depth(data, beyond=MAX_DEPTH) > MAX_DEPTH:
            raise _too_deep(file, locator)
        _SHALLOW.add(key)
    return data, locator


_TOML_PLACE = re.compile(r"\s*\(at line (\d+), column (\d+)\)$")


def _toml_problem(file: str, exc: tomllib.TOMLDecodeError) -> Problem:
    # Python 3.11's tomllib puts the place only in the message: "... (at line 3, column 7)".
    message = str(exc)
    place = _TOML_PLACE.search(message)
    if place is None:
        return Problem(file, f"TOML syntax error: {message}")
    line, column = int(place.group(1)), int(place.group(2))
    return Problem(file, f"TOML syntax error: {message[: place.start()]}", line, column)


def parse_manifest(
    file: str, source: bytes, shared: bool = False
) -> tuple[dict[str, Any], Locator]:
    """The manifest's bytes as TOML data, and the locator of its key paths. `shared`: the run's
    one parse itself, for a reader that does not change it (else a copy of its own)."""
    return _parse(file, _decode(file, source), shared)
