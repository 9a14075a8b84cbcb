"""One frozen options record per command, built once from the command line.

The CLI parses, builds the record of its command here, and hands it to one handler: the
selection is built once, the Hub target resolved once (so a URL carrying a token is refused
before anything runs), and no handler reads argparse's Namespace.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pipeline.ownership import Policy
from pipeline.selection import Selection
from pipeline.sources import Sources

Format = Literal["text", "markdown", "json", "html"]


@dataclass(frozen=True)
class HubOptions:
    """Where to read and publish, and how patiently."""

    spec: str | None  # --hub as given (None: NB_RELEASE_HUB, HF_ENDPOINT, else local)
    label: str  # the resolved target, as plans record it
    root: Path | None  # --hub-root
    max_wait: float
    timeout: float
    cache: bool  # read and write the local cache (not --no-cache)


@dataclass(frozen=True)
class ReportOptions:
    summary: bool  # the table and totals only
    json_file: Path | None  # --report-json
    md_file: Path | None  # --report-md


@dataclass(frozen=True)
class PolicyOptions:
    on_drift: Policy | None  # None: the manifest's, else the command's default
    on_adopt: Policy | None


@dataclass(frozen=True)
class PublishOptions:
    create_pr: bool
    jobs: int


@dataclass(frozen=True)
class ValidateOptions:
    sources: Sources
    selection: Selection


@dataclass(frozen=True)
class RenderOptions:
    sources: Sources
    selection: Selection
    out: Path
    check: bool


@dataclass(frozen=True)
class PlanOptions:
    sources: Sources
    selection: Selection
    hub: HubOptions
    reports: ReportOptions
    out: Path | None
    format: Format


@dataclass(frozen=True)
class PreviewOptions:
    sources: Sources
    selection: Selection
    hub: HubOptions
    out: Path


@dataclass(frozen=True)
class ApplyOptions:
    plan_file: Path
    sources: Sources
    hub: HubOptions
    policies: PolicyOptions
    publish: PublishOptions


@dataclass(frozen=True)
class ReleaseOptions:
    sources: Sources
    selection: Selection
    hub: HubOptions
    policies: PolicyOptions
    reports: ReportOptions
    publish: PublishOptions
    yes: bool


@dataclass(frozen=True)
class SyncOptions:
    sources: Sources
    selection: Selection
    hub: HubOptions
    policies: PolicyOptions
    reports: ReportOptions
    publish: PublishOptions
    dry_run: bool


@dataclass(frozen=True)
class HistoryOptions:
    repos: tuple[str, ...]  # empty: every selected repo of the manifest
    sources: Sources
    selection: Selection
    hub: HubOptions
    limit: int


@dataclass(frozen=True)
class RestoreOptions:
    repo: str
    to: str
    yes: bool
    hub: HubOptions
    publish: PublishOptions


@dataclass(frozen=True)
class CacheClearOptions:
    pass


@dataclass(frozen=True)
class ServeOptions:
    args: argparse.Namespace  # the local Hub owns its options (pipeline/localhub/cli.py)


Options = (
    ValidateOptions
    | RenderOptions
    | PlanOptions
    | PreviewOptions
    | ApplyOptions
    | ReleaseOptions
    | SyncOptions
    | HistoryOptions
    | RestoreOptions
    | CacheClearOptions
    | ServeOptions
)


# --- from the command line ----------------------------------------------------------------------


def _sources(args: argparse.Namespace) -> Sources:
    return Sources(manifest=args.manifest, cards=args.cards)


def _selection(args: argparse.Namespace) -> Selection:
    return Selection(tuple(args.only), tuple(args.exclude))


def _hub(args: argparse.Namespace) -> HubOptions:
    from pipeline.hub import resolve_spec  # the Hub client, only for commands that use it

    return HubOptions(
        spec=args.hub,
        label=resolve_spec(args.hub),
        root=args.hub_root,
        max_wait=args.max_wait,
        timeout=args.timeout,
        cache=not args.no_cache,
    )


def _reports(args: argparse.Namespace) -> ReportOptions:
    return ReportOptions(args.summary, args.report_json, args.report_md)


def _policies(args: argparse.Namespace) -> PolicyOptions:
    return PolicyOptions(args.on_drift, args.on_adopt)


def _publish(args: argparse.Namespace) -> PublishOptions:
    return PublishOptions(create_pr=getattr(args, "create_pr", False), jobs=args.jobs)


def from_args(args: argparse.Namespace) -> Options:
    """The options record of the command `args` holds."""
    command = args.command
    if command == "validate":
        return ValidateOptions(_sources(args), _selection(args))
    if command == "render":
        return RenderOptions(_sources(args), _selection(args), args.out, args.check)
    if command == "plan":
        return PlanOptions(
            _sources(args), _selection(args), _hub(args), _reports(args), args.out, args.format
        )
    if command == "preview":
        return PreviewOptions(_sources(args), _selection(args), _hub(args), args.out)
    if command == "apply":
        return ApplyOptions(
            args.plan_file, _sources(args), _hub(args), _policies(args), _publish(args)
        )
    if command == "release":
        return ReleaseOptions(
            _sources(args),
            _selection(args),
            _hub(args),
            _policies(args),
            _reports(args),
            _publish(args),
            args.yes,
        )
    if command == "sync":
        return SyncOptions(
            _sources(args),
            _selection(args),
            _hub(args),
            _policies(args),
            _reports(args),
            _publish(args),
            args.dry_run,
        )
    if command == "history":
        return HistoryOptions(
            tuple(args.repos), _sources(args), _selection(args), _hub(args), args.limit
        )
    if command == "restore":
        return RestoreOptions(args.repo, args.to, args.yes, _hub(args), PublishOptions(False, 1))
    if command == "cache":
        return CacheClearOptions()
    if command == "hub":
        return ServeOptions(args)
    raise AssertionError(f"no options for the command {command!r}")  # argparse knows them all
