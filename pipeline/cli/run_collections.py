"""The collections step of apply, release and sync: after the cards, the manifest's collections
made so (plan/collection_apply.py), drift left unless the policy is overwrite."""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Console

from pipeline.exitcodes import EXIT_DRIFT, EXIT_OK
from pipeline.hub.client import Hub
from pipeline.manifest.sources import Sources
from pipeline.ownership import Policy
from pipeline.plan.collection import CollectionDiff
from pipeline.plan.collection_apply import apply_collections, outcome_lines, planned_collections
from pipeline.plan.collection_report import text_lines


def collection_step(
    sources: Sources,
    hub: Hub,
    on_drift: Policy | None,
    default: Policy,
    console: Console,
    *,
    planned: Sequence[CollectionDiff] | None = None,
    shown: bool = False,
) -> int:
    """Exit 4 when a drifted collection was left, else 0. `planned`: the diffs the run's report
    was made from (they are carried out, not read again); `shown`: that report was printed."""
    diffs = planned_collections(sources, hub) if planned is None else tuple(planned)
    if not diffs:
        return EXIT_OK
    for line in [] if shown else text_lines([d for d in diffs if d.state != "unchanged"]):
        console.print(line, markup=False)
    policy = on_drift or default
    outcomes = apply_collections(hub, diffs, policy)
    for line in outcome_lines(outcomes, policy):
        console.print(line, markup=False)
    return EXIT_DRIFT if any(o.left for o in outcomes) else EXIT_OK


def combined(status: int, collections: int) -> int:
    """The cards' status, or 4 when only a collection's drift was left."""
    return collections if status == EXIT_OK else status
