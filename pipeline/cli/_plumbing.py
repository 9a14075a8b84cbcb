"""What the commands that talk to a Hub share: the run's one Cache, its one Hub, the plan, the
reports, the job summary, and the check of the REPO arguments.

A command makes its Cache once (new_cache) and opens its target once with it (open_target);
everything after reads and records through that Hub (`hub.cache`), so what a run learns is in
one place. No command module imports another: what two of them share lives here.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Collection, Mapping, Sequence
from pathlib import Path

from rich.console import Console

from pipeline.atomic import write_text_atomically
from pipeline.cli._args import UsageError
from pipeline.cli._target import new_cache as new_cache  # re-exported: every Hub command's
from pipeline.cli._target import open_target as open_target
from pipeline.cli.options import CheckOptions, ReportOptions
from pipeline.cli.terminal import progress, stderr_console
from pipeline.errors import PipelineError
from pipeline.exitcodes import EXIT_ERROR, EXIT_OK, EXIT_PENDING
from pipeline.hub.client import Hub
from pipeline.manifest.selection import Selection, named
from pipeline.manifest.sources import Sources
from pipeline.ownership import Decision, writes
from pipeline.plan.collection_report import NO_COLLECTIONS, Collections
from pipeline.plan.hubcheck import check_on_hub
from pipeline.plan.listing import WarmStart
from pipeline.plan.model import Plan
from pipeline.plan.planning import build_plan, verify_published
from pipeline.plan.report import Decided, render_json, render_markdown


def make_plan(
    sources: Sources,
    selection: Selection,
    label: str,
    hub: Hub,
    *,
    confirm: bool = False,
    on_cached: Callable[[int], None] | None = None,
    warm: WarmStart | None = None,
    prevalidate: bool = False,
) -> Plan:
    """The plan against `hub` (recorded as made against `label`), with progress on stderr;
    `confirm`: check each cached card's head (planning.read_live); `on_cached` hears how many
    cards came from the cache; `warm`: what the command read first (listing.warm_start);
    `prevalidate`: see planning.build_plan."""
    with progress(stderr_console(), "Reading live cards") as (start, advance):

        def started(to_read: int, cached: int) -> None:
            if on_cached is not None:
                on_cached(cached)
            start(to_read, cached)

        return build_plan(
            sources,
            selection,
            hub,
            label,
            advance,
            started,
            confirm=confirm,
            start=warm,
            prevalidate=prevalidate,
        )


def check_writes(
    hub: Hub,
    plan: Plan,
    decisions: Mapping[str, Decision],
    checks: CheckOptions,
    asked: Collection[str] = (),
) -> None:
    """Before any write: the target Hub's validate-yaml on every card the run would write (its
    decision writes, or it is in `asked`: the terminal may still choose to write it); a refusal
    raises, listing every one (plan/hubcheck.py). Nothing with --no-hub-validation."""
    if not checks.on_hub:
        return
    entries = [e for e in plan.changes if writes(decisions[e.repo_id]) or e.repo_id in asked]
    check_on_hub(hub, entries)


def verify_step(
    hub: Hub,
    sources: Sources,
    selection: Selection,
    console: Console,
    *,
    only: Collection[str] | None = None,
    reports: ReportOptions | None = None,
    title: str = "nb-release verify",
) -> bool:
    """Read back what the Hub parsed of the cards and compare with the render (plan/verify.py);
    the report on `console`, in --report-json / --report-md when given, and in the CI job
    summary. True when the Hub reads every card as meant."""
    from pipeline.plan import verify_report  # only for the commands that verify

    found = verify_published(hub, sources, selection, only)
    verify_report.render_text(found, console)
    if reports is not None and reports.json_file is not None:
        write_text_atomically(reports.json_file, verify_report.render_json(found))
    if reports is not None and reports.md_file is not None:
        write_text_atomically(reports.md_file, verify_report.render_markdown(found, title))
    append_step_summary(verify_report.render_markdown(found, title))
    return found.ok


def plan_status(plan: Plan, decided: Decided) -> int:
    """1 when the plan has errors, 2 when a decision writes (a commit or a pull request), else
    0: a drifted card the policy leaves alone is reported, not pending."""
    if plan.errors:
        return EXIT_ERROR
    return EXIT_PENDING if any(decided.writes(e) for e in plan.changes) else EXIT_OK


def write_reports(
    plan: Plan,
    reports: ReportOptions,
    title: str,
    decided: Decided | None = None,
    collections: Collections = NO_COLLECTIONS,
) -> str | None:
    """--report-json, --report-md and $GITHUB_STEP_SUMMARY; returns where the full report is.
    `decided`: what the run does with each repo (by default what `sync` would do)."""
    where: str | None = None
    if reports.json_file is not None:
        write_text_atomically(reports.json_file, render_json(plan, decided, collections))
    if reports.md_file is not None:
        write_text_atomically(
            reports.md_file,
            render_markdown(plan, limit=sys.maxsize, title=title, collections=collections),
        )
        where = str(reports.md_file)
    if os.environ.get("GITHUB_STEP_SUMMARY"):
        artifact = where and f"{where} (in the run's artifacts, if uploaded)"
        append_step_summary(
            render_markdown(
                plan, full_report=artifact or None, title=title, collections=collections
            )
        )
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


def refuse_bare_names(repos: Sequence[str], manifest_path: Path) -> None:
    """A REPO without its namespace is a usage error whose hint gives the repo id the manifest
    has for that name, matched as --only matches one (selection.named)."""
    bare = next((repo for repo in repos if "/" not in repo), None)
    if bare is None:
        return
    from pipeline.manifest.model import load_manifest  # pydantic: only for this message

    try:
        manifest = load_manifest(manifest_path)
    except PipelineError:  # no manifest to look in: the hint says what a repo id is
        hint = (
            f"give the repo id as 'namespace/name' ({manifest_path} could not be read to look "
            "the name up)"
        )
    else:
        ids = [variant.repo_id for variant in named(manifest, bare)]
        hint = (
            f"did you mean {' or '.join(repr(i) for i in ids)}?"
            if ids
            else f"no variant of {manifest_path} is named {bare!r}; give the repo id as "
            "'namespace/name'"
        )
    raise UsageError(f"argument REPO: a repo id must be 'namespace/name', got {bare!r}", hint)
