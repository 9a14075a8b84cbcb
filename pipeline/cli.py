"""The `nb-release` command: parse, build one options object, call one core function.

This is the only module that prints errors and chooses exit codes. Exit codes:
0 success / nothing to publish / in sync, 1 error (nothing written), 2 changes pending (plan,
render --check, release not confirmed), 3 partly done (apply/release/sync: some repos stale or
failed; a re-run converges), 4 drift or adoption found and left as the policy says (sync; release
and apply when drift is skipped), 64 usage error (a command line argparse refuses), 130 Ctrl-C.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from pipeline import __version__, preview
from pipeline.atomic import write_text_atomically
from pipeline.cache import Cache
from pipeline.defaults import DEFAULT_JOBS, DEFAULT_TIMEOUT
from pipeline.errors import PipelineError
from pipeline.localhub.cli import add_serve_arguments, serve_from_args
from pipeline.ownership import POLICIES, Decision, Policies
from pipeline.plan import Plan, PlanEntry, read_plan, write_plan
from pipeline.render import Selection
from pipeline.report import render_json, render_markdown, render_text
from pipeline.retry import DEFAULT_MAX_WAIT

if TYPE_CHECKING:  # the Hub client is imported only by the commands that reach a Hub
    from pipeline.hub import Hub
    from pipeline.publish import ApplyResult, Sources

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_PENDING = 2
EXIT_PARTIAL = 3
EXIT_DRIFT = 4
EXIT_USAGE = 64
EXIT_INTERRUPTED = 130


class _Parser(argparse.ArgumentParser):
    """argparse with a usage-error status of its own (argparse's 2 means "changes pending")."""

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


Handler = Callable[[argparse.Namespace, Console], int]


def _add_source(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--manifest",
        type=Path,
        default=Path("models.toml"),
        metavar="FILE",
        help="the manifest to read (default: models.toml)",
    )
    parser.add_argument(
        "--cards",
        type=Path,
        default=Path("cards"),
        metavar="DIR",
        help="the folder of card templates (default: cards)",
    )


def _add_selection(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--only",
        action="append",
        default=[],
        metavar="GLOB",
        help="work only on variants whose repo id or name matches GLOB (repeatable)",
    )
    parser.add_argument(
        "--exclude",
        action="append",
        default=[],
        metavar="GLOB",
        help="leave out variants whose repo id or name matches GLOB (repeatable)",
    )


def _add_hub(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--hub",
        default=None,
        metavar="TARGET",
        help="'local' (the embedded local Hub in .hub/, the default) or a Hub URL such as "
        "https://huggingface.co; NB_RELEASE_HUB sets the default",
    )
    parser.add_argument(
        "--hub-root",
        type=Path,
        default=None,
        metavar="DIR",
        help="the store of the embedded local Hub (default: .hub)",
    )


def _add_client(parser: argparse.ArgumentParser, publishes: bool) -> None:
    """How nb-release talks to the Hub: patience, timeouts and (when publishing) parallelism."""
    parser.add_argument(
        "--max-wait",
        type=_seconds,
        default=DEFAULT_MAX_WAIT,
        metavar="SECONDS",
        help="the longest one request may wait for retries and rate limits; a quota that resets "
        f"later stops the run cleanly (default: {DEFAULT_MAX_WAIT:g})",
    )
    parser.add_argument(
        "--timeout",
        type=_seconds,
        default=DEFAULT_TIMEOUT,
        metavar="SECONDS",
        help=f"give up on one request after this long, then retry (default: {DEFAULT_TIMEOUT:g})",
    )
    parser.add_argument(
        "--no-cache",
        action="store_true",
        help="neither read nor write the local cache of live cards and renders "
        "($NB_RELEASE_CACHE, else $XDG_CACHE_HOME/nb-release or ~/.cache/nb-release)",
    )
    if publishes:
        parser.add_argument(
            "--jobs",
            "-j",
            type=_jobs,
            default=DEFAULT_JOBS,
            metavar="N",
            help=f"publish N repos at once (default: {DEFAULT_JOBS})",
        )


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of seconds, got {text!r}") from None
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"expected a positive number of seconds, got {text!r}")
    return value


