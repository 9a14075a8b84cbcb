"""Make a Plan against a Hub, and apply it: one commit per changed repo, parent = planned head.

The flow of `plan`, `apply` and `release`, with no printing: callers pass progress callbacks
and get plain results back.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

from pipeline import __version__
from pipeline.diff import CardDiff, diff_card
from pipeline.errors import PlanError
from pipeline.history import read_ownership
from pipeline.hub import CommitResult, Hub
from pipeline.ownership import (
    TRAILER_FINGERPRINT,
    TRAILER_TOOL,
    Decision,
    Policies,
    Policy,
    decide,
    describe_replaced,
    resolve_policy,
)
from pipeline.plan import Plan, PlanEntry, make_plan, redact_url
from pipeline.render import Selection, fingerprint, render_all
from pipeline.sources import load_sources

PR_TITLE = "Update model card (nb-release)"

Progress = Callable[[str], None]


@dataclass(frozen=True)
class Sources:
    """Where the manifest and templates are."""

    manifest: Path
    cards: Path

    def fingerprint(self) -> str:
        return fingerprint(self.manifest, self.cards)


def build_plan(
    sources: Sources,
    selection: Selection,
    hub: Hub,
    hub_label: str,
    on_read: Progress | None = None,
    on_start: Callable[[int], None] | None = None,
) -> Plan:
    """Validate and render everything, then read the live cards and diff them."""
    files, manifest = load_sources(sources.manifest, sources.cards)  # read once: hashed = rendered
    cards = render_all(manifest, files, selection)
    if on_start is not None:
        on_start(len(cards))
    if hub.target.local and hub.fresh:
        # A new embedded local Hub starts as an empty mirror of the family: every repo exists,
        # none has a card, so the first release shows `create` for each (never on a real Hub).
        for card in cards:
            hub.create_repo(card.repo_id)
    live = hub.read_cards([c.repo_id for c in cards], on_done=on_read)
    diffs = [diff_card(card, state) for card, state in zip(cards, live, strict=True)]
    owners = read_ownership(hub, cards, live, diffs)
    policies: dict[str, tuple[Policy | None, Policy | None]] = {}
    for variant in manifest.variants:
        policies[variant.repo_id] = (
            resolve_policy(variant.on_drift, default="skip") if variant.on_drift else None,
            resolve_policy(variant.on_adopt, default="skip") if variant.on_adopt else None,
        )
    return make_plan(
        diffs,
        cards,
        live,
        hub=hub_label,
        fingerprint=files.fingerprint,
        tool_version=__version__,
        now=datetime.now(UTC),
        owners=owners,
        policies=policies,
    )


@dataclass(frozen=True)
class ApplyResult:
    results: tuple[CommitResult, ...]
    unchanged: tuple[str, ...]

    def with_status(self, *statuses: str) -> tuple[CommitResult, ...]:
        return tuple(r for r in self.results if r.status in statuses)

    @property
    def complete(self) -> bool:
        return not self.with_status("stale", "failed")


def check_plan(plan: Plan, sources: Sources, hub_label: str, source: str) -> None:
    """Refuse a plan made from other manifest/template contents or for another Hub."""
    if plan.fingerprint != sources.fingerprint():
        raise PlanError(
            f"{source}: the plan was made from other contents of {sources.manifest} or "
            f"{sources.cards}/ than the current ones",
            hint="run `nb-release plan --out` again, then apply the new plan",
        )
    if plan.hub != redact_url(hub_label):
        raise PlanError(
            f"{source}: the plan was made for {plan.hub}, not for {hub_label}",
            hint="apply it with the same --hub it was made with, or make a new plan",
        )
    if plan.errors:
        names = ", ".join(e.repo_id for e in plan.errors)
        raise PlanError(
            f"{len(plan.errors)} repo(s) of the plan do not exist on the Hub: {names}",
            hint="create them on the Hub, or set allow_create = true for them in models.toml",
        )


def describe(entry: PlanEntry, fingerprint_value: str) -> tuple[str, str]:
    """The commit title and description: a summary of the change plus nb-release's trailers."""
    title = (
        "Create model card" if entry.action in ("create", "create-repo") else "Update model card"
    )
    diff: CardDiff = entry.diff
    parts: list[str] = []
    keys = sorted({c.key_path.split("[")[0].split(".")[0] for c in diff.metadata_changes})
    if keys:
        parts.append(f"metadata changed: {', '.join(keys)}")
    elif diff.reformat_only:
        parts.append("front matter re-formatted only")
    parts.append(f"+{diff.lines_added} -{diff.lines_removed} lines")
    summary = f"Rendered from models.toml and cards/ by nb-release ({'; '.join(parts)})."
    owner = entry.owner
    if owner is not None and owner.replaced and entry.state != "pending":
        # An overwrite names what it replaces, so a person can bring it back.
        summary += (
            f"\n\nReplaces {entry.state} commits not made by nb-release (bring one back with "
            f"`nb-release restore {entry.repo_id} --to COMMIT`):\n"
            + describe_replaced(owner.replaced)
        )
    trailers = (
        f"{TRAILER_TOOL}: nb-release {__version__}\n{TRAILER_FINGERPRINT}: {fingerprint_value}"
    )
    return title, f"{summary}\n\n{trailers}"


