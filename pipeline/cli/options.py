"""One frozen options record per command, and the parts several of them share.

Each command builds its record once from the command line (pipeline/cli/commands.py) and hands it
to its handler: the selection is built once, the Hub target resolved once (so a URL carrying a
token is refused before anything runs), and no handler reads argparse's Namespace.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pipeline.cli.verdict import ValidateOptions as ValidateOptions  # beside its verdict
from pipeline.manifest.selection import Selection
from pipeline.manifest.sources import Sources
from pipeline.ownership import Policy

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
class CheckOptions:
    """The target Hub as the judge (README, "Validated by the Hub, verified after")."""

    on_hub: bool  # ask validate-yaml about every card to be written (not --no-hub-validation)
    verify: bool  # read back what the Hub parsed after publishing (not --no-verify)


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
    checks: CheckOptions


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
    checks: CheckOptions


@dataclass(frozen=True)
class ReleaseOptions:
    sources: Sources
    selection: Selection
    hub: HubOptions
    policies: PolicyOptions
    reports: ReportOptions
    publish: PublishOptions
    yes: bool
    checks: CheckOptions


@dataclass(frozen=True)
class SyncOptions:
    sources: Sources
    selection: Selection
    hub: HubOptions
    policies: PolicyOptions
    reports: ReportOptions
    publish: PublishOptions
    dry_run: bool
    checks: CheckOptions


@dataclass(frozen=True)
class VerifyOptions:
    sources: Sources
    selection: Selection
    hub: HubOptions
    reports: ReportOptions


@dataclass(frozen=True)
class HistoryOptions:
    repos: tuple[str, ...]  # empty: every selected repo of the manifest; a bare name is refused
    sources: Sources
    selection: Selection
    hub: HubOptions
    limit: int
    file: str = "README.md"  # the managed file whose history is shown


@dataclass(frozen=True)
class RestoreOptions:
    repo: str  # a repo id, or a bare name (refused, naming the repo id the manifest gives it)
    manifest: Path  # where a bare name is looked up
    to: str
    yes: bool
    hub: HubOptions
    publish: PublishOptions
    file: str = "README.md"  # the managed file restored


@dataclass(frozen=True)
class KeepOptions:
    repos: tuple[str, ...]  # repo ids; a bare name is refused, naming the manifest's repo id
    drop: bool  # remove the repos' edits instead of keeping them
    sources: Sources
    hub: HubOptions


@dataclass(frozen=True)
class ImportOptions:
    namespace: str  # the Hub namespace whose repos are imported
    only: tuple[str, ...]  # globs on the repo names (none: every repo of the namespace)
    manifest: Path  # the models.toml the entries are written into
    hub: HubOptions


@dataclass(frozen=True)
class RulesUpdateOptions:
    hub: HubOptions
    out: Path  # where the snapshot is written (default: the checked-in one)


@dataclass(frozen=True)
class DoctorOptions:
    sources: Sources
    hub: HubOptions
    workflows: Path  # the folder of the GitHub workflows


@dataclass(frozen=True)
class CacheClearOptions:
    pass


@dataclass(frozen=True)
class ServeOptions:
    args: argparse.Namespace  # the local Hub owns its options (pipeline/localhub/cli.py)


# --- the parts several commands share, from the command line ------------------------------------


def sources_of(args: argparse.Namespace) -> Sources:
    return Sources(manifest=args.manifest, cards=args.cards)


def selection_of(args: argparse.Namespace) -> Selection:
    return Selection(tuple(args.only), tuple(args.exclude))


def hub_of(args: argparse.Namespace) -> HubOptions:
    from pipeline.hub.client import resolve_spec  # the Hub client, only for commands that use it

    return HubOptions(
        spec=args.hub,
        label=resolve_spec(args.hub),
        root=args.hub_root,
        max_wait=args.max_wait,
        timeout=args.timeout,
        cache=not args.no_cache,
    )


def reports_of(args: argparse.Namespace) -> ReportOptions:
    return ReportOptions(args.summary, args.report_json, args.report_md)


def policies_of(args: argparse.Namespace) -> PolicyOptions:
    return PolicyOptions(args.on_drift, args.on_adopt)


def checks_of(args: argparse.Namespace) -> CheckOptions:
    return CheckOptions(
        on_hub=not args.no_hub_validation, verify=not getattr(args, "no_verify", True)
    )


def publish_of(args: argparse.Namespace) -> PublishOptions:
    return PublishOptions(create_pr=args.create_pr, jobs=args.jobs)