def _jobs(text: str) -> int:
    if not text.isdigit() or not 1 <= int(text) <= 64:
        raise argparse.ArgumentTypeError(f"expected a whole number from 1 to 64, got {text!r}")
    return int(text)


def _add_create_pr(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--create-pr",
        action="store_true",
        help="open Hub pull requests instead of pushing to main (re-uses nb-release's open PR)",
    )


def _add_policies(parser: argparse.ArgumentParser, adopt_default: str) -> None:
    parser.add_argument(
        "--on-drift",
        choices=POLICIES,
        default=None,
        help="what to do with a card someone changed on the Hub since nb-release's last publish: "
        "skip it, open or update nb-release's pull request, or overwrite it (default: the "
        "manifest's on_drift, else skip)",
    )
    parser.add_argument(
        "--on-adopt",
        choices=POLICIES,
        default=None,
        help="what to do with a card nb-release never published: skip, pr or overwrite "
        f"(default: the manifest's on_adopt, else {adopt_default})",
    )


def _add_reports(parser: argparse.ArgumentParser, summary_default: bool) -> None:
    parser.add_argument(
        "--summary",
        action=argparse.BooleanOptionalAction,
        default=summary_default,
        help="show the table and the totals only, no per-card diffs (default: "
        f"{'on' if summary_default else 'off'})",
    )
    parser.add_argument(
        "--report-json",
        type=Path,
        default=None,
        metavar="FILE",
        help="also write the JSON report to FILE (for a CI artifact)",
    )
    parser.add_argument(
        "--report-md",
        type=Path,
        default=None,
        metavar="FILE",
        help="also write the full Markdown report to FILE (for a CI artifact)",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="nb-release",
        description="Keep every NB-Llama model card on the Hugging Face Hub true to one "
        "manifest: validate, render, plan, apply.",
    )
    parser.add_argument("--version", action="version", version=f"nb-release {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    validate = commands.add_parser(
        "validate",
        help="check the manifest, render every card and check its metadata; writes nothing",
        description="Check models.toml, render every card and check its front matter and "
        "metadata. Writes nothing. Exit status 0 if all is valid, 1 otherwise.",
    )
    _add_source(validate)
    _add_selection(validate)
    validate.set_defaults(handler=_validate)

    render = commands.add_parser(
        "render",
        help="render every card to DIR/<namespace>/<name>/README.md",
        description="Render every card to DIR/<namespace>/<name>/README.md (LF, UTF-8, one "
        "trailing newline), byte-identical from run to run. With --check, write nothing and exit "
        "1 listing the files that differ from a fresh render.",
    )
    _add_source(render)
    _add_selection(render)
    render.add_argument(
        "--out",
        type=Path,
        default=Path("build/cards"),
        metavar="DIR",
        help="where to write the cards (default: build/cards)",
    )
    render.add_argument(
        "--check",
        action="store_true",
        help="write nothing; exit 1 and list the files under --out that differ from a fresh render",
    )
    render.set_defaults(handler=_render)

    plan = commands.add_parser(
        "plan",
        help="the dry-run diff report: what a release would publish",
        description="Render every card, read the live cards from the Hub and report what a "
        "release would publish. Needs no write token. Exit status 0 nothing to publish, "
        "2 changes pending, 1 error.",
    )
    _add_source(plan)
    _add_selection(plan)
    _add_hub(plan)
    _add_client(plan, publishes=False)
    plan.add_argument(
        "--out",
        type=Path,
        default=None,
        metavar="PLAN.json",
        help="also save the plan (written atomically) for `nb-release apply`",
    )
    plan.add_argument(
        "--format",
        choices=("text", "markdown", "json", "html"),
        default="text",
        help="the report's format on standard output (default: text); html: the review page "
        "of `nb-release preview`, written to --out FILE instead of a plan when --out is given",
    )
    _add_reports(plan, summary_default=False)
    plan.set_defaults(handler=_plan)

    preview_cmd = commands.add_parser(
        "preview",
        help="write the review page: the plan and each changed card as the Hub shows it",
        description="Plan, then write one self-contained HTML page (no script, nothing loaded "
        "from the network) to DIR/index.html: the plan's table, then each changed card as the "
        "Hub shows it, live and rendered side by side, the changed blocks marked. Needs no "
        "write token. Exit status 0 when the page is written, 1 on error.",
    )
    _add_source(preview_cmd)
    _add_selection(preview_cmd)
    _add_hub(preview_cmd)
    _add_client(preview_cmd, publishes=False)
    preview_cmd.add_argument(
        "--out",
        type=Path,
        default=Path("build/preview"),
        metavar="DIR",
        help="where to write index.html (default: build/preview)",
    )
    preview_cmd.set_defaults(handler=_preview)

    apply = commands.add_parser(
        "apply",
        help="publish exactly a saved plan",
        description="Publish exactly the plan saved by `nb-release plan --out`. A repo whose "
        "head moved since the plan is not published and is reported stale. Exit status 0 all "
        "done, 1 error before any write, 3 partly done (a re-run converges).",
    )
    apply.add_argument("plan_file", type=Path, metavar="PLAN.json", help="the saved plan")
    _add_source(apply)
    _add_hub(apply)
    _add_client(apply, publishes=True)
    _add_create_pr(apply)
    _add_policies(apply, adopt_default="overwrite")
    apply.set_defaults(handler=_apply)

    release = commands.add_parser(
        "release",
        help="plan, show, confirm, apply",
        description="Plan, show the report, ask for confirmation (y/N), then publish only the "
        "changed cards. Without a terminal nothing is published unless --yes is given. Exit "
        "status 0 all done (or nothing to publish), 1 error before any write, 2 changes pending "
        "but not confirmed, 3 partly done (a re-run converges), 4 drift left as the policy "
        "says. At a terminal it asks about each drifted or adopted card; with --yes it adopts "
        "cards nb-release never published and follows --on-drift for drifted ones.",
    )
    _add_policies(release, adopt_default="overwrite with --yes")
    _add_reports(release, summary_default=False)
    _add_source(release)
    _add_selection(release)
    _add_hub(release)
    _add_client(release, publishes=True)
    release.add_argument("--yes", "-y", action="store_true", help="publish without asking (for CI)")
    _add_create_pr(release)
    release.set_defaults(handler=_release)

    sync = commands.add_parser(
        "sync",
        help="the unattended nightly run: publish what is safe, leave the rest as policy says",
        description="Plan, publish the create, create-repo and pending cards, apply the "
        "policies to drifted and adopted cards (default: skip them) and report. Never adopts "
        "or overwrites unless a policy says so. Exit status 0 in sync, 4 drift or adoption "
        "found and left as the policy says (everything else done), 3 partly done (a re-run "
        "converges), 1 error before any write.",
    )
    _add_source(sync)
    _add_selection(sync)
    _add_hub(sync)
    _add_client(sync, publishes=True)
    _add_policies(sync, adopt_default="skip")
    _add_reports(sync, summary_default=True)
    sync.add_argument(
        "--dry-run",
        action="store_true",
        help="plan and report only; publish nothing (exit status as a real run would end)",
    )
    sync.set_defaults(handler=_sync)

    history = commands.add_parser(
        "history",
        help="each card's commits, marked as nb-release's or not",
        description="List, per repo, the commits that changed README.md (id, date, author, "
        "title), newest first, marking nb-release's releases with their manifest fingerprint.",
    )
    history.add_argument(
        "repos", nargs="*", metavar="REPO", help="repo ids (default: every repo of the manifest)"
    )
    _add_source(history)
    _add_selection(history)
    _add_hub(history)
    _add_client(history, publishes=False)
    history.add_argument(
        "--limit",
        type=int,
        default=20,
        metavar="N",
        help="look at the newest N commits of each repo (default: 20)",
    )
    history.set_defaults(handler=_history)

    restore = commands.add_parser(
        "restore",
        help="publish a card as it was at an earlier commit",
        description="Publish README.md as it was at COMMIT, as a new commit on top of the head "
        "(shown as a diff first). The restored card reads as drift until the manifest takes "
        "it in. Exit status 0 done (or nothing to do), 1 error, 2 not confirmed.",
    )
    restore.add_argument("repo", metavar="REPO", help="the repo id")
    restore.add_argument(
        "--to", required=True, metavar="COMMIT", help="the commit id (or a unique prefix of it)"
    )
    restore.add_argument("--yes", "-y", action="store_true", help="publish without asking")
    _add_hub(restore)
    _add_client(restore, publishes=False)
    restore.set_defaults(handler=_restore)

    cache = commands.add_parser(
        "cache",
        help="the local cache of live cards and renders",
        description="The local cache that makes warm plans cheap: README.md of each repo at "
        "each head commit, and the cards rendered for each manifest fingerprint. It never "
        "changes an answer. Lives in $NB_RELEASE_CACHE, else $XDG_CACHE_HOME/nb-release, "
        "else ~/.cache/nb-release.",
    )
    cache_commands = cache.add_subparsers(dest="cache_command", metavar="COMMAND", required=True)
    clear = cache_commands.add_parser(
        "clear", help="remove every entry", description="Remove every entry of the cache."
    )
    clear.set_defaults(handler=_cache_clear)

    hub = commands.add_parser(
        "hub",
        help="the local Hub: a Hub-compatible server on loopback",
        description="The local Hub: a Hub-compatible HTTP server on loopback.",
    )
    hub_commands = hub.add_subparsers(dest="hub_command", metavar="COMMAND", required=True)
    serve = hub_commands.add_parser(
        "serve",
        help="serve the local Hub until interrupted",
        description="Serve the local Hub until interrupted (Ctrl-C). Prints its URL and the path "
        "of its token file, never a token.",
    )
    add_serve_arguments(serve)  # the local Hub owns its options
    serve.set_defaults(handler=_hub_serve)
    return parser


