"""The read-only commands against a Hub: plan and preview.

Nothing here publishes (run_hub.py does), so a plan loads neither the publishing code nor, from
cached renders, the manifest's models, jinja2 or the YAML libraries. A plan opens its target and
starts its listing (plan/listing.py) first, and loads the rest of its code while the listing is
on the wire. The steps they share with the other Hub commands are in plumbing.py.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.console import Console  # loaded already: the command's console is made before

from pipeline.cli._target import new_cache, open_target
from pipeline.cli.options import PlanOptions, PreviewOptions
from pipeline.plan.listing import warm_start

if TYPE_CHECKING:
    from pipeline.hub.client import Hub
    from pipeline.plan.collection_report import Collections
    from pipeline.plan.model import Plan
    from pipeline.plan.report import Decided

# --- the commands -------------------------------------------------------------------------------


def plan_command(options: PlanOptions, console: Console) -> int:
    cached: list[int] = []
    with open_target(options.hub, new_cache(options.hub), read_only=True) as hub:
        start = warm_start(options.sources, options.selection, hub)
        # Loaded while the listing is on the wire.
        from pipeline.cli._plumbing import check_writes, make_plan, plan_status, write_reports
        from pipeline.cli.terminal import stderr_console
        from pipeline.english import plural
        from pipeline.plan.collection_apply import planned_collections
        from pipeline.plan.collection_report import Collections, planned_status
        from pipeline.plan.report import (
            decided_by,
            decision_lines,
            render_json,
            render_markdown,
            render_text,
        )

        plan = make_plan(
            options.sources,
            options.selection,
            options.hub.label,
            hub,
            on_cached=cached.append,
            warm=start,
            prevalidate=options.checks.on_hub,
        )
        # What `sync` would do with each repo: the nightly run a plan previews.
        decided = decided_by(plan)
        check_writes(hub, plan, decided.decisions, options.checks)
        collections = Collections(planned_collections(options.sources, hub, plan))
        page = _preview_page(plan, hub, decided, collections) if options.format == "html" else None
    if sum(cached):
        # A plan trusts the listing's heads (one request per 1,000 repos); sync and release
        # confirm each (planning.read_live).
        taken = plural(sum(cached), "card")
        stderr_console().print(
            f"note: {taken} taken from the cache at the heads the Hub's listing "
            "shows; a listing can lag behind a commit made moments ago (`--no-cache` reads "
            "every card; `sync` and `release` confirm each head)",
            markup=False,
        )
    if options.out is not None and page is None:
        from pipeline.plan.planfile import write_plan  # pydantic: only when a plan file is saved

        write_plan(plan, options.out)
    full = write_reports(plan, options.reports, "nb-release plan", decided, collections)
    summary = options.reports.summary
    if page is not None:
        # --format html: the review page, to --out FILE if given (then no plan file is saved)
        if options.out is not None:
            from pipeline.plan.preview import write_page

            write_page(page, options.out)
        else:
            console.out(page, end="")
    elif options.format == "json":
        console.out(render_json(plan, decided, collections), end="")
    elif options.format == "markdown":
        markdown = render_markdown(plan, summary=summary, full_report=full, collections=collections)
        console.out(markdown, end="")
    else:
        render_text(plan, console, summary=summary, full_report=full, collections=collections)
        for line in decision_lines(plan, decided):
            console.print(line, markup=False)
        console.print(f"Target: {hub.target.display}")
        if options.out is not None:
            console.print(
                f"Plan saved to {options.out}; publish it with `nb-release apply {options.out}`."
            )
    return planned_status(plan_status(plan, decided), collections.diffs, None)


def _preview_page(plan: Plan, hub: Hub, decided: Decided, collections: Collections) -> str:
    from pipeline.plan import preview  # markdown-it and the YAML libraries: only for the page

    live = preview.live_contents(plan, lambda repo, rev: hub.read_card(repo, rev).content)
    return preview.render_page(plan, live, hub.target.display, decided, collections)


def preview_command(options: PreviewOptions, console: Console) -> int:
    from pipeline.cli._plumbing import make_plan
    from pipeline.english import plural
    from pipeline.exitcodes import EXIT_OK
    from pipeline.plan.collection_apply import planned_collections
    from pipeline.plan.collection_report import Collections
    from pipeline.plan.report import decided_by

    with open_target(options.hub, new_cache(options.hub), read_only=True) as hub:
        plan = make_plan(options.sources, options.selection, options.hub.label, hub)
        collections = Collections(planned_collections(options.sources, hub, plan))
        page = _preview_page(plan, hub, decided_by(plan), collections)
    from pipeline.plan.preview import write_page

    path = write_page(page, options.out / "index.html")
    changed = plural(len(plan.changes), "changed card")
    console.print(f"Preview of {changed} written to {path}")
    return EXIT_OK