def apply_plan(
    plan: Plan,
    hub: Hub,
    *,
    create_pr: bool = False,
    on_done: Progress | None = None,
) -> ApplyResult:
    """Publish every change of the plan; a repo whose head moved is reported stale."""
    results: list[CommitResult] = []
    if plan.changes:
        hub.whoami()  # fail on a bad token before the first write
    for entry in plan.changes:
        results.append(_apply_one(entry, plan, hub, create_pr))
        if on_done is not None:
            on_done(entry.repo_id)
    unchanged = tuple(e.repo_id for e in plan.entries if e.action == "unchanged")
    return ApplyResult(results=tuple(results), unchanged=unchanged)


def _apply_one(entry: PlanEntry, plan: Plan, hub: Hub, create_pr: bool) -> CommitResult:
    assert entry.content is not None  # the plan guarantees content for writing actions
    title, description = describe(entry, plan.fingerprint)
    parent = entry.head_sha
    if entry.action == "create-repo":
        hub.create_repo(entry.repo_id)
        parent = None
    if not create_pr:
        return hub.commit_card(
            entry.repo_id, entry.content, parent=parent, title=title, description=description
        )
    own = hub.find_own_pr(entry.repo_id, PR_TITLE)
    if own is None:
        return hub.commit_card(
            entry.repo_id,
            entry.content,
            parent=parent,
            title=PR_TITLE,
            description=description,
            create_pr=True,
        )
    _, ref = own
    proposed = hub.read_card(entry.repo_id, revision=ref)
    if proposed.content == entry.content:
        return CommitResult(entry.repo_id, "already", message=f"already proposed in {ref}")
    return hub.commit_card(
        entry.repo_id,
        entry.content,
        parent=proposed.head_sha,
        title=title,
        description=description,
        revision=ref,
    )


# --- policies ---------------------------------------------------------------------------------


def decide_all(
    plan: Plan,
    on_drift: Policy | None,
    on_adopt: Policy | None,
    default: Policies,
) -> dict[str, Decision]:
    """Each repo's decision: the command line's policy, else the manifest's, else `default`."""
    out: dict[str, Decision] = {}
    for entry in plan.entries:
        policies = Policies(
            on_drift=resolve_policy(on_drift, entry.on_drift, default=default.on_drift),
            on_adopt=resolve_policy(on_adopt, entry.on_adopt, default=default.on_adopt),
        )
        out[entry.repo_id] = decide(entry.state, policies)
    return out


@dataclass(frozen=True)
class DecidedResult:
    """What a policy-driven publish did: the writes, and the repos left as they are."""

    applied: ApplyResult
    skipped: tuple[PlanEntry, ...]  # drift or adopt left alone by policy

    @property
    def complete(self) -> bool:
        return self.applied.complete


def apply_decided(
    plan: Plan,
    hub: Hub,
    decisions: Mapping[str, Decision],
    *,
    create_pr: bool = False,
    on_done: Progress | None = None,
) -> DecidedResult:
    """Publish the repos decided `publish` (to main, or as PRs with create_pr), open or update
    nb-release's PR for those decided `pr`, and leave those decided `skip` alone."""

    def only(*wanted: Decision) -> Plan:
        return replace(
            plan, entries=tuple(e for e in plan.changes if decisions.get(e.repo_id) in wanted)
        )

    direct = only("publish")
    proposed = only("pr")
    results: list[CommitResult] = []
    if create_pr:
        results += apply_plan(only("publish", "pr"), hub, create_pr=True, on_done=on_done).results
    else:
        results += apply_plan(direct, hub, on_done=on_done).results
        results += apply_plan(proposed, hub, create_pr=True, on_done=on_done).results
    unchanged = tuple(e.repo_id for e in plan.entries if e.action == "unchanged")
    skipped = tuple(e for e in plan.changes if decisions.get(e.repo_id) == "skip")
    return DecidedResult(ApplyResult(tuple(results), unchanged), skipped)