# --- handlers -----------------------------------------------------------------------------------


def _validate(args: argparse.Namespace, console: Console) -> int:
    from pipeline.manifest import load_manifest
    from pipeline.render import Selection, render_all

    manifest = load_manifest(args.manifest)
    cards = render_all(manifest, args.cards, Selection(tuple(args.only), tuple(args.exclude)))
    console.print(
        f"{args.manifest}: valid. {len(cards)} cards rendered and checked "
        f"({len(manifest.variants)} variants in the manifest)."
    )
    return EXIT_OK


def _render(args: argparse.Namespace, console: Console) -> int:
    from pipeline import render as r
    from pipeline.manifest import load_manifest

    manifest = load_manifest(args.manifest)
    cards = r.render_all(manifest, args.cards, r.Selection(tuple(args.only), tuple(args.exclude)))
    gone = r.stale_files(manifest, args.out)  # cards of variants no longer in the manifest
    if args.check:
        differ = r.differing_files(cards, args.out)
        if differ:
            console.print(f"{len(differ)} of {len(cards)} cards differ from a fresh render:")
            for path in differ:
                console.print(f"  {path}")
        if gone:
            noun = "card is" if len(gone) == 1 else "cards are"
            console.print(f"{len(gone)} {noun} of variants no longer in the manifest:")
            for path in gone:
                console.print(f"  {path}")
        if differ or gone:
            return EXIT_ERROR
        console.print(f"All {len(cards)} cards under {args.out} match a fresh render.")
        return EXIT_OK
    written = r.write_cards(cards, args.out)
    r.remove_stale(gone)
    removed = f"; removed {len(gone)} of variants no longer in the manifest" if gone else ""

    console.print(f"Rendered {len(written)} cards to {args.out}/{removed}")
    return EXIT_OK


