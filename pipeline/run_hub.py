"""The commands that read or publish through the Hub: plan, preview, apply, release, sync.

Each takes its frozen options record and a console, calls the core (publish.py, report.py) and
returns an exit status; errors are raised as PipelineError for cli.main to report.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from contextlib import AbstractContextManager

from rich.console import Console

from pipeline import preview
from pipeline.atomic import write_text_atomically
from pipeline.cache import Cache
from pipeline.errors import PipelineError
from pipeline.exitcodes import (
    EXIT_DRIFT,
    EXIT_ERROR,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_PARTIAL,
    EXIT_PENDING,
)
from pipeline.hub import Hub, open_hub
from pipeline.options import (
    ApplyOptions,
    HubOptions,
    PlanOptions,
    PreviewOptions,
    PublishOptions,
    ReleaseOptions,
    ReportOptions,
    SyncOptions,
)
from pipeline.outcome import apply_lines, left_lines
from pipeline.ownership import Decision, Policies
from pipeline.plan import Plan, PlanEntry
from pipeline.planfile import read_plan, write_plan
from pipeline.planning import build_plan
from pipeline.publish import apply_decided, check_integrity, check_plan, decide_all
from pipeline.report import ownership_lines, render_json, render_markdown, render_text
from pipeline.selection import Selection
from pipeline.sources import Sources
from pipeline.terminal import ask, confirmed, progress, stderr_console

# --- shared steps -------------------------------------------------------------------------------


def open_target(hub: HubOptions, read_only: bool = False) -> AbstractContextManager[Hub]:
    return open_hub(
        hub.label,
        hub.root,
        max_wait=hub.max_wait,
        timeout=hub.timeout,
        read_only=read_only,
        cache=cache_of(hub),
    )


def cache_of(hub: HubOptions) -> Cache | None:
    return Cache() if hub.cache else None


def make_plan(sources: Sources, selection: Selection, options: HubOptions, hub: Hub) -> Plan:
    with progress(stderr_console(), "Reading live cards") as (start, advance):
        return build_plan(
            sources, selection, hub, options.label, advance, start, cache=cache_of(options)
        )


def write_reports(plan: Plan, reports: ReportOptions, title: str) -> str | None:
    """--report-json, --report-md and $GITHUB_STEP_SUMMARY; returns where the full report is."""
    where: str | None = None
    if reports.json_file is not None:
        write_text_atomically(reports.json_file, render_json(plan))
    if reports.md_file is not None:
        write_text_atomically(
            reports.md_file, render_markdown(plan, limit=sys.maxsize, title=title)
        )
        where = str(reports.md_file)
    if os.environ.get("GITHUB_STEP_SUMMARY"):
        artifact = where and f"{where} (in the run's artifacts, if uploaded)"
        append_step_summary(render_markdown(plan, full_report=artifact or None, title=title))
    return where


def append_step_summary(text: str) -> None:
    """Append to $GITHUB_STEP_SUMMARY when a GitHub runner set it (else nothing)."""
    summary_file = os.environ.get("GITHUB_STEP_SUMMARY")
    if not summary_file:
        return
    try:
        with open(summary_file, "a", encoding="utf-8") as handle:
            handle.write(text)
    except OSError as exc:
        raise PipelineError(
            f"cannot append to GITHUB_STEP_SUMMARY ({summary_file}): {exc.strerror}"
        ) from None


def publish_decided(
    plan: Plan,
    hub: Hub,
    decisions: dict[str, Decision],
    publish: PublishOptions,
    console: Console,
) -> int:
    """Publish per decision; exit 3 if partly done, 4 if drift or adoption was left, else 0."""
    writing = [e for e in plan.changes if decisions[e.repo_id] in ("publish", "pr")]
    with progress(stderr_console(), "Publishing") as (start, advance):
        start(len(writing))
        result = apply_decided(
            plan, hub, decisions, create_pr=publish.create_pr, jobs=publish.jobs, on_done=advance
        )
    for line in apply_lines(result.applied, hub.target):
        console.print(line, markup=False)
    if result.applied.interrupted:
        return EXIT_INTERRUPTED
    left = [e for e in (*plan.drifted, *plan.adopted) if decisions[e.repo_id] in ("skip", "pr")]
    for line in left_lines(left, decisions):
        console.print(line, markup=False)
    applied = result.applied
    counts = {s: len(applied.with_status(s)) for s in ("published", "proposed", "stale", "failed")}
    append_step_summary(
        f"**Outcome: {counts['published']} published, {counts['proposed']} proposed as pull "
        f"requests, {len(left)} drifted or adopted card(s) left as the policy says, "
        f"{counts['stale']} stale, {counts['failed']} failed.**\n"
    )
    if not result.complete:
        return EXIT_PARTIAL
    return EXIT_DRIFT if left else EXIT_OK


def _status(plan: Plan) -> int:
    if plan.errors:
        return EXIT_ERROR
    return EXIT_PENDING if plan.has_changes else EXIT_OK


# --- the commands -------------------------------------------------------------------------------


def plan_command(options: PlanOptions, console: Console) -> int:
    with open_target(options.hub, read_only=True) as hub:
        plan = make_plan(options.sources, options.selection, options.hub, hub)
        page = _preview_page(plan, hub) if options.format == "html" else None
    if options.out is not None and page is None:
        write_plan(plan, options.out)
    full = write_reports(plan, options.reports, "nb-release plan")
    summary = options.reports.summary
    if page is not None:
        # --format html: the review page, to --out FILE if given (then no plan file is saved)
        if options.out is not None:
            preview.write_page(page, options.out)
        else:
            console.out(page, end="")
    elif options.format == "json":
        console.out(render_json(plan), end="")
    elif options.format == "markdown":
        console.out(render_markdown(plan, summary=summary, full_report=full), end="")
    else:
        render_text(plan, console, summary=summary, full_report=full)
        console.print(f"Target: {hub.target.display}")
        if options.out is not None:
            console.print(
                f"Plan saved to {options.out}; publish it with `nb-release apply {options.out}`."
            )
    return _status(plan)


def _preview_page(plan: Plan, hub: Hub) -> str:
    live = preview.live_contents(plan, lambda repo, rev: hub.read_card(repo, rev).content)
    return preview.render_page(plan, live, hub.target.display)


def preview_command(options: PreviewOptions, console: Console) -> int:
    with open_target(options.hub, read_only=True) as hub:
        plan = make_plan(options.sources, options.selection, options.hub, hub)
        page = _preview_page(plan, hub)
    path = preview.write_page(page, options.out / "index.html")
    console.print(f"Preview of {len(plan.changes)} changed card(s) written to {path}")
    return EXIT_OK


def apply_command(options: ApplyOptions, console: Console) -> int:
    source = str(options.plan_file)
    plan = read_plan(options.plan_file)
    check_plan(plan, options.hub.label, source)
    check_integrity(plan, options.sources, source, cache_of(options.hub))
    if not plan.has_changes:
        console.print(f"{source}: nothing to publish.")
        return EXIT_OK
    policies = options.policies
    decisions = decide_all(
        plan, policies.on_drift, policies.on_adopt, Policies("skip", "overwrite")
    )
    with open_target(options.hub) as hub:
        return publish_decided(plan, hub, decisions, options.publish, console)


def _ask_policy(entry: PlanEntry, console: Console) -> Decision:
    console.print(f"{entry.repo_id}: {entry.state}", markup=False)
    for line in ownership_lines(entry):
        console.print(f"  {line}", markup=False)
    answer = ask(console, "  [s]kip, open a [p]ull request, or [o]verwrite? [s] ")
    choice = answer.strip().lower()[:1]
    return "publish" if choice == "o" else "pr" if choice == "p" else "skip"


def release_command(options: ReleaseOptions, console: Console) -> int:
    with open_target(options.hub) as hub:
        plan = make_plan(options.sources, options.selection, options.hub, hub)
        full = write_reports(plan, options.reports, "nb-release release")
        if not plan.has_changes and not plan.errors:
            console.print(
                f"Nothing to publish: all {len(plan.entries)} cards on "
                f"{hub.target.display} match the manifest."
            )
            return EXIT_OK
        render_text(plan, console, summary=options.reports.summary, full_report=full)
        # Refuses the whole plan, before any write, if a repo is missing.
        check_plan(plan, options.hub.label, str(options.sources.manifest))
        policies = options.policies
        decisions = decide_all(
            plan, policies.on_drift, policies.on_adopt, Policies("skip", "overwrite")
        )
        if not options.yes:
            if not sys.stdin.isatty():
                console.print("Not publishing: no terminal to confirm on. Pass --yes to publish.")
                return EXIT_PENDING
            for entry in (*plan.drifted, *plan.adopted):
                if (policies.on_drift if entry.state != "adopt" else policies.on_adopt) is None:
                    decisions[entry.repo_id] = _ask_policy(entry, console)
            count = sum(1 for e in plan.changes if decisions[e.repo_id] in ("publish", "pr"))
            if not confirmed(console, f"Publish {count} card(s) to {hub.target.display}? [y/N] "):
                console.print("Nothing published.")
                return EXIT_PENDING
        return publish_decided(plan, hub, decisions, options.publish, console)


def sync_command(options: SyncOptions, console: Console) -> int:
    with open_target(options.hub, read_only=options.dry_run) as hub:
        plan = make_plan(options.sources, options.selection, options.hub, hub)
        full = write_reports(plan, options.reports, "nb-release sync")
        render_text(plan, console, summary=options.reports.summary, full_report=full)
        console.print(f"Target: {hub.target.display}", markup=False)
        # Refuses the whole run, before any write, if a repo is missing.
        check_plan(plan, options.hub.label, str(options.sources.manifest))
        policies = options.policies
        decisions = decide_all(plan, policies.on_drift, policies.on_adopt, Policies("skip", "skip"))
        left = _left(plan, decisions)
        if options.dry_run:
            writes = any(decisions[e.repo_id] in ("publish", "pr") for e in plan.changes)
            console.print("Dry run: nothing published.", markup=False)
            return EXIT_DRIFT if left else EXIT_PENDING if writes else EXIT_OK
        return publish_decided(plan, hub, decisions, options.publish, console)


def _left(plan: Plan, decisions: Mapping[str, Decision]) -> bool:
    return any(decisions[e.repo_id] in ("skip", "pr") for e in (*plan.drifted, *plan.adopted))


def cache_clear_command(console: Console) -> int:
    cache = Cache()
    removed = cache.clear()
    console.print(f"Removed {removed} cache entries from {cache.root}/", markup=False)
    return EXIT_OK
