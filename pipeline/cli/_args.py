"""The flags several commands share, and the parser whose usage errors exit 64.

Each command names the groups it takes in pipeline/cli/commands.py; a flag is declared here once,
with its help text and default. A usage error exits 64 (EX_USAGE), a status no other outcome
has (2 means "changes pending").
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import NoReturn

from pipeline.defaults import DEFAULT_JOBS, DEFAULT_MAX_WAIT, DEFAULT_TIMEOUT
from pipeline.errors import PipelineError
from pipeline.exitcodes import EXIT_USAGE


class Parser(argparse.ArgumentParser):
    """argparse with a usage-error status of its own (argparse's 2 means "changes pending")."""

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


class UsageError(PipelineError):
    """A command line that only a look beyond it (in the manifest) shows to be wrong."""

    exit_code = EXIT_USAGE


def add_manifest(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--manifest",
        type=Path,
        default=Path("models.toml"),
        metavar="FILE",
        help="the manifest to read (default: models.toml)",
    )


def add_source(parser: argparse.ArgumentParser) -> None:
    add_manifest(parser)
    parser.add_argument(
        "--cards",
        type=Path,
        default=Path("cards"),
        metavar="DIR",
        help="the folder of card templates (default: cards)",
    )


def add_selection(parser: argparse.ArgumentParser) -> None:
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


def add_hub(parser: argparse.ArgumentParser) -> None:
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


def add_client(parser: argparse.ArgumentParser, publishes: bool) -> None:
    """How nb-release talks to the Hub: patience, timeouts and (when publishing) parallelism."""
    parser.add_argument(
        "--max-wait",
        type=seconds,
        default=DEFAULT_MAX_WAIT,
        metavar="SECONDS",
        help="the longest one request may wait for retries and rate limits; a quota that resets "
        f"later stops the run cleanly (default: {DEFAULT_MAX_WAIT:g})",
    )
    parser.add_argument(
        "--timeout",
        type=seconds,
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
            type=jobs,
            default=DEFAULT_JOBS,
            metavar="N",
            help=f"publish N repos at once (default: {DEFAULT_JOBS})",
        )


def seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of seconds, got {text!r}") from None
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"expected a positive number of seconds, got {text!r}")
    return value


def repo_id(text: str) -> str:
    """A Hub repo id, checked by the manifest's rule before it reaches a URL or the cache; or a
    bare name, which the command looks up in the manifest to say which repo id it means."""
    # The Hub's rules are loaded by the commands that name repos, not by every command line.
    from pipeline.hubrules import repo_id_problem, repo_part_problem

    if "/" not in text and repo_part_problem(text) is None:
        return text
    problem = repo_id_problem(text)
    if problem is not None:
        raise argparse.ArgumentTypeError(problem)
    return text


def namespace(text: str) -> str:
    """A Hub namespace (a user or an organisation), checked by the manifest's rule."""
    from pipeline.hubrules import repo_part_problem

    problem = repo_part_problem(text)
    if problem is not None:
        raise argparse.ArgumentTypeError(problem)
    return text


def jobs(text: str) -> int:
    if not text.isdigit() or not 1 <= int(text) <= 64:
        raise argparse.ArgumentTypeError(f"expected a whole number from 1 to 64, got {text!r}")
    return int(text)


def add_checks(parser: argparse.ArgumentParser, publishes: bool) -> None:
    """The target Hub as the judge: its validate-yaml before any write, and (when publishing)
    a read-back of what it parsed after."""
    parser.add_argument(
        "--no-hub-validation",
        action="store_true",
        help="do not ask the target Hub's validate-yaml about each card to be written before "
        "the first write (nb-release's own checks still run)",
    )
    if publishes:
        parser.add_argument(
            "--no-verify",
            action="store_true",
            help="do not read back, after publishing, what the Hub parsed of each card and "
            "compare it with the rendered front matter",
        )


def add_create_pr(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--create-pr",
        action="store_true",
        help="open Hub pull requests instead of pushing to main (re-uses nb-release's open PR)",
    )


def add_policies(parser: argparse.ArgumentParser, adopt_default: str) -> None:
    from pipeline.ownership import POLICIES, policies_help  # for the commands that publish

    parser.add_argument(
        "--on-drift",
        choices=POLICIES,
        default=None,
        help="what to do with a card someone changed on the Hub since nb-release's last publish: "
        f"{policies_help()} (default: the manifest's on_drift, else skip)",
    )
    parser.add_argument(
        "--on-adopt",
        choices=POLICIES,
        default=None,
        help=f"what to do with a card nb-release never published: {policies_help()} "
        f"(default: the manifest's on_adopt, else {adopt_default})",
    )


def add_reports(parser: argparse.ArgumentParser, summary_default: bool) -> None:
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