def _sources(args: argparse.Namespace) -> Sources:
    from pipeline.publish import Sources

    return Sources(manifest=args.manifest, cards=args.cards)


@contextmanager
def _progress(
    console: Console, label: str
) -> Iterator[tuple[Callable[[int], None], Callable[[str], None]]]:
    """A rich progress bar; yields (start(total), advance(repo_id)) callbacks for the core.

    Without a terminal (a CI log) a line per repo instead: a bar there is noise or nothing.
    """
    if not console.is_terminal:

        def start_plain(total: int) -> None:
            console.print(f"{label}: {total}", markup=False, highlight=False, soft_wrap=True)

        def advance_plain(repo_id: str) -> None:
            console.print(f"  {label.lower()}: {repo_id}", markup=False, soft_wrap=True)

        yield start_plain, advance_plain
        return
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        console=console,
        transient=True,
    ) as bar:
        task = bar.add_task(label, total=None)

        def start(total: int) -> None:
            bar.update(task, total=total)

        def advance(_repo_id: str) -> None:
            bar.advance(task)

        yield start, advance


def _make_plan(args: argparse.Namespace, hub: Hub, console: Console) -> Plan:
    from pipeline.hub import resolve_spec
    from pipeline.publish import build_plan

    selection = Selection(tuple(args.only), tuple(args.exclude))
    with _progress(console, "Reading live cards") as (start, advance):
        return build_plan(
            _sources(args),
            selection,
            hub,
            resolve_spec(args.hub),
            advance,
            start,
            cache=_cache(args),
        )


