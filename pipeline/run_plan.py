"""The read-only commands against a Hub, plan and preview, and the steps every Hub command
shares: open the target, make the plan, write the reports.

Nothing here publishes (run_hub.py does), so a plan loads neither the publishing code nor, from
cached renders, the manifest's models, jinja2 or the YAML libraries.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from contextlib import AbstractContextManager

from rich.console import Console

from pipeline.atomic import write_text_atomically
from pipeline.cache import Cache
from pipeline.errors import PipelineError
from pipeline.exitcodes import EXIT_ERROR, EXIT_OK, EXIT_PENDING
from pipeline.hub import Hub, open_hub
from pipeline.options import HubOptions, PlanOptions, PreviewOptions, ReportOptions
from pipeline.plan import Plan
from pipeline.planning import build_plan
from pipeline.report import render_json, render_markdown, render_text
from pipeline.selection import Selection
from pipeline.sources import Sources
from pipeline.terminal import progress, stderr_console

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


def make_plan(
    sources: Sources,
    selection: Selection,
    options: HubOptions,
    hub: Hub,
    *,
    confirm: bool = False,
    on_cached: Callable[[int], None] | None = None,
) -> Plan:
    """The plan; `confirm`: check each cached card's head (planning.read_live); `on_cached`
    hears how many cards came from the cache."""
    with progress(stderr_console(), "Reading live cards") as (start, advance):

        def started(to_read: int, cached: int) -> None:
            if on_cached is not None:
                on_cached(cached)
            start(to_read, cached)

        return build_plan(
            sources,
            selection,
            hub,
            options.label,
            advance,
            started,
            cache=cache_of(options),
            confirm=confirm,
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


def _status(plan: Plan) -> int:
    if plan.errors:
        return EXIT_ERROR
    return EXIT_PENDING if plan.has_changes else EXIT_OK


# --- the commands -------------------------------------------------------------------------------


def plan_command(options: PlanOptions, console: Console) -> int:
    cached: list[int] = []
    with open_target(options.hub, read_only=True) as hub:
        plan = make_plan(
            options.sources, options.selection, options.hub, hub, on_cached=cached.append
        )
        page = _preview_page(plan, hub) if options.format == "html" else None
    if sum(cached):
        # A plan trusts the listing's heads (one request per 1,000 repos); sync and release
        # confirm each (planning.read_live).
        stderr_console().print(
            f"note: {sum(cached)} card(s) taken from the cache at the heads the Hub's listing "
            "shows; a listing can lag behind a commit made moments ago (`--no-cache` reads "
            "every card; `sync` and `release` confirm each head)",
            markup=False,
        )
    if options.out is not None and page is None:
        from pipeline.planfile import write_plan  # pydantic: only when a plan file is saved

        write_plan(plan, options.out)
    full = write_reports(plan, options.reports, "nb-release plan")
    summary = options.reports.summary
    if page is not None:
        # --format html: the review page, to --out FILE if given (then no plan file is saved)
        if options.out is not None:
            from pipeline.preview import write_page

            write_page(page, options.out)
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
    from pipeline import preview  # markdown-it and the YAML libraries: only for the page

    live = preview.live_contents(plan, lambda repo, rev: hub.read_card(repo, rev).content)
    return preview.render_page(plan, live, hub.target.display)


def preview_command(options: PreviewOptions, console: Console) -> int:
    with open_target(options.hub, read_only=True) as hub:
        plan = make_plan(options.sources, options.selection, options.hub, hub)
        page = _preview_page(plan, hub)
    from pipeline.preview import write_page

    path = write_page(page, options.out / "index.html")
    console.print(f"Preview of {len(plan.changes)} changed card(s) written to {path}")
    return EXIT_OK
