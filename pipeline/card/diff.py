"""Pure: one rendered card against the live card -> a CardDiff.

No I/O. The action is decided on bytes (after LF normalisation, nothing else); the front matter is
then compared as data key by key, so a report can say *which* metadata changed, and a change of
bytes with equal data is named for what it is: a re-formatting.
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal, TypeAlias

from pipeline.card._samedata import same_data
from pipeline.errors import CardError
from pipeline.newlines import normalize_newlines
from pipeline.ownership import WRITE_ACTIONS, Action
from pipeline.records import LiveCard, RenderedCard

ChangeKind: TypeAlias = Literal["added", "removed", "changed"]
# The JSON-shaped data a metadata value is stored as (YAML dates, binary, NaN become strings).
JsonValue: TypeAlias = bool | int | float | str | list["JsonValue"] | dict[str, "JsonValue"] | None


README = "README.md"
CONTEXT_LINES = 3

_PLAIN_KEY = re.compile(r"^[A-Za-z0-9_-]+$")


@dataclass(frozen=True)
class MetadataChange:
    """One front-matter value that differs: `old` is None when added, `new` is None when removed."""

    key_path: str  # "license", "model-index[0].name", "language[2]"
    kind: ChangeKind
    old: JsonValue
    new: JsonValue


@dataclass(frozen=True)
class CardDiff:
    """What would change in one repo's README.md, and how."""

    repo_id: str
    action: Action
    metadata_changes: tuple[MetadataChange, ...]
    # The front-matter data is equal but its bytes differ (quoting, order, spacing, comments).
    reformat_only: bool
    # Why the live front matter could not be compared as data (it is not valid YAML), or None.
    live_metadata_error: str | None
    body_diff: str  # unified diff of the body, "a/README.md" -> "b/README.md"; "" if equal
    lines_added: int  # over the whole card
    lines_removed: int

    @property
    def writes(self) -> bool:
        return self.action in WRITE_ACTIONS


def diff_card(rendered: RenderedCard, live: LiveCard) -> CardDiff:
    """Compare what the manifest renders with what the Hub holds for the same repo."""
    if rendered.repo_id != live.repo_id:
        raise ValueError(f"diff_card: {rendered.repo_id!r} compared with {live.repo_id!r}")
    if live.exists and live.content == rendered.content:
        # The same string: nothing to normalise, parse or diff (most repos of a warm plan).
        return CardDiff(rendered.repo_id, "unchanged", (), False, None, "", 0, 0)
    new = normalize_newlines(rendered.content)
    old = "" if live.content is None else normalize_newlines(live.content)
    action: Action
    if not live.exists:
        action = "create-repo" if rendered.allow_create else "missing-repo"
    elif live.content is None:
        action = "create"
    elif old == new:
        action = "unchanged"
    else:
        action = "update"
    if action == "unchanged":
        # Byte-identical: nothing to parse or diff (most repos of a warm plan).
        return CardDiff(rendered.repo_id, action, (), False, None, "", 0, 0)

    from pipeline.card import frontmatter  # the YAML libraries: only for cards that differ

    # frontmatter.split returns the body as a suffix of the card, so the head is what precedes it.
    new_yaml, new_body = frontmatter.split(new)
    old_yaml, old_body = frontmatter.split(old)
    new_data = _load(new_yaml, f"{rendered.repo_id}/{README} (rendered)")
    changes: tuple[MetadataChange, ...] = ()
    live_error: str | None = None
    reformat_only = False
    try:
        old_data = _load(old_yaml, f"{live.repo_id}/{README} (live)")
    except CardError as exc:
        # A hand-edited live card may be broken; the plan still replaces it, so name it.
        reason = exc.problems[0].message if exc.problems else exc.message
        live_error = f"the live front matter cannot be read: {reason}"
    else:
        changes = tuple(_compare(old_data, new_data, ""))
        head_old = old[: len(old) - len(old_body)]
        head_new = new[: len(new) - len(new_body)]
        reformat_only = not changes and head_old != head_new

    added, removed = _count_lines(old, new)
    return CardDiff(
        repo_id=rendered.repo_id,
        action=action,
        metadata_changes=changes,
        reformat_only=reformat_only,
        live_metadata_error=live_error,
        body_diff=_unified_body_diff(old, old_body, new, new_body),
        lines_added=added,
        lines_removed=removed,
    )


# --- front matter ---------------------------------------------------------------------------