def _plan(args: argparse.Namespace, console: Console) -> int:
    with _open(args, read_only=True) as hub:
        plan = _make_plan(args, hub, _stderr())
        page = _preview_page(plan, hub) if args.format == "html" else None
    if page is not None:
        if args.out is not None:
            preview.write_page(page, args.out)
        else:
            console.out(page, end="")
        return EXIT_ERROR if plan.errors else EXIT_PENDING if plan.has_changes else EXIT_OK
    if args.out is not None:
        write_plan(plan, args.out)
    full = _write_reports(plan, args, "nb-release plan")
    if args.format == "json":
        console.out(render_json(plan), end="")
    elif args.format == "markdown":
        console.out(render_markdown(plan, summary=args.summary, full_report=full), end="")
    else:
        render_text(plan, console, summary=args.summary, full_report=full)
        console.print(f"Target: {hub.target.display}")
        if args.out is not None:
            console.print(
                f"Plan saved to {args.out}; publish it with `nb-release apply {args.out}`."
            )
    if plan.errors:
        return EXIT_ERROR
    return EXIT_PENDING if plan.has_changes else EXIT_OK


def _preview_page(plan: Plan, hub: Hub) -> str:
    live = preview.live_contents(plan, lambda repo, rev: hub.read_card(repo, rev).content)
    return preview.render_page(plan, live, hub.target.display)


def _preview(args: argparse.Namespace, console: Console) -> int:
    with _open(args, read_only=True) as hub:
        plan = _make_plan(args, hub, _stderr())
        page = _preview_page(plan, hub)
    path = preview.write_page(page, args.out / "index.html")
    console.print(f"Preview of {len(plan.changes)} changed card(s) written to {path}")
    return EXIT_OK


def _cache(args: argparse.Namespace) -> Cache | None:
    return None if args.no_cache else Cache()


def _cache_clear(args: argparse.Namespace, console: Console) -> int:
    cache = Cache()
    removed = cache.clear()
    console.print(f"Removed {removed} cache entries from {cache.root}/", markup=False)
    return EXIT_OK


def _open(args: argparse.Namespace, read_only: bool = False) -> AbstractContextManager[Hub]:
    from pipeline.hub import open_hub

    return open_hub(
        args.hub,
        args.hub_root,
        max_wait=args.max_wait,
        timeout=args.timeout,
        read_only=read_only,
    )


def _print_summary(result: ApplyResult, hub: Hub, console: Console) -> None:
    for item in result.with_status("published", "proposed"):
        where = item.pr_url or item.commit_url or ""
        if hub.target.local and item.commit_url:
            # The embedded Hub's URL ends with this run: name the commit instead.
            where = "commit " + item.commit_url.rsplit("/", 1)[-1][:12]
            if item.pr_url:
                where += " in pull request #" + item.pr_url.rsplit("/", 1)[-1]
        console.print(f"  {item.status:<9} {item.repo_id}  {where}")
    for item in result.with_status("already"):
        console.print(f"  {'up to date':<9} {item.repo_id}  ({item.message})")
    for item in result.with_status("stale", "failed"):
        console.print(f"  {item.status:<9} {item.repo_id}  {item.message}")
    counts = {
        s: len(result.with_status(s))
        for s in ("published", "proposed", "already", "stale", "failed")
    }
    console.print(
        f"Done on {hub.target.display}: {counts['published']} published, "
        f"{counts['proposed']} proposed as pull requests, {len(result.unchanged)} unchanged, "
        f"{counts['already']} already up to date, {counts['stale']} stale, "
        f"{counts['failed']} failed."
    )
    if counts["stale"]:
        console.print(
            "Stale repos changed on the Hub after the plan was made; nothing was overwritten. "
            "Run the release again to diff against their new contents."
        )


