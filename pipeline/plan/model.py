"""Pure: CardDiffs -> Plan.

A plan is what `nb-release plan` saves and `nb-release apply` publishes: every managed repo with
its action and ownership state, the card to write for those that change, each with the head
commit it was diffed against (so publishing can refuse to overwrite a card someone changed
since), plus the fingerprint of the manifest and templates it came from. The file format is
pipeline/plan/planfile.py; docs/plan-schema.md describes both.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Final, TypeVar
from urllib.parse import urlsplit, urlunsplit

from pipeline.atomic import write_text_atomically as write_text_atomically  # re-exported
from pipeline.card.diff import CardDiff
from pipeline.compliance import Finding
from pipeline.ownership import (
    ACTIONS,
    DRIFT_STATES,
    ERROR_ACTIONS,
    STATES,
    WRITE_ACTIONS,
    Action,
    Decision,
    Ownership,
    Policies,
    Policy,
    State,
    decide,
    resolve_policy,
    state_of_action,
)
from pipeline.plan.files import FileEntry, file_entry, repo_action, repo_owner
from pipeline.records import LiveCard, ManagedFile, OpenPull, RenderedCard

SCHEMA_VERSION = 4
PLAN_KIND: Final = "nb-release.plan"
# The actions on a repo that exists: the entry names the head commit its diff was made against.
HEAD_ACTIONS: frozenset[Action] = frozenset({"create", "update", "unchanged"})
_REPLAN = "run `nb-release plan` again to make a fresh plan"


@dataclass(frozen=True)
class PlanEntry:
    """One repo in the plan; `content` is set exactly when the action writes."""

    repo_id: str
    variant: str
    action: Action
    head_sha: str | None
    content: str | None
    diff: CardDiff
    owner: Ownership | None = None  # None: no history read (the state follows the action)
    on_drift: Policy | None = None  # the manifest's policies for this repo, if it sets them
    on_adopt: Policy | None = None
    pull: OpenPull | None = None  # nb-release's own pull request on the repo, open for review
    files: tuple[FileEntry, ...] = ()  # the repo's companion files (plan/files.py)

    @property
    def writes_files(self) -> tuple[ManagedFile, ...]:
        """The companion files a write of this entry commits with the card."""
        return tuple(ManagedFile(f.path, f.content) for f in self.files if f.content is not None)

    @property
    def state(self) -> State:
        return self.owner.state if self.owner is not None else state_of_action(self.action)


@dataclass(frozen=True)
class Unmanaged:
    """The repos the family declares it manages (`[defaults] manage`) that the manifest lacks:
    advice, never an error or a write. `repos` is None when this run made no listing of the
    namespace to check against (a listing is read only when it saves reads)."""

    scope: str  # "NbAiLab/{nb-llama-*}"
    repos: tuple[str, ...] | None


@dataclass(frozen=True)
class Plan:
    schema_version: int
    tool_version: str
    created_at: str
    hub: str
    fingerprint: str
    entries: tuple[PlanEntry, ...]
    unmanaged: Unmanaged | None = None  # None: the family declares no `manage`
    # What the compliance rules found (advisory only: a mandatory failure stops the plan).
    findings: tuple[Finding, ...] = ()

    @property
    def changes(self) -> tuple[PlanEntry, ...]:
        """The entries that write a card: create, update, create-repo."""
        return tuple(e for e in self.entries if e.action in WRITE_ACTIONS)

    @property
    def errors(self) -> tuple[PlanEntry, ...]:
        """The entries that cannot be applied: missing-repo."""
        return tuple(e for e in self.entries if e.action in ERROR_ACTIONS)

    @property
    def has_changes(self) -> bool:
        return bool(self.changes)

    @property
    def drifted(self) -> tuple[PlanEntry, ...]:
        return tuple(e for e in self.entries if e.state in DRIFT_STATES)

    @property
    def adopted(self) -> tuple[PlanEntry, ...]:
        return tuple(e for e in self.entries if e.state == "adopt")

    def state_counts(self) -> dict[State, int]:
        """How many entries per state, every state present (0 when none)."""
        counts: dict[State, int] = dict.fromkeys(STATES, 0)
        for entry in self.entries:
            counts[entry.state] += 1
        return counts

    def counts(self) -> dict[Action, int]:
        """How many entries per action, every action present (0 when none)."""
        counts: dict[Action, int] = dict.fromkeys(ACTIONS, 0)
        for entry in self.entries:
            counts[entry.action] += 1
        return counts


def make_plan(
    diffs: Sequence[CardDiff],
    rendered: Sequence[RenderedCard],
    live: Sequence[LiveCard],
    *,
    hub: str,
    fingerprint: str,
    tool_version: str,
    now: datetime,
    owners: Mapping[str, Ownership] | None = None,
    policies: Mapping[str, tuple[Policy | None, Policy | None]] | None = None,
    pulls: Mapping[str, OpenPull] | None = None,
    file_owners: Mapping[tuple[str, str], Ownership] | None = None,
) -> Plan:
    """One entry per rendered card, in the order given; diffs and live cards are matched by repo.

    `owners` gives each repo's Ownership (pipeline/plan/history.py) and `policies` the manifest's
    (on_drift, on_adopt) per repo; without them a state follows its action. `pulls` gives
    nb-release's open pull request of the repos that have one: a pending card with one is
    `proposed`.
    """
    diff_by_repo = _by_repo(diffs, "diff")
    live_by_repo = _by_repo(live, "live card")
    entries = []
    for card in rendered:
        diff = diff_by_repo.get(card.repo_id)
        state = live_by_repo.get(card.repo_id)
        if diff is None or state is None:
            raise ValueError(f"make_plan: no diff or live card for {card.repo_id!r}")
        files = tuple(
            file_entry(
                f.path,
                diff.action,
                f.content or "",
                state.file(f.path),
                (file_owners or {}).get((card.repo_id, f.path)),
            )
            for f in card.files
        )
        action = repo_action(diff.action, files)
        owner = repo_owner(action, (owners or {}).get(card.repo_id), files)
        pull = (pulls or {}).get(card.repo_id)
        if pull is not None and owner is not None and owner.state == "pending":
            owner = replace(owner, state="proposed")
        entries.append(
            PlanEntry(
                repo_id=card.repo_id,
                variant=card.variant,
                action=action,
                head_sha=state.head_sha if state.exists else None,
                content=card.content if action in WRITE_ACTIONS else None,
                # The card's diff, under the repo's action (an unchanged card in a repo whose
                # companion changes is written again as it is, in the same commit).
                diff=diff if diff.action == action else replace(diff, action=action),
                owner=owner,
                on_drift=(policies or {}).get(card.repo_id, (None, None))[0],
                on_adopt=(policies or {}).get(card.repo_id, (None, None))[1],
                pull=pull,
                files=files,
            )
        )
    if len(entries) != len(diff_by_repo) or len(entries) != len(live_by_repo):
        raise ValueError("make_plan: diffs or live cards for repos that were not rendered")
    return Plan(
        schema_version=SCHEMA_VERSION,
        tool_version=tool_version,
        created_at=format_timestamp(now),
        hub=redact_url(hub),
        fingerprint=fingerprint,
        entries=tuple(entries),
    )


_Keyed = TypeVar("_Keyed", CardDiff, LiveCard)


def _by_repo(items: Iterable[_Keyed], what: str) -> dict[str, _Keyed]:
    out: dict[str, _Keyed] = {}
    for item in items:
        if item.repo_id in out:
            raise ValueError(f"make_plan: two {what}s for {item.repo_id!r}")
        out[item.repo_id] = item
    return out


def format_timestamp(now: datetime) -> str:
    """ISO 8601 in UTC to the second with a Z: `2025-01-31T12:00:00Z`."""
    if now.tzinfo is None:
        raise ValueError("make_plan: `now` must be timezone-aware")
    return now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def redact_url(url: str) -> str:
    """The endpoint without user info, query or fragment: where a URL could carry a token."""
    parts = urlsplit(url)
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit((parts.scheme, host, parts.path, "", ""))


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
