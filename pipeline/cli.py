"""The `nb-release` command: parse, build one options object, call one core function.

This is the only module that prints errors and chooses exit codes. Exit codes:
0 success / nothing to publish, 1 error (nothing written), 2 changes pending (plan, render --check),
3 partly done (apply/release: some repos stale or failed; a re-run converges).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from pipeline import __version__, preview
from pipeline.errors import PipelineError
from pipeline.hub import Hub, open_hub, resolve_spec
from pipeline.localhub.cli import add_serve_arguments, serve_from_args
from pipeline.plan import Plan, read_plan, write_plan
from pipeline.publish import ApplyResult, Sources, apply_plan, build_plan, check_plan
from pipeline.render import Selection
from pipeline.report import render_json, render_markdown, render_text

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_PENDING = 2
EXIT_PARTIAL = 3

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


def _add_create_pr(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--create-pr",
        action="store_true",
        help="open Hub pull requests instead of pushing to main (re-uses nb-release's open PR)",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
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
    _add_create_pr(apply)
    apply.set_defaults(handler=_apply)

    release = commands.add_parser(
        "release",
        help="plan, show, confirm, apply",
        description="Plan, show the report, ask for confirmation (y/N), then publish only the "
        "changed cards. Without a terminal nothing is published unless --yes is given. Exit "
        "status 0 all done (or nothing to publish), 1 error before any write, 2 changes pending "
        "but not confirmed, 3 partly done (a re-run converges).",
    )
    _add_source(release)
    _add_selection(release)
    _add_hub(release)
    release.add_argument("--yes", "-y", action="store_true", help="publish without asking (for CI)")
    _add_create_pr(release)
    release.set_defaults(handler=_release)

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
    return Sources(manifest=args.manifest, cards=args.cards)


@contextmanager
def _progress(
    console: Console, label: str
) -> Iterator[tuple[Callable[[int], None], Callable[[str], None]]]:
    """A rich progress bar; yields (start(total), advance(repo_id)) callbacks for the core."""
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
    selection = Selection(tuple(args.only), tuple(args.exclude))
    with _progress(console, "Reading live cards") as (start, advance):
        return build_plan(_sources(args), selection, hub, resolve_spec(args.hub), advance, start)


def _plan(args: argparse.Namespace, console: Console) -> int:
    with open_hub(args.hub, args.hub_root) as hub:
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
    if args.format == "json":
        console.out(render_json(plan), end="")
    elif args.format == "markdown":
        console.out(render_markdown(plan), end="")
    else:
        render_text(plan, console)
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
    with open_hub(args.hub, args.hub_root) as hub:
        plan = _make_plan(args, hub, _stderr())
        page = _preview_page(plan, hub)
    path = preview.write_page(page, args.out / "index.html")
    console.print(f"Preview of {len(plan.changes)} changed card(s) written to {path}")
    return EXIT_OK


def _publish(plan: Plan, hub: Hub, create_pr: bool, console: Console) -> int:
    with _progress(_stderr(), "Publishing") as (start, advance):
        start(len(plan.changes))
        result = apply_plan(plan, hub, create_pr=create_pr, on_done=advance)
    _print_summary(result, hub, console)
    return EXIT_OK if result.complete else EXIT_PARTIAL


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
    source = str(args.plan_file)
    plan = read_plan(args.plan_file)
    check_plan(plan, _sources(args), resolve_spec(args.hub), source)
    if not plan.has_changes:
        console.print(f"{source}: nothing to publish.")
        return EXIT_OK
    with open_hub(args.hub, args.hub_root) as hub:
        return _publish(plan, hub, args.create_pr, console)


def _release(args: argparse.Namespace, console: Console) -> int:
    with open_hub(args.hub, args.hub_root) as hub:
        plan = _make_plan(args, hub, _stderr())
        if not plan.has_changes and not plan.errors:
            console.print(
                f"Nothing to publish: all {len(plan.entries)} cards on "
                f"{hub.target.display} match the manifest."
            )
            return EXIT_OK
        render_text(plan, console)
        # Refuses the whole plan, before any write, if a repo is missing.
        check_plan(plan, _sources(args), resolve_spec(args.hub), str(args.manifest))
        if not args.yes:
            if not sys.stdin.isatty():
                console.print("Not publishing: no terminal to confirm on. Pass --yes to publish.")
                return EXIT_PENDING
            answer = console.input(
                f"Publish {len(plan.changes)} card(s) to {hub.target.display}? [y/N] "
            )
            if answer.strip().lower() not in ("y", "yes"):
                console.print("Nothing published.")
                return EXIT_PENDING
        return _publish(plan, hub, args.create_pr, console)


def _stderr() -> Console:
    return Console(stderr=True)


def _hub_serve(args: argparse.Namespace, console: Console) -> int:
    serve_from_args(args, lambda line: console.print(line, highlight=False, soft_wrap=True))
    return EXIT_OK


# --- the one exit point -------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    console = Console(soft_wrap=True, highlight=False)
    errors = Console(stderr=True, soft_wrap=True, highlight=False)
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
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