def _apply(args: argparse.Namespace, console: Console) -> int:
    from pipeline.hub import resolve_spec
    from pipeline.publish import check_integrity, check_plan, decide_all

    source = str(args.plan_file)
    plan = read_plan(args.plan_file)
    check_plan(plan, _sources(args), resolve_spec(args.hub), source)
    check_integrity(plan, _sources(args), source, _cache(args))
    if not plan.has_changes:
        console.print(f"{source}: nothing to publish.")
        return EXIT_OK
    decisions = decide_all(plan, args.on_drift, args.on_adopt, Policies("skip", "overwrite"))
    with _open(args) as hub:
        return _publish_decided(plan, hub, decisions, args, console)


def _release(args: argparse.Namespace, console: Console) -> int:
    from pipeline.hub import resolve_spec
    from pipeline.publish import check_plan, decide_all

    with _open(args) as hub:
        plan = _make_plan(args, hub, _stderr())
        full = _write_reports(plan, args, "nb-release release")
        if not plan.has_changes and not plan.errors:
            console.print(
                f"Nothing to publish: all {len(plan.entries)} cards on "
                f"{hub.target.display} match the manifest."
            )
            return EXIT_OK
        render_text(plan, console, summary=args.summary, full_report=full)
        # Refuses the whole plan, before any write, if a repo is missing.
        check_plan(plan, _sources(args), resolve_spec(args.hub), str(args.manifest))
        decisions = decide_all(plan, args.on_drift, args.on_adopt, Policies("skip", "overwrite"))
        if not args.yes:
            if not sys.stdin.isatty():
                console.print("Not publishing: no terminal to confirm on. Pass --yes to publish.")
                return EXIT_PENDING
            for entry in (*plan.drifted, *plan.adopted):
                if (args.on_drift if entry.state != "adopt" else args.on_adopt) is None:
                    decisions[entry.repo_id] = _ask_policy(entry, console)
            count = sum(1 for e in plan.changes if decisions[e.repo_id] in ("publish", "pr"))
            answer = _ask(console, f"Publish {count} card(s) to {hub.target.display}? [y/N] ")
            if answer.strip().lower() not in ("y", "yes"):
                console.print("Nothing published.")
                return EXIT_PENDING
        return _publish_decided(plan, hub, decisions, args, console)


def _ask(console: Console, prompt: str) -> str:
    """Ask at the terminal; the prompt is plain text (rich would read `[y/N]` as markup).
    End of input answers no; Ctrl-C reaches main(), which exits 130."""
    try:
        return console.input(escape(prompt))
    except EOFError:
        console.print()
        return ""


def _stderr() -> Console:
    return Console(stderr=True, width=_log_width(sys.stderr))


def _log_width(stream: object) -> int | None:
    """Without a terminal (a CI log, a pipe), a console wide enough that nothing is cut or wrapped
    at 80 columns: rich would otherwise fold repo ids and values in tables."""
    isatty = getattr(stream, "isatty", None)
    return None if callable(isatty) and isatty() else LOG_WIDTH


LOG_WIDTH = 1000


# --- sync, reports, history, restore ----------------------------------------------------------


def _write_reports(plan: Plan, args: argparse.Namespace, title: str) -> str | None:
    """--report-json, --report-md and $GITHUB_STEP_SUMMARY; returns where the full report is."""
    where: str | None = None
    if args.report_json is not None:
        write_text_atomically(args.report_json, render_json(plan))
    if args.report_md is not None:
        write_text_atomically(args.report_md, render_markdown(plan, limit=sys.maxsize, title=title))
        where = str(args.report_md)
    summary_file = os.environ.get("GITHUB_STEP_SUMMARY")
    if summary_file:
        artifact = where and f"{where} (in the run's artifacts, if uploaded)"
        text = render_markdown(plan, full_report=artifact or None, title=title)
        try:
            with open(summary_file, "a", encoding="utf-8") as handle:
                handle.write(text)
        except OSError as exc:
            raise PipelineError(
                f"cannot append to GITHUB_STEP_SUMMARY ({summary_file}): {exc.strerror}"
            ) from None
    return where


