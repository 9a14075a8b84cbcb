"""Pure: a collection as the manifest wants it against the collection on the Hub -> its diff.

What differs: the collection to create, items added, removed, moved, notes changed, the title or
the description changed. Whether a difference is pending (the manifest changed) or drift (a
hand edit on the Hub since nb-release's last write) is decided so:

- the live collection equals the render: unchanged;
- it does not exist: create;
- it equals what nb-release last wrote to it (the state's digest, kept in the local cache by the
  run that wrote it): every difference is the manifest's, so pending;
- otherwise, when every difference is an item of the render missing from the end of the live
  list (a new variant, or a run stopped between the card commits and the collection update,
  a SIGKILL or a fault), pending: adding an item at the end never undoes a hand edit;
- anything else is drift: an item moved, removed, added by hand or a note or title edited, and
  nb-release cannot prove it wrote that state. A CI machine has no cache: there a reorder in the
  manifest is reported as drift too, and `--on-drift overwrite` makes it so. This errs on the
  side of never undoing a hand edit unasked, as the cards do.

The digest is not kept on the Hub (in the description, say): the description is the user's
text, shown on the collection's page.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Literal

from pipeline.records import CollectionSpec, LiveCollection

CollectionState = Literal["create", "pending", "unchanged", "drift"]
ChangeKind = Literal["create", "add", "remove", "move", "note", "title", "description"]


@dataclass(frozen=True)
class CollectionChange:
    kind: ChangeKind
    what: str  # a repo id, or the collection's title
    detail: str  # e.g. "position 3 -> 0", the new note


@dataclass(frozen=True)
class CollectionDiff:
    spec: CollectionSpec
    live: LiveCollection | None
    state: CollectionState
    changes: tuple[CollectionChange, ...]

    @property
    def label(self) -> str:
        return f"{self.spec.owner}/{self.spec.title}"


def digest(title: str, description: str | None, items: list[tuple[str, str | None]]) -> str:
    """The state of a collection that nb-release manages, as one digest (ids without case)."""
    data = [title, description or None, [[r.lower(), n or None] for r, n in items]]
    return hashlib.sha256(json.dumps(data).encode()).hexdigest()


def wanted_digest(spec: CollectionSpec) -> str:
    return digest(spec.title, spec.description, [(i.repo_id, i.note) for i in spec.items])


def live_digest(live: LiveCollection) -> str:
    return digest(live.title, live.description, [(i.repo_id, i.note) for i in live.items])


def _changes(spec: CollectionSpec, live: LiveCollection) -> list[CollectionChange]:
    changes: list[CollectionChange] = []
    if live.title != spec.title:
        changes.append(CollectionChange("title", spec.title, f"{live.title!r} -> {spec.title!r}"))
    if (live.description or None) != (spec.description or None):
        changes.append(CollectionChange("description", spec.title, repr(spec.description or "")))
    wanted = [i.repo_id.lower() for i in spec.items]
    have = [i.repo_id.lower() for i in live.items]
    live_notes = {i.repo_id.lower(): i.note for i in live.items}
    for item in live.items:
        if item.repo_id.lower() not in wanted:
            changes.append(CollectionChange("remove", item.repo_id, ""))
    kept = [r for r in have if r in wanted]
    order = [r for r in wanted if r in kept]
    for position, want in enumerate(spec.items):
        key = want.repo_id.lower()
        if key not in live_notes:
            changes.append(CollectionChange("add", want.repo_id, f"at position {position}"))
            continue
        if kept.index(key) != order.index(key):
            changes.append(
                CollectionChange("move", want.repo_id, f"{have.index(key)} -> {position}")
            )
        if (live_notes[key] or None) != (want.note or None):
            changes.append(CollectionChange("note", want.repo_id, repr(want.note or "")))
    return changes


def _only_added_at_end(spec: CollectionSpec, live: LiveCollection) -> bool:
    have = [(i.repo_id.lower(), i.note or None) for i in live.items]
    wanted = [(i.repo_id.lower(), i.note or None) for i in spec.items]
    return (
        live.title == spec.title
        and (live.description or None) == (spec.description or None)
        and wanted[: len(have)] == have
    )


def diff_collection(
    spec: CollectionSpec, live: LiveCollection | None, last_written: str | None
) -> CollectionDiff:
    """The diff, and its state by the rule of this module's docstring; `last_written` is the
    digest nb-release recorded at its last write of this collection, if known."""
    if live is None:
        adds = tuple(
            CollectionChange("add", i.repo_id, f"at position {n}") for n, i in enumerate(spec.items)
        )
        return CollectionDiff(
            spec, None, "create", (CollectionChange("create", spec.title, ""), *adds)
        )
    changes = tuple(_changes(spec, live))
    if not changes and live_digest(live) == wanted_digest(spec):
        return CollectionDiff(spec, live, "unchanged", ())
    ours = last_written is not None and live_digest(live) == last_written
    state: CollectionState = "pending" if ours or _only_added_at_end(spec, live) else "drift"
    return CollectionDiff(spec, live, state, changes)
