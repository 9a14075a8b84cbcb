"""The collections of the manifest, read from the Hub, diffed (collection.py) and made so.

The digest of the state nb-release last wrote is kept in the local cache, per target and
collection (collection.py says why there and what happens without it). Making a collection so is
one request per difference, each safe to retry (hub/_collections.py); a run stopped half way
leaves a collection that the next run finishes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from pipeline.hub.client import Hub
from pipeline.manifest.sources import Sources, read_sources, toml_document
from pipeline.ownership import Policy
from pipeline.plan.collection import CollectionDiff, diff_collection, wanted_digest
from pipeline.plan.model import Plan
from pipeline.records import CollectionItemSpec, CollectionSpec, LiveItem

_KIND = "collection"


def _key(hub: Hub, spec: CollectionSpec) -> str:
    return f"{hub.target.cache_key}\n{spec.owner.lower()}\n{spec.title}"


def _last_written(hub: Hub, spec: CollectionSpec) -> str | None:
    if hub.cache is None:
        return None
    found = hub.cache.get(_KIND, _key(hub, spec))
    return found.decode() if found else None


def _record(hub: Hub, spec: CollectionSpec) -> None:
    if hub.cache is not None:
        hub.cache.put(_KIND, _key(hub, spec), wanted_digest(spec).encode())


def planned_collections(
    sources: Sources, hub: Hub, plan: Plan | None = None
) -> tuple[CollectionDiff, ...]:
    """The manifest's collections against the Hub; nothing read when the manifest has no
    `[[collections]]`. With the `plan` made from these very bytes (same fingerprint), its
    variants name the items' repos and the manifest is not validated again: a plan from cached
    renders loads no pydantic. Otherwise the manifest is loaded, and its errors are located."""
    files = read_sources(sources.manifest, sources.cards)
    document = toml_document(files.manifest_bytes, shared=True)  # read only
    if document is None:
        document = {"collections": True}  # load_manifest reports it, located
    if not document.get("collections"):
        return ()
    specs = None
    if plan is not None and plan.fingerprint == files.fingerprint:
        specs = _validated_specs(document["collections"], plan)
    if specs is None:
        from pipeline.manifest.model import load_manifest

        specs = load_manifest(sources.manifest).collections
    return plan_collections(specs, hub)


def _validated_specs(entries: object, plan: Plan) -> tuple[CollectionSpec, ...] | None:
    """The `[[collections]]` of bytes that validated, read as they are; None when an item names
    a variant the plan lacks (a selection), or the shape is not what validation lets through."""
    repo_ids = {entry.variant: entry.repo_id for entry in plan.entries}
    if not isinstance(entries, list):
        return None
    specs = []
    for index, entry in enumerate(entries):
        if not isinstance(entry, dict) or not isinstance(entry.get("items", []), list):
            return None
        items = []
        for item in entry.get("items", []):
            if not isinstance(item, dict):
                return None
            variant, note = item.get("variant"), item.get("note")
            repo_id = repo_ids.get(variant) if isinstance(variant, str) else item.get("repo")
            if not isinstance(repo_id, str):
                return None
            items.append(CollectionItemSpec(repo_id, note, variant))
        owner, title = entry.get("owner"), entry.get("title")
        if not isinstance(owner, str) or not isinstance(title, str):
            return None
        specs.append(CollectionSpec(owner, title, entry.get("description"), tuple(items), index))
    return tuple(specs)


def plan_collections(specs: Sequence[CollectionSpec], hub: Hub) -> tuple[CollectionDiff, ...]:
    """Each collection of the manifest against the Hub (one listing and one read each)."""
    diffs = []
    for spec in specs:
        live = hub.collections.find(spec.owner, spec.title)
        diff = diff_collection(spec, live, _last_written(hub, spec))
        if diff.state == "unchanged":
            _record(hub, spec)  # the Hub holds the render: a later hand edit is drift
        diffs.append(diff)
    return tuple(diffs)


@dataclass(frozen=True)
class CollectionOutcome:
    diff: CollectionDiff
    writes: int
    left: bool  # drift left as the policy says


def _apply(hub: Hub, diff: CollectionDiff) -> int:
    spec, live = diff.spec, diff.live
    writes = 0
    if live is None:
        slug = hub.collections.create(spec.owner, spec.title, spec.description)
        writes += 1
        live = hub.collections.read(slug)
    slug = live.slug
    if live.title != spec.title or (live.description or None) != (spec.description or None):
        hub.collections.update_metadata(slug, spec.title, spec.description)
        writes += 1
    wanted = {i.repo_id.lower(): i for i in spec.items}
    for item in live.items:
        if item.repo_id.lower() not in wanted:
            hub.collections.delete_item(slug, item.object_id)
            writes += 1
    have = {i.repo_id.lower() for i in live.items}
    for want in spec.items:
        if want.repo_id.lower() not in have:
            hub.collections.add_item(slug, want.repo_id, want.note)
            writes += 1
    current = list(hub.collections.read(slug).items) if writes else list(live.items)
    current = [i for i in current if i.repo_id.lower() in wanted]
    for position, want in enumerate(spec.items):
        index = next(n for n, i in enumerate(current) if i.repo_id.lower() == want.repo_id.lower())
        item = current[index]
        note_differs = (item.note or None) != (want.note or None)
        moved = index != position
        if note_differs or moved:
            hub.collections.update_item(
                slug,
                item.object_id,
                note=(want.note or "") if note_differs else None,
                position=position if moved else None,
            )
            writes += 1
            current.pop(index)
            current.insert(position, LiveItem(item.object_id, item.repo_id, want.note))
    return writes


def apply_collections(
    hub: Hub, diffs: Sequence[CollectionDiff], on_drift: Policy
) -> tuple[CollectionOutcome, ...]:
    """Make each collection so; drift only under `overwrite` (a collection has no pull request
    and no merge on the Hub: `pr` and `merge` leave it as `skip` does, and say so)."""
    outcomes = []
    for diff in diffs:
        if diff.state == "unchanged" or (diff.state == "drift" and on_drift != "overwrite"):
            outcomes.append(CollectionOutcome(diff, 0, diff.state == "drift"))
            continue
        writes = _apply(hub, diff)
        _record(hub, diff.spec)
        outcomes.append(CollectionOutcome(diff, writes, False))
    return tuple(outcomes)


def outcome_lines(outcomes: Sequence[CollectionOutcome], on_drift: Policy) -> list[str]:
    lines = []
    for outcome in outcomes:
        label = outcome.diff.label
        if outcome.left:
            why = (
                f"--on-drift {on_drift} has no Hub equivalent for a collection: left as skip"
                if on_drift in ("pr", "merge")
                else "left as the policy says (skip)"
            )
            lines.append(f"  drift {label}: edited on the Hub since nb-release wrote it; {why}")
        elif outcome.writes:
            lines.append(f"  collection {label}: {outcome.writes} changes made")
    return lines