def _publish_decided(
    plan: Plan,
    hub: Hub,
    decisions: dict[str, Decision],
    args: argparse.Namespace,
    console: Console,
) -> int:
    """Publish per decision; exit 3 if partly done, 4 if drift or adoption was left, else 0."""
    from pipeline.publish import apply_decided

    writing = [e for e in plan.changes if decisions[e.repo_id] in ("publish", "pr")]
    create_pr = bool(getattr(args, "create_pr", False))
    with _progress(_stderr(), "Publishing") as (start, advance):
        start(len(writing))
        result = apply_decided(
            plan, hub, decisions, create_pr=create_pr, jobs=args.jobs, on_done=advance
        )
    _print_summary(result.applied, hub, console)
    applied = result.applied
    if applied.stopped is not None:
        console.print(
            f"Stopped: {len(applied.left)} repo(s) left to publish. {applied.stopped.message}.",
            markup=False,
        )
        if applied.stopped.hint:
            console.print(f"To resume: {applied.stopped.hint}.", markup=False)
    if applied.interrupted:
        console.print(
            f"Interrupted: {len(applied.left)} repo(s) not started; what landed is listed above.",
            markup=False,
        )
        return EXIT_INTERRUPTED
    left = [e for e in (*plan.drifted, *plan.adopted) if decisions[e.repo_id] in ("skip", "pr")]
    for entry in left:
        how = "left as is" if decisions[entry.repo_id] == "skip" else "proposed, main untouched"
        flag = "--on-adopt" if entry.state == "adopt" else "--on-drift"
        console.print(
            f"  {entry.state:<13} {entry.repo_id}  {how} ({flag} pr|overwrite to act on it)",
            markup=False,
        )
    if left:
        console.print(
            f"{len(left)} card(s) changed by someone else or never published by nb-release "
            "were left as the policy says; `nb-release history REPO` shows who changed what.",
            markup=False,
        )
    if not result.complete:
        return EXIT_PARTIAL
    return EXIT_DRIFT if left else EXIT_OK


def _ask_policy(entry: PlanEntry, console: Console) -> Decision:
    from pipeline.report import ownership_lines

    console.print(f"{entry.repo_id}: {entry.state}", markup=False)
    for line in ownership_lines(entry):
        console.print(f"  {line}", markup=False)
    answer = _ask(console, "  [s]kip, open a [p]ull request, or [o]verwrite? [s] ")
    choice = answer.strip().lower()[:1]
    return "publish" if choice == "o" else "pr" if choice == "p" else "skip"


def _sync(args: argparse.Namespace, console: Console) -> int:
    from pipeline.hub import resolve_spec
    from pipeline.publish import check_plan, decide_all

    with _open(args, read_only=args.dry_run) as hub:
        plan = _make_plan(args, hub, _stderr())
        full = _write_reports(plan, args, "nb-release sync")
        render_text(plan, console, summary=args.summary, full_report=full)
        console.print(f"Target: {hub.target.display}", markup=False)
        # Refuses the whole run, before any write, if a repo is missing.
        check_plan(plan, _sources(args), resolve_spec(args.hub), str(args.manifest))
        decisions = decide_all(plan, args.on_drift, args.on_adopt, Policies("skip", "skip"))
        left = any(decisions[e.repo_id] in ("skip", "pr") for e in (*plan.drifted, *plan.adopted))
        if args.dry_run:
            writes = any(decisions[e.repo_id] in ("publish", "pr") for e in plan.changes)
            console.print("Dry run: nothing published.", markup=False)
            return EXIT_DRIFT if left else EXIT_PENDING if writes else EXIT_OK
        return _publish_decided(plan, hub, decisions, args, console)


