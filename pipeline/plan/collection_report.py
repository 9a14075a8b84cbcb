"""The collections' part of every report: text, Markdown, JSON, the preview's section, and what
they add to a run's exit status.

A collection's state is `unchanged`, `pending` (the manifest changed it), `create` or `drift`
(edited on the Hub since nb-release wrote it; collection.py says how that is told). Pending
and create are written by apply, sync and release; drift only under `--on-drift overwrite`
(a collection has no pull request and no merge on the Hub).
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pipeline.exitcodes import EXIT_DRIFT, EXIT_OK, EXIT_PENDING
from pipeline.ownership import Policy
from pipeline.plan.collection import CollectionChange, CollectionDiff
from pipeline.safetext import printable


@dataclass(frozen=True)
class Collections:
    """The collections of a run's report: their diffs and the drift policy the run applies
    (None: the default, skip)."""

    diffs: tuple[CollectionDiff, ...] = ()
    on_drift: Policy | None = None


NO_COLLECTIONS = Collections()


_WHAT = {
    "create": "create the collection",
    "add": "add",
    "remove": "remove",
    "move": "move",
    "note": "note of",
    "title": "title",
    "description": "description",
}


def written(diff: CollectionDiff, on_drift: Policy | None) -> bool:
    """Whether a run under `on_drift` (None: the default, skip) writes this collection."""
    if diff.state in ("pending", "create"):
        return True
    return diff.state == "drift" and on_drift == "overwrite"


def left(diff: CollectionDiff, on_drift: Policy | None) -> bool:
    """A drifted collection the run leaves as it is."""
    return diff.state == "drift" and on_drift != "overwrite"


def change_text(change: CollectionChange) -> str:
    """`add NbAiLab/x at position 3`, `move NbAiLab/x 5 -> 0`, `note of NbAiLab/x: 'new'`."""
    if change.kind == "create":
        return printable(f"create the collection {change.what!r}")
    if change.kind in ("title", "description"):
        return printable(f"{change.kind}: {change.detail}")
    if change.kind == "note":
        return printable(f"note of {change.what}: {change.detail}")
    return printable(f"{_WHAT[change.kind]} {change.what} {change.detail}".rstrip())


def heading(diff: CollectionDiff) -> str:
    """`collection NbAiLab/NB-Llama 3.x: pending (2 changes)`."""
    count = len(diff.changes)
    changes = "" if not count else f" ({count} change{'s' if count != 1 else ''})"
    return printable(f"collection {diff.label}: {diff.state}{changes}")


_DRIFT_NOTE = (
    "edited on the Hub since nb-release wrote it (or this machine has no record of "
    "nb-release's last write): left unless --on-drift overwrite"
)


def text_lines(diffs: Sequence[CollectionDiff]) -> list[str]:
    """The collections' section of the text report: a heading per collection, its changes."""
    if not diffs:
        return []
    lines = ["Collections:"]
    for diff in diffs:
        lines.append(f"  {heading(diff)}")
        if diff.state == "drift":
            lines.append(f"    {_DRIFT_NOTE}")
        lines.extend(f"    {change_text(c)}" for c in diff.changes)
    return lines


def _code(text: str) -> str:
    ticks = "``" if "`" in text else "`"
    return f"{ticks} {text} {ticks}" if ticks == "``" else f"`{text}`"


def markdown_lines(diffs: Sequence[CollectionDiff]) -> list[str]:
    """The collections' section of the Markdown report (a PR comment, the job summary)."""
    if not diffs:
        return []
    lines = ["### Collections", "", "| Collection | State | Changes |", "| --- | --- | ---: |"]
    for diff in diffs:
        label = _code(printable(diff.label)).replace("|", "\\|")
        lines.append(f"| {label} | {diff.state} | {len(diff.changes)} |")
    lines.append("")
    for diff in diffs:
        if not diff.changes:
            continue
        lines += [f"{_code(heading(diff))}  "]
        if diff.state == "drift":
            lines.append(f"{_DRIFT_NOTE}  ")
        lines += [f"- {_code(change_text(c))}" for c in diff.changes]
        lines.append("")
    return lines


def json_collections(collections: Collections) -> list[Any]:
    """The report's top-level `collections` (docs/plan-schema.md)."""
    on_drift = collections.on_drift
    return [
        {
            "owner": diff.spec.owner,
            "title": diff.spec.title,
            "slug": diff.live.slug if diff.live else None,
            "state": diff.state,
            "writes": written(diff, on_drift),
            "changes": [{"kind": c.kind, "what": c.what, "detail": c.detail} for c in diff.changes],
        }
        for diff in collections.diffs
    ]


def html_section(diffs: Sequence[CollectionDiff]) -> str:
    """The preview page's section: a collection per table, its changes in order."""
    if not diffs:
        return ""
    parts = ['<section id="collections"><h2>Collections</h2>']
    for diff in diffs:
        parts.append(
            f'<h3 data-state="{html.escape(diff.state, quote=True)}">'
            f"{html.escape(heading(diff))}</h3>"
        )
        if diff.state == "drift":
            parts.append(f"<p>{html.escape(_DRIFT_NOTE)}</p>")
        if diff.changes:
            rows = "".join(
                f"<tr><td>{html.escape(c.kind)}</td><td>{html.escape(change_text(c))}</td></tr>"
                for c in diff.changes
            )
            parts.append(
                '<table class="collection"><thead><tr><th>change</th><th>what</th></tr></thead>'
                f"<tbody>{rows}</tbody></table>"
            )
    parts.append("</section>")
    return "".join(parts)


def planned_status(status: int, diffs: Sequence[CollectionDiff], on_drift: Policy | None) -> int:
    """A plan's status with its collections: 2 when a collection would be written and the cards
    would not be (0); a drifted collection left as the policy says is reported, not pending."""
    if status == EXIT_OK and any(written(d, on_drift) for d in diffs):
        return EXIT_PENDING
    return status


def dry_run_status(
    cards_left: bool, cards_writing: bool, diffs: Sequence[CollectionDiff], on_drift: Policy | None
) -> int:
    """sync --dry-run's status: 4 when drift (a card's or a collection's) would be left, else 2
    when anything would be written, else 0."""
    if cards_left or any(left(d, on_drift) for d in diffs):
        return EXIT_DRIFT
    if cards_writing or any(written(d, on_drift) for d in diffs):
        return EXIT_PENDING
    return EXIT_OK
