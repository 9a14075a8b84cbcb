"""The command line of `nb-release`: every command, flag and help text, in one place.

It only describes: parsing gives an argparse Namespace that pipeline/options.py turns into the
frozen options record of the command, and pipeline/cli.py runs it. A usage error exits 64
(EX_USAGE), a status no other outcome has (2 means "changes pending").
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import NoReturn

from pipeline import __version__
from pipeline.defaults import DEFAULT_JOBS, DEFAULT_MAX_WAIT, DEFAULT_TIMEOUT
from pipeline.exitcodes import EXIT_USAGE
from pipeline.hubrules import repo_id_problem
from pipeline.localhub.cli import add_serve_arguments
from pipeline.ownership import POLICIES


class _Parser(argparse.ArgumentParser):
    """argparse with a usage-error status of its own (argparse's 2 means "changes pending")."""

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


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


def _repo_id(text: str) -> str:
    """A Hub repo id, checked by the manifest's rule before it reaches a URL or the cache."""
    problem = repo_id_problem(text)
    if problem is not None:
        raise argparse.ArgumentTypeError(problem)
    return text


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

    history = commands.add_parser(
        "history",
        help="each card's commits, marked as nb-release's or not",
        description="List, per repo, the commits that changed README.md (id, date, author, "
        "title), newest first, marking nb-release's releases with their manifest fingerprint.",
    )
    history.add_argument(
        "repos",
        nargs="*",
        type=_repo_id,
        metavar="REPO",
        help="repo ids (default: every repo of the manifest)",
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

    restore = commands.add_parser(
        "restore",
        help="publish a card as it was at an earlier commit",
        description="Publish README.md as it was at COMMIT, as a new commit on top of the head "
        "(shown as a diff first). The restored card reads as drift until the manifest takes "
        "it in. Exit status 0 done (or nothing to do), 1 error, 2 not confirmed.",
    )
    restore.add_argument("repo", type=_repo_id, metavar="REPO", help="the repo id")
    restore.add_argument(
        "--to", required=True, metavar="COMMIT", help="the commit id (or a unique prefix of it)"
    )
    restore.add_argument("--yes", "-y", action="store_true", help="publish without asking")
    _add_hub(restore)
    _add_client(restore, publishes=False)

    cache = commands.add_parser(
        "cache",
        help="the local cache of live cards and renders",
        description="The local cache that makes warm plans cheap: README.md of each repo at "
        "each head commit, and the cards rendered for each manifest fingerprint. It never "
        "changes an answer. Lives in $NB_RELEASE_CACHE, else $XDG_CACHE_HOME/nb-release, "
        "else ~/.cache/nb-release.",
    )
    cache_commands = cache.add_subparsers(dest="cache_command", metavar="COMMAND", required=True)
    cache_commands.add_parser(
        "clear", help="remove every entry", description="Remove every entry of the cache."
    )

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
    return parser