def _history(args: argparse.Namespace, console: Console) -> int:
    from pipeline.manifest import load_manifest
    from pipeline.ownership import fingerprint_of
    from pipeline.render import select

    repos: list[str] = list(args.repos)
    if not repos:
        manifest = load_manifest(args.manifest)
        selection = Selection(tuple(args.only), tuple(args.exclude))
        repos = [v.repo_id for v in select(manifest, selection)]
    with _open(args, read_only=True) as hub:
        for repo_id in repos:
            live = hub.read_card(repo_id)
            console.print(repo_id, markup=False, style="bold")
            if not live.exists:
                console.print("  the repo does not exist", markup=False)
                continue
            commits = hub.list_commits(repo_id)
            window = commits[: args.limit + 1]
            blobs = [hub.readme_blob_id(repo_id, c.commit_id) for c in window]
            shown = 0
            for index, commit in enumerate(commits[: args.limit]):
                before = blobs[index + 1] if index + 1 < len(blobs) else None
                if blobs[index] == before:
                    continue  # this commit did not change README.md
                shown += 1
                fingerprint = fingerprint_of(commit)
                mark = f"nb-release {fingerprint}" if fingerprint else "not nb-release"
                authors = ", ".join(commit.authors) or "?"
                console.print(
                    f"  {commit.commit_id[:12]}  {commit.created_at}  {authors}  "
                    f"{commit.title}  [{mark}]",
                    markup=False,
                    highlight=False,
                )
            if not shown:
                console.print(f"  no commit changed README.md in the last {args.limit}")
            if len(commits) > args.limit:
                console.print(
                    f"  ({len(commits) - args.limit} older commit(s) not examined; see --limit)",
                    markup=False,
                )
    return EXIT_OK


def _restore(args: argparse.Namespace, console: Console) -> int:
    from pipeline.ownership import TRAILER_RESTORED, unified

    with _open(args) as hub:
        commits = hub.list_commits(args.repo)
        found = [c for c in commits if c.commit_id.startswith(args.to.lower())]
        if len(found) != 1:
            raise PipelineError(
                f"{args.repo}: {'no' if not found else 'more than one'} commit of main "
                f"{'matches' if not found else 'match'} {args.to!r}",
                hint=f"`nb-release history {args.repo}` lists the card's commits",
            )
        target = found[0]
        old = hub.read_card(args.repo, target.commit_id).content
        if old is None:
            raise PipelineError(f"{args.repo}: there is no README.md at {target.commit_id[:12]}")
        live = hub.read_card(args.repo)
        if live.content == old:
            console.print(
                f"{args.repo}: the card is already as it was at {target.commit_id[:12]}.",
                markup=False,
            )
            return EXIT_OK
        diff, added, removed = unified(
            live.content or "", old, "live", f"at {target.commit_id[:12]}"
        )
        console.print(
            f"{args.repo}: restore the card of {target.commit_id[:12]} "
            f"({', '.join(target.authors) or '?'}: {target.title}), +{added} -{removed}",
            markup=False,
        )
        console.out(diff, end="", highlight=False)
        if not args.yes:
            if not sys.stdin.isatty():
                console.print("Not publishing: no terminal to confirm on. Pass --yes to publish.")
                return EXIT_PENDING
            if _ask(console, "Publish? [y/N] ").strip().lower() not in ("y", "yes"):
                console.print("Nothing published.")
                return EXIT_PENDING
        hub.whoami()
        result = hub.commit_card(
            args.repo,
            old,
            parent=live.head_sha,
            title=f"Restore model card from {target.commit_id[:12]}",
            description=f"Restores README.md as it was at {target.commit_id} "
            f"({target.title}, by {', '.join(target.authors) or '?'}).\n\n"
            f"{TRAILER_RESTORED}: {target.commit_id}",
        )
        if result.status != "published":
            console.print(f"  {result.status:<9} {args.repo}  {result.message}", markup=False)
            return EXIT_PARTIAL
        sha = (result.commit_url or "").rsplit("/", 1)[-1][:12]
        console.print(f"  restored  {args.repo}  commit {sha}", markup=False)
    return EXIT_OK


def _hub_serve(args: argparse.Namespace, console: Console) -> int:
    serve_from_args(args, lambda line: console.print(line, highlight=False, soft_wrap=True))
    return EXIT_OK


# --- the one exit point -------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)  # usage errors exit 64 (_Parser.error)
    console = Console(soft_wrap=True, highlight=False, width=_log_width(sys.stdout))
    errors = Console(stderr=True, soft_wrap=True, highlight=False, width=_log_width(sys.stderr))
    handler: Handler = args.handler
    try:
        return handler(args, console)
    except PipelineError as exc:
        errors.print(f"error: {exc.message}", markup=False)
        if exc.hint:
            errors.print(f"hint: {exc.hint}", markup=False)
        return exc.exit_code
    except KeyboardInterrupt:
        errors.print("interrupted", markup=False)
        return EXIT_INTERRUPTED


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
