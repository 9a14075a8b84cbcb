"""What a publish did, as the lines a person reads: one per repo, then the totals.

Presentation only: the CLI prints these lines; tests compare them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from pipeline.english import agrees, plural
from pipeline.hub.client import CommitResult, CommitStatus, Target
from pipeline.ownership import DRIFT_STATES, Decision
from pipeline.plan.model import PlanEntry
from pipeline.plan.publish import ApplyResult, ClosedPull, MergeNote
from pipeline.safetext import printable

_STATUSES: tuple[CommitStatus, ...] = ("published", "proposed", "already", "stale", "failed")
# What a line calls each outcome; "already": another run (or an earlier attempt) wrote the card.
_LABELS: dict[CommitStatus, str] = {
    "published": "published",
    "proposed": "proposed",
    "already": "up to date",
    "stale": "stale",
    "failed": "failed",
}
# The message of an "already" result that only repeats its label (hub/client.py, publish.py).
_UP_TO_DATE = "already up to date"


def _where(commit_url: str | None, pr_url: str | None, target: Target) -> str:
    if target.local and commit_url:
        # The embedded Hub's URL ends with this run: name the commit instead.
        where = "commit " + commit_url.rsplit("/", 1)[-1][:12]
        if pr_url:
            where += " in pull request #" + pr_url.rsplit("/", 1)[-1]
        return where
    return pr_url or commit_url or ""


def apply_lines(result: ApplyResult, target: Target) -> list[str]:
    """A line per repo written (or not), in the plan's order, then the totals.

    The URLs and messages come from the Hub's answers: printed escaped."""
    width = max((len(item.repo_id) for item in result.results), default=0)
    lines = [
        f"  {_label(item, result.merges.get(item.repo_id)):<10} {item.repo_id:<{width}}  "
        f"{printable(_detail(item, target, result.merges.get(item.repo_id)))}".rstrip()
        for item in result.results
    ]
    counts = {s: len(result.with_status(s)) for s in _STATUSES}
    merged = sum(
        1
        for item in result.with_status("published")
        if (note := result.merges.get(item.repo_id)) is not None and note.merged
    )
    published = f"{counts['published']} published" + (
        f" ({merged} merged with a hand edit)" if merged else ""
    )
    lines.append(
        f"Done on {target.display}: {published}, "
        f"{counts['proposed']} proposed as "
        f"{agrees(counts['proposed'], 'a pull request', 'pull requests')}, "
        f"{len(result.unchanged)} unchanged, "
        f"{counts['already']} already up to date, {counts['stale']} stale, "
        f"{counts['failed']} failed."
    )
    if counts["stale"]:
        lines.append(
            "Stale repos changed on the Hub after the plan was made; nothing was overwritten. "
            "Run the release again to diff against their new contents."
        )
    if result.stopped is not None:
        lines.append(
            f"Stopped: {plural(len(result.left), 'repo')} left to publish. "
            f"{result.stopped.message}."
        )
        if result.stopped.hint:
            lines.append(f"To resume: {result.stopped.hint}.")
    if result.interrupted:
        lines.append(
            f"Interrupted: {plural(len(result.left), 'repo')} not started; "
            "what landed is listed above."
        )
    return lines


def _label(item: CommitResult, note: MergeNote | None) -> str:
    if item.status == "published" and note is not None and note.merged:
        return "merged"
    return _LABELS[item.status]


def _detail(item: CommitResult, target: Target, note: MergeNote | None = None) -> str:
    if item.status in ("published", "proposed"):
        where = _where(item.commit_url, item.pr_url, target)
        if note is None:
            return where
        if note.merged:
            kept = (
                f"{plural(len(note.kept), 'hand commit')} kept" if note.kept else "hand edit kept"
            )
            return f"{where} ({kept})"
        # The hand's card stays on main; the rendered one waits in the pull request.
        return f"{where} (not merged: {note.conflict}; main left as is)"
    if item.status == "already" and item.message == _UP_TO_DATE:
        return ""  # the label says it
    if item.pr_url:  # a pull request's page, whatever else the result says
        return f"{item.message or ''}: {item.pr_url}".lstrip(": ")
    return str(item.message or "")


def left_lines(left: Sequence[PlanEntry], decisions: Mapping[str, Decision]) -> list[str]:
    """The drifted or adopted cards a policy left on main as they are, and what to do.

    A card only proposed as a pull request is named by its result line (apply_lines), not
    again here. The hints name what works from `make` too, which passes no flags of its own."""
    skipped = [entry for entry in left if decisions[entry.repo_id] == "skip"]
    width = max((len(entry.repo_id) for entry in skipped), default=0)
    lines = [f"  {entry.state:<13} {entry.repo_id:<{width}}  left as is" for entry in skipped]
    if not left:
        return lines
    proposed = len(left) - len(skipped)
    were = agrees(len(left), "was", "were")
    how = ""
    if proposed:
        count = "" if len(left) == 1 else f"{proposed} "
        how = f" ({count}proposed as {agrees(proposed, 'a pull request', 'pull requests')}"
        how += ", listed above)"
    lines.append(
        f"{plural(len(left), 'card')} changed by someone else or never published by nb-release "
        f"{were} left on main as the policy says{how}; `nb-release history REPO` "
        "(from make: `make history REPOS=REPO`) shows who changed what."
    )
    flags = dict.fromkeys(
        "--on-adopt pr" if entry.state == "adopt" else "--on-drift pr" for entry in skipped
    )
    drifted = [e.repo_id for e in skipped if e.state in DRIFT_STATES]
    if drifted:
        repos = " ".join(drifted)
        lines.append(
            "To keep a hand edit and make the next sync green: "
            f"`nb-release keep {repos}` (from make: `make keep REPOS='{repos}'`), then commit "
            "cards/edits/."
        )
    if flags:
        sync = " ".join(sorted(flags, reverse=True))  # --on-drift before --on-adopt
        lines.append(
            "To act on them (pr proposes, merge and overwrite publish): "
            f"`nb-release sync {sync}` (from make: `make sync SYNCFLAGS='{sync}'`)."
        )
    return lines


def closed_lines(closed: Sequence[ClosedPull]) -> list[str]:
    """A line per pull request of nb-release's that the run closed, or could not close."""
    width = max((len(item.repo_id) for item in closed), default=0)
    lines = []
    for item in closed:
        if item.error is None:
            lines.append(
                f"  {'closed':<10} {item.repo_id:<{width}}  pull request #{item.number}, no "
                f"longer needed: {item.url}"
            )
        else:
            lines.append(
                f"  {'not closed':<10} {item.repo_id:<{width}}  pull request #{item.number}: "
                f"{printable(item.error)} (close it on its page: {item.url})"
            )
    return lines
