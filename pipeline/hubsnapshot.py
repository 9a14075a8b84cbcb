"""The Hub's own lists (licenses, pipeline tags, libraries), as one checked-in JSON snapshot.

`hubrules_snapshot.json` beside this module is the one home of the data: the manifest, the card
checks and the local Hub read it through hubrules.py. It is made by `bench/hubrules_snapshot.py`
from the Hub's public sources (the npm package `@huggingface/tasks`, hub-docs' license table) and
refreshed from a Hub's `GET /api/models-tags-by-type` by `nb-release rules update`.
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SNAPSHOT_FILE = Path(__file__).with_name("hubrules_snapshot.json")

# The lists of a snapshot: its JSON key, and how the Hub's models-tags-by-type names the type.
LISTS: dict[str, str] = {
    "licenses": "license",
    "pipeline_tags": "pipeline_tag",
    "libraries": "library",
}
_ID = re.compile(r"""[^\s,"'`\x00-\x1f\x7f-\x9f]{1,100}""")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


class SnapshotError(ValueError):
    """A snapshot that is not the form this module writes."""


@dataclass(frozen=True)
class Snapshot:
    source: str  # where the lists were read
    date: str  # YYYY-MM-DD, the day they were read (UTC)
    licenses: tuple[str, ...]
    pipeline_tags: tuple[str, ...]
    libraries: tuple[str, ...]

    def lists(self) -> dict[str, tuple[str, ...]]:
        return {name: getattr(self, name) for name in LISTS}


def parse(data: Any, where: str = "the snapshot") -> Snapshot:
    """A Snapshot from its JSON data; SnapshotError naming the key that is wrong."""
    if not isinstance(data, dict):
        raise SnapshotError(f"{where}: expected a JSON object")
    extra = sorted(set(data) - {"source", "date", *LISTS})
    if extra:
        raise SnapshotError(f"{where}: unknown key {extra[0]!r}")
    for key in ("source", "date"):
        if not isinstance(data.get(key), str) or not data[key]:
            raise SnapshotError(f"{where}: {key!r} must be a non-empty string")
    if not _DATE.fullmatch(data["date"]):
        raise SnapshotError(f"{where}: 'date' must be YYYY-MM-DD, got {data['date']!r}")
    lists: dict[str, tuple[str, ...]] = {}
    for name in LISTS:
        items = data.get(name)
        if not isinstance(items, list) or not items:
            raise SnapshotError(f"{where}: {name!r} must be a non-empty list of ids")
        for index, item in enumerate(items):
            if not isinstance(item, str) or not _ID.fullmatch(item):
                raise SnapshotError(f"{where}: {name}[{index}] is not an id: {item!r}")
        if items != sorted(set(items)):
            raise SnapshotError(f"{where}: {name!r} must be sorted, each id once")
        lists[name] = tuple(items)
    return Snapshot(data["source"], data["date"], **lists)


def make(source: str, date: str, lists: dict[str, list[str] | tuple[str, ...]]) -> Snapshot:
    """A Snapshot of these lists, each sorted and without repeats."""
    return parse(
        {"source": source, "date": date, **{k: sorted(set(lists[k])) for k in LISTS}},
        f"the lists from {source}",
    )


def dumps(snapshot: Snapshot) -> str:
    """The snapshot's JSON text, one id a line, so a refresh reads as a small diff."""
    data = {"source": snapshot.source, "date": snapshot.date, **snapshot.lists()}
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def read(path: Path = SNAPSHOT_FILE) -> Snapshot:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise SnapshotError(f"{path}: cannot be read as JSON ({error})") from None
    return parse(data, str(path))


@functools.cache
def current() -> Snapshot:
    """The checked-in snapshot, read once per process."""
    return read(SNAPSHOT_FILE)


def from_tags_by_type(answer: Any, source: str, date: str) -> Snapshot:
    """A Snapshot from a Hub's `GET /api/models-tags-by-type` answer: {type: [{id, label, type,
    subType?}, ...]}; a license's id is `license:<id>`, the others are the id itself."""
    if not isinstance(answer, dict):
        raise SnapshotError(f"{source}: expected a JSON object of tag types")
    lists: dict[str, list[str] | tuple[str, ...]] = {}
    for name, kind in LISTS.items():
        entries = answer.get(kind)
        if not isinstance(entries, list):
            raise SnapshotError(f"{source}: no list of {kind!r} tags")
        ids: list[str] = []
        for entry in entries:
            tag = entry.get("id") if isinstance(entry, dict) else None
            if not isinstance(tag, str):
                raise SnapshotError(f"{source}: a {kind!r} tag without a string id: {entry!r}")
            ids.append(tag.removeprefix(f"{kind}:"))
        lists[name] = ids
    return make(source, date, lists)


def to_tags_by_type(snapshot: Snapshot) -> dict[str, list[dict[str, str]]]:
    """The snapshot as a Hub's `GET /api/models-tags-by-type` answers it (what the local Hub
    serves; from_tags_by_type reads it back to the same lists). A license's id is
    `license:<id>` and its label the bare id, as on the Hub; a task's label is its words
    capitalized ("Text Generation"), a library's its id (the Hub's own labels, such as
    "Transformers", are not in the snapshot)."""
    answer: dict[str, list[dict[str, str]]] = {}
    for name, kind in LISTS.items():
        entries: list[dict[str, str]] = []
        for tag in snapshot.lists()[name]:
            if kind == "license":
                entries.append({"id": f"license:{tag}", "label": tag, "type": kind})
            elif kind == "pipeline_tag":
                label = " ".join(word.capitalize() for word in tag.split("-"))
                entries.append({"id": tag, "label": label, "type": kind})
            else:
                entries.append({"id": tag, "label": tag, "type": kind})
        answer[kind] = entries
    return answer


def changes(old: Snapshot, new: Snapshot) -> dict[str, tuple[list[str], list[str]]]:
    """For each list that changed: (added, removed), each sorted."""
    found: dict[str, tuple[list[str], list[str]]] = {}
    for name, before in old.lists().items():
        after = new.lists()[name]
        added = sorted(set(after) - set(before))
        removed = sorted(set(before) - set(after))
        if added or removed:
            found[name] = (added, removed)
    return found
