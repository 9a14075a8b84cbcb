"""What a publish did, as the lines a person reads: one per repo, then the totals.

Presentation only: the CLI prints these lines; tests compare them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from pipeline.hub import CommitStatus, Target
from pipeline.ownership import Decision
from pipeline.plan import PlanEntry
from pipeline.publish import ApplyResult
from pipeline.safetext import printable

_STATUSES: tuple[CommitStatus, ...] = ("published", "proposed", "already", "stale", "failed")


def _where(commit_url: str | None, pr_url: str | None, target: Target) -> str:
    if target.local and commit_url:
        # The embedded Hub's URL ends with this run: name the commit instead.
        where = "commit " + commit_url.rsplit("/", 1)[-1][:12]
        if pr_url:
            where += " in pull request #" + pr_url.rsplit("/", 1)[-1]
        return where
    return pr_url or commit_url or ""


def apply_lines(result: ApplyResult, target: Target) -> list[str]:
    """A line per repo written (or not), in manifest order by outcome, then the totals.

    The URLs and messages come from the Hub's answers: printed escaped."""
    lines = [
        f"  {item.status:<9} {item.repo_id}  "
        f"{printable(_where(item.commit_url, item.pr_url, target))}"
        for item in result.with_status("published", "proposed")
    ]
    lines += [
        f"  {'up to date':<9} {item.repo_id}  ({printable(str(item.message))})"
        for item in result.with_status("already")
    ]
    lines += [
        f"  {item.status:<9} {item.repo_id}  {printable(str(item.message))}"
        for item in result.with_status("stale", "failed")
    ]
    counts = {s: len(result.with_status(s)) for s in _STATUSES}
    lines.append(
        f"Done on {target.display}: {counts['published']} published, "
        f"{counts['proposed']} proposed as pull requests, {len(result.unchanged)} unchanged, "
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
            f"Stopped: {len(result.left)} repo(s) left to publish. {result.stopped.message}."
        )
        if result.stopped.hint:
            lines.append(f"To resume: {result.stopped.hint}.")
    if result.interrupted:
        lines.append(
            f"Interrupted: {len(result.left)} repo(s) not started; what landed is listed above."
        )
    return lines


def left_lines(left: Sequence[PlanEntry], decisions: Mapping[str, Decision]) -> list[str]:
    """The drifted or adopted cards a policy left alone (or only proposed), and what to do."""
    lines = []
    for entry in left:
        how = "left as is" if decisions[entry.repo_id] == "skip" else "proposed, main untouched"
        flag = "--on-adopt" if entry.state == "adopt" else "--on-drift"
        lines.append(
            f"  {entry.state:<13} {entry.repo_id}  {how} ({flag} pr|overwrite to act on it)"
        )
    if left:
        lines.append(
            f"{len(left)} card(s) changed by someone else or never published by nb-release "
            "were left as the policy says; `nb-release history REPO` shows who changed what."
        )
    return lines
