"""The commands that publish through the Hub: apply, release, sync.

Each takes its frozen options record and a console, calls the core (publish.py, report.py) and
returns an exit status; errors are raised as PipelineError for cli.main to report. The steps they
share with plan and preview (the run's Cache and Hub, the plan, the reports) are in plumbing.py.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence

from rich.console import Console

from pipeline.cli._plumbing import (
    append_step_summary,
    check_writes,
    make_plan,
    new_cache,
    open_target,
    verify_step,
    write_reports,
)
from pipeline.cli.options import ApplyOptions, PublishOptions, ReleaseOptions, SyncOptions
from pipeline.cli.run_collections import collection_step, combined
from pipeline.cli.terminal import ask, confirmed, progress, stderr_console
from pipeline.english import agrees, plural
from pipeline.exitcodes import (
    EXIT_DRIFT,
    EXIT_INTERRUPTED,
    EXIT_MISMATCH,
    EXIT_OK,
    EXIT_PARTIAL,
    EXIT_PENDING,
)
from pipeline.hub.client import Hub
from pipeline.manifest.selection import Selection
from pipeline.ownership import (
    ERROR_ACTIONS,
    POLICIES,
    Decision,
    Policies,
    decision_of,
    leaves,
    policy_letter,
    policy_of_letter,
    policy_prompt,
    resolve_policy,
    writes,
)
from pipeline.plan.collection_apply import planned_collections
from pipeline.plan.collection_report import Collections, dry_run_status
from pipeline.plan.model import Plan, PlanEntry, decide_all
from pipeline.plan.outcome import apply_lines, closed_lines, left_lines
from pipeline.plan.planfile import read_plan
from pipeline.plan.publish import (
    apply_decided,
    check_integrity,
    check_plan,
    close_pulls,
    merges_as_carried_out,
    unverified,
)
from pipeline.plan.report import Decided, overwritten_lines, render_text


def publish_decided(
    plan: Plan,
    hub: Hub,
    decisions: dict[str, Decision],
    publish: PublishOptions,
    console: Console,
    doubtful: Sequence[PlanEntry] = (),
) -> tuple[int, frozenset[str]]:
    """Publish per decision; exit 3 if partly done, 4 if drift or adoption was left, else 0;
    and the repos whose card on main is not meant to be the render (left as the policy says,
    proposed, stale, failed), which the verify step leaves out."""
    writing = [e for e in plan.changes if writes(decisions[e.repo_id])]
    with progress(stderr_console(), "Publishing") as (start, advance):
        start(len(writing), 0)
        result = apply_decided(
            plan, hub, decisions, create_pr=publish.create_pr, jobs=publish.jobs, on_done=advance
        )
    for line in apply_lines(result.applied, hub.target):
        console.print(line, markup=False)
    for line in closed_lines(close_pulls(plan, hub, result.applied)):
        console.print(line, markup=False)
    published = {r.repo_id for r in result.applied.with_status("published")}
    for line in overwritten_lines(plan, published):
        console.print(line, markup=False)
    if result.applied.interrupted:
        return EXIT_INTERRUPTED, frozenset()
    done = result.decisions  # a merge that conflicted went to nb-release's pull request
    left = [e for e in (*plan.drifted, *plan.adopted, *doubtful) if leaves(done[e.repo_id])]
    for line in left_lines(left, done):
        console.print(line, markup=False)
    applied = result.applied
    counts = {s: len(applied.with_status(s)) for s in ("published", "proposed", "stale", "failed")}
    append_step_summary(
        f"**Outcome: {counts['published']} published, {counts['proposed']} proposed as "
        f"{agrees(counts['proposed'], 'a pull request', 'pull requests')}, "
        f"{plural(len(left), 'drifted or adopted card')} left as the policy says, "
        f"{counts['stale']} stale, {counts['failed']} failed.**\n"
    )
    # Not the render on main: left alone, proposed (or already proposed), not written (also
    # not started: a quota or Ctrl-C stopped the run first), or a merge that keeps a hand edit.
    off_main = ("proposed", "stale", "failed", "already") if publish.create_pr else ("proposed",)
    unsettled = frozenset(
        {e.repo_id for e in left}
        | set(applied.left)
        | {r.repo_id for r in applied.with_status(*off_main, "stale", "failed")}
        | {repo_id for repo_id, decision in done.items() if decision == "merge"}
    )
    if not result.complete:
        return EXIT_PARTIAL, unsettled
    return (EXIT_DRIFT if left else EXIT_OK), unsettled


def then_verify(
    status: int,
    unsettled: frozenset[str],
    hub: Hub,
    plan: Plan,
    options: ApplyOptions | ReleaseOptions | SyncOptions,
    console: Console,
    selection: Selection,
    title: str,
) -> int:
    """The verify step after publishing (not with --no-verify, nor after an interrupt): what the
    Hub parsed of each card that is meant to be the render. A mismatch makes the status 5 where
    the run would otherwise end 0 or 4; a partial run (3) keeps its status."""
    if not options.checks.verify or status == EXIT_INTERRUPTED:
        return status
    only = [
        e.repo_id
        for e in plan.entries
        if e.repo_id not in unsettled and e.action not in ERROR_ACTIONS
    ]
    ok = verify_step(hub, options.sources, selection, console, only=only, title=title)
    return EXIT_MISMATCH if not ok and status in (EXIT_OK, EXIT_DRIFT) else status


def finish(
    status: int,
    unsettled: frozenset[str],
    hub: Hub,
    plan: Plan,
    options: ApplyOptions | ReleaseOptions | SyncOptions,
    console: Console,
    selection: Selection,
    title: str,
    *,
    collections: Collections | None = None,
    shown: bool = False,
) -> int:
    """After the cards: the collections (when the cards ended 0 or 4; those of the run's report,
    when it made one), then the verify step."""
    if status in (EXIT_OK, EXIT_DRIFT):
        on_drift = options.policies.on_drift
        planned = None if collections is None else collections.diffs
        kept = collection_step(
            options.sources, hub, on_drift, "skip", console, planned=planned, shown=shown
        )
        status = combined(status, kept)
    return then_verify(status, unsettled, hub, plan, options, console, selection, title)


# --- the commands -------------------------------------------------------------------------------


def apply_command(options: ApplyOptions, console: Console) -> int:
    source = str(options.plan_file)
    plan = read_plan(options.plan_file)
    check_plan(plan, options.hub.label, source)
    cache = new_cache(options.hub)
    check_integrity(plan, options.sources, source, cache)
    policies = options.policies
    if not plan.has_changes:
        console.print(f"{source}: no card to publish.")
        with open_target(options.hub, cache) as hub:
            return collection_step(options.sources, hub, policies.on_drift, "skip", console)
    decisions = decide_all(
        plan, policies.on_drift, policies.on_adopt, Policies("skip", "overwrite")
    )
    with open_target(options.hub, cache) as hub:
        doubtful = unverified(plan, hub)
        for entry in doubtful:
            # Pending on the word of someone else's commit: it is drift until shown otherwise.
            drift = resolve_policy(policies.on_drift, entry.on_drift, default="skip")
            decisions[entry.repo_id] = decision_of(drift)
            authors = (
                ", ".join(entry.owner.published.authors)
                if entry.owner and entry.owner.published
                else "?"
            )
            console.print(
                f"  unverified {entry.repo_id}  the plan took a commit by {authors} as "
                "nb-release's; its author is not this token's user: treated as drift",
                markup=False,
            )
        check_writes(hub, plan, decisions, options.checks)
        status, unsettled = publish_decided(
            plan, hub, decisions, options.publish, console, doubtful
        )
        return finish(
            status, unsettled, hub, plan, options, console, Selection(), "nb-release apply"
        )


ASKS = 3  # answers the drift prompt takes before it skips the card


def _ask_policy(entry: PlanEntry, console: Console) -> Decision:
    """Ask what to do with a drifted or adopted card. Who changed it was shown once, in the
    report above; only the prompt's own letters are taken (an empty answer is the default,
    skip), and after ASKS other answers the card is skipped."""
    letters = [policy_letter(p) for p in POLICIES]
    console.print(f"{entry.repo_id}: {entry.state} (shown above)", markup=False)
    for _ in range(ASKS):
        answer = ask(console, f"  {policy_prompt()}").strip().lower()
        if not answer:
            return decision_of("skip")
        chosen = policy_of_letter(answer)
        if chosen is not None:
            return decision_of(chosen)
        choices = ", ".join(letters)
        console.print(
            f"  {answer!r} is not one of {choices}; press Enter for s (skip)", markup=False
        )
    console.print(f"  no answer among {', '.join(letters)}: {entry.repo_id} skipped", markup=False)
    return decision_of("skip")


def release_command(options: ReleaseOptions, console: Console) -> int:
    with open_target(options.hub, new_cache(options.hub)) as hub:
        plan = make_plan(options.sources, options.selection, options.hub.label, hub, confirm=True)
        policies = options.policies
        decisions = decide_all(
            plan, policies.on_drift, policies.on_adopt, Policies("skip", "overwrite")
        )
        # Before any answer at the terminal: the report says what `release --yes` would do.
        collections = Collections(
            planned_collections(options.sources, hub, plan), policies.on_drift
        )
        full = write_reports(
            plan, options.reports, "nb-release release", Decided("release", decisions), collections
        )
        if not plan.has_changes and not plan.errors:
            count = len(plan.entries)
            cards = "the 1 card" if count == 1 else f"all {count} cards"
            console.print(
                f"Nothing to publish: {cards} on {hub.target.display} "
                f"{agrees(count, 'matches', 'match')} the manifest."
            )
            if options.yes:
                for line in closed_lines(close_pulls(plan, hub)):
                    console.print(line, markup=False)
            return finish(
                EXIT_OK,
                frozenset(),
                hub,
                plan,
                options,
                console,
                options.selection,
                "nb-release release",
                collections=collections,
            )
        render_text(
            plan,
            console,
            summary=options.reports.summary,
            full_report=full,
            collections=collections,
        )
        # Refuses the whole plan, before any write, if a repo is missing.
        check_plan(plan, options.hub.label, str(options.sources.manifest))
        asked = (
            []
            if options.yes
            else [
                e.repo_id
                for e in (*plan.drifted, *plan.adopted)
                if (policies.on_drift if e.state != "adopt" else policies.on_adopt) is None
            ]
        )
        check_writes(hub, plan, decisions, options.checks, asked)
        if not options.yes:
            if not sys.stdin.isatty():
                console.print("Not publishing: no terminal to confirm on. Pass --yes to publish.")
                return EXIT_PENDING
            for entry in (*plan.drifted, *plan.adopted):
                if (policies.on_drift if entry.state != "adopt" else policies.on_adopt) is None:
                    decisions[entry.repo_id] = _ask_policy(entry, console)
            count = sum(1 for e in plan.changes if writes(decisions[e.repo_id]))
            cards = plural(count, "card")
            if not confirmed(console, f"Publish {cards} to {hub.target.display}? [y/N] "):
                console.print("Nothing published.")
                return EXIT_PENDING
        status, unsettled = publish_decided(plan, hub, decisions, options.publish, console)
        return finish(
            status,
            unsettled,
            hub,
            plan,
            options,
            console,
            options.selection,
            "nb-release release",
            collections=collections,
            shown=True,
        )


def sync_command(options: SyncOptions, console: Console) -> int:
    with open_target(options.hub, new_cache(options.hub), read_only=options.dry_run) as hub:
        plan = make_plan(options.sources, options.selection, options.hub.label, hub, confirm=True)
        policies = options.policies
        decisions = decide_all(plan, policies.on_drift, policies.on_adopt, Policies("skip", "skip"))
        collections = Collections(
            planned_collections(options.sources, hub, plan), policies.on_drift
        )
        full = write_reports(
            plan, options.reports, "nb-release sync", Decided("sync", decisions), collections
        )
        render_text(
            plan,
            console,
            summary=options.reports.summary,
            full_report=full,
            collections=collections,
        )
        console.print(f"Target: {hub.target.display}", markup=False)
        # Refuses the whole run, before any write, if a repo is missing.
        check_plan(plan, options.hub.label, str(options.sources.manifest))
        check_writes(hub, plan, decisions, options.checks)
        if options.dry_run:
            # A merge that would conflict is proposed instead: the real run would leave it.
            carried, unmerged = merges_as_carried_out(plan, hub, decisions)
            for repo_id, why in unmerged.items():
                console.print(
                    f"  {repo_id}: would not merge ({why}); a real run proposes it as "
                    "nb-release's pull request and leaves main as it is",
                    markup=False,
                )
            writing = any(writes(carried[e.repo_id]) for e in plan.changes)
            console.print("Dry run: nothing published.", markup=False)
            return dry_run_status(
                _left(plan, carried), writing, collections.diffs, policies.on_drift
            )
        status, unsettled = publish_decided(plan, hub, decisions, options.publish, console)
        return finish(
            status,
            unsettled,
            hub,
            plan,
            options,
            console,
            options.selection,
            "nb-release sync",
            collections=collections,
            shown=True,
        )


def _left(plan: Plan, decisions: Mapping[str, Decision]) -> bool:
    return any(leaves(decisions[e.repo_id]) for e in (*plan.drifted, *plan.adopted))