def _load(yaml_text: str | None, card: str) -> Any:
    """YAML 1.2 data of the front matter; no front matter or an empty one is an empty mapping."""
    if yaml_text is None:
        return {}
    from pipeline.card import frontmatter

    data = frontmatter.load(yaml_text, card=card)
    return {} if data is None else data


# --- metadata as data -----------------------------------------------------------------------


def _compare(old: Any, new: Any, path: str) -> list[MetadataChange]:
    if isinstance(old, dict) and isinstance(new, dict):
        changes: list[MetadataChange] = []
        for key in old:
            sub = _key_path(path, key)
            if key in new:
                changes += _compare(old[key], new[key], sub)
            else:
                changes.append(MetadataChange(sub, "removed", to_json_value(old[key]), None))
        for key in new:
            if key not in old:
                sub = _key_path(path, key)
                changes.append(MetadataChange(sub, "added", None, to_json_value(new[key])))
        return changes
    if isinstance(old, list) and isinstance(new, list):
        changes = []
        for index in range(max(len(old), len(new))):
            sub = f"{path}[{index}]"
            if index >= len(new):
                changes.append(MetadataChange(sub, "removed", to_json_value(old[index]), None))
            elif index >= len(old):
                changes.append(MetadataChange(sub, "added", None, to_json_value(new[index])))
            else:
                changes += _compare(old[index], new[index], sub)
        return changes
    if same_data(old, new):
        return []
    return [
        MetadataChange(path or "<front matter>", "changed", to_json_value(old), to_json_value(new))
    ]


def _key_path(path: str, key: object) -> str:
    name = str(key)
    if _PLAIN_KEY.match(name):
        return f"{path}.{name}" if path else name
    quoted = '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return f"{path}[{quoted}]"


def to_json_value(value: Any) -> JsonValue:
    """YAML data -> JSON-shaped data; what JSON cannot hold (dates, bytes, NaN) becomes a string."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        if math.isnan(value):
            return ".nan"
        if math.isinf(value):
            return ".inf" if value > 0 else "-.inf"
        return value
    if isinstance(value, list | tuple):
        return [to_json_value(item) for item in value]
    if isinstance(value, dict):
        return {str(key): to_json_value(item) for key, item in value.items()}
    if isinstance(value, bytes):
        return value.hex()
    isoformat = getattr(value, "isoformat", None)
    if callable(isoformat):
        return str(isoformat())
    return str(value)


# --- text -----------------------------------------------------------------------------------


def _count_lines(old: str, new: str) -> tuple[int, int]:
    """Lines added and removed over the whole card (a changed line counts once each way)."""
    # keepends: a last line that loses or gains its newline counts as changed.
    a = old.splitlines(keepends=True)
    b = new.splitlines(keepends=True)
    added = removed = 0
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag != "equal":
            removed += i2 - i1
            added += j2 - j1
    return added, removed


def _unified_body_diff(old: str, old_body: str, new: str, new_body: str) -> str:
    """difflib's unified format, with hunk line numbers counted in the whole README.md."""
    a = old_body.splitlines(keepends=True)
    b = new_body.splitlines(keepends=True)
    if a == b:
        return ""
    offset_a = old[: len(old) - len(old_body)].count("\n")
    offset_b = new[: len(new) - len(new_body)].count("\n")
    out = [f"--- a/{README}\n", f"+++ b/{README}\n"]
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    for group in matcher.get_grouped_opcodes(CONTEXT_LINES):
        first, last = group[0], group[-1]
        range_a = _hunk_range(first[1], last[2], offset_a)
        range_b = _hunk_range(first[3], last[4], offset_b)
        out.append(f"@@ -{range_a} +{range_b} @@\n")
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                out += _prefixed(" ", a[i1:i2])
                continue
            if tag in {"replace", "delete"}:
                out += _prefixed("-", a[i1:i2])
            if tag in {"replace", "insert"}:
                out += _prefixed("+", b[j1:j2])
    return "".join(out)


def _hunk_range(start: int, stop: int, offset: int) -> str:
    # Same rule as difflib._format_range_unified, shifted past the front matter.
    length = stop - start
    beginning = start + offset + (1 if length else 0)
    return str(beginning) if length == 1 else f"{beginning},{length}"


def _prefixed(prefix: str, lines: Sequence[str]) -> list[str]:
    out = []
    for line in lines:
        if line.endswith("\n"):
            out.append(prefix + line)
        else:
            out.append(prefix + line + "\n\\ No newline at end of file\n")
    return out
