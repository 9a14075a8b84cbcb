"""Pure: CardDiffs -> Plan, and the plan file (JSON, versioned, written atomically).

A plan is what `nb-release plan` saves and `nb-release apply` publishes: only the cards that must
change, each with the head commit it was diffed against (so publishing can refuse to overwrite a
card someone changed since), plus the fingerprint of the manifest and templates it came from.

The plan file, schema_version 2 (docs/plan-schema.md is the reference; keep the two in step)::

    {
      "kind": "nb-release.plan",          # always this string
      "schema_version": 2,                # int; a file with another version is refused
      "tool_version": "0.1.0",            # nb-release version that wrote the plan
      "created_at": "2025-01-31T12:00:00Z",  # UTC, seconds, trailing Z
      "hub": "https://huggingface.co",    # target endpoint; never holds credentials
      "fingerprint": "sha256:...",        # of the manifest and templates, computed by the caller
      "entries": [                        # one per managed repo, in manifest order
        {
          "repo_id": "NbAiLab/nb-llama-3.1-8B",
          "variant": "nb-llama-3.1-8B",
          "action": "update",             # create | update | unchanged | missing-repo | create-repo
          "state": "pending",             # unchanged | pending | drift | drift+pending | adopt
                                          # | create | create-repo | missing-repo (ownership.py)
          "on_drift": null,               # the manifest's policies for this repo, or null
          "on_adopt": null,
          "ownership": {                  # what backs the state (null: none was read)
            "published": null,            # nb-release's newest release commit, or null
            "replaced": [],               # commits an overwrite replaces (id, date, authors, title)
            "drift": null                 # {commits, edit_diff, lines_added, lines_removed}
          },
          "head_sha": "0123abcd...",      # head of main when diffed; null if the repo is missing
          "content": "---\\n...",         # the card to write; null unless the action writes
          "diff": {
            "metadata_changes": [
              {"key_path": "license", "kind": "changed", "old": "llama3.1", "new": "llama3.2"}
            ],
            "reformat_only": false,
            "live_metadata_error": null,
            "body_diff": "--- a/README.md\\n+++ b/README.md\\n@@ ...",
            "lines_added": 3,
            "lines_removed": 1
          }
        }
      ]
    }

Keys are written sorted, two-space indented, UTF-8, LF, with a trailing newline. schema_version
policy: any change to the shape (a field added, removed, renamed, retyped or given a new meaning; a
new action) bumps it, because readers forbid unknown fields; a reader refuses any version it does
not know, newer or older (plans live for minutes: plan again rather than migrate).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal, TypeVar
from urllib.parse import urlsplit, urlunsplit

from pydantic import BaseModel, ConfigDict, JsonValue, ValidationError

from pipeline.atomic import write_text_atomically as write_text_atomically  # re-exported
from pipeline.diff import (
    ACTIONS,
    ERROR_ACTIONS,
    WRITE_ACTIONS,
    Action,
    CardDiff,
    ChangeKind,
    MetadataChange,
)
from pipeline.errors import PlanError
from pipeline.ownership import (
    DRIFT_STATES,
    STATES,
    Drift,
    Ownership,
    Policy,
    State,
    state_of_action,
)
from pipeline.records import CommitRecord, LiveCard, RenderedCard

SCHEMA_VERSION = 2
PLAN_KIND = "nb-release.plan"
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

    @property
    def state(self) -> State:
        return self.owner.state if self.owner is not None else state_of_action(self.action)


@dataclass(frozen=True)
class Plan:
    schema_version: int
    tool_version: str
    created_at: str
    hub: str
    fingerprint: str
    entries: tuple[PlanEntry, ...]

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
) -> Plan:
    """One entry per rendered card, in the order given; diffs and live cards are matched by repo.

    `owners` gives each repo's Ownership (pipeline/history.py) and `policies` the manifest's
    (on_drift, on_adopt) per repo; without them a state follows its action.
    """
    diff_by_repo = _by_repo(diffs, "diff")
    live_by_repo = _by_repo(live, "live card")
    entries = []
    for card in rendered:
        diff = diff_by_repo.get(card.repo_id)
        state = live_by_repo.get(card.repo_id)
        if diff is None or state is None:
            raise ValueError(f"make_plan: no diff or live card for {card.repo_id!r}")
        entries.append(
            PlanEntry(
                repo_id=card.repo_id,
                variant=card.variant,
                action=diff.action,
                head_sha=state.head_sha if state.exists else None,
                content=card.content if diff.action in WRITE_ACTIONS else None,
                diff=diff,
                owner=(owners or {}).get(card.repo_id),
                on_drift=(policies or {}).get(card.repo_id, (None, None))[0],
                on_adopt=(policies or {}).get(card.repo_id, (None, None))[1],
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


# --- JSON -----------------------------------------------------------------------------------


def plan_to_json(plan: Plan) -> dict[str, Any]:
    """The plan as JSON-ready data (schema in the module docstring and docs/plan-schema.md)."""
    return {
        "kind": PLAN_KIND,
        "schema_version": plan.schema_version,
        "tool_version": plan.tool_version,
        "created_at": plan.created_at,
        "hub": plan.hub,
        "fingerprint": plan.fingerprint,
        "entries": [_entry_to_json(entry) for entry in plan.entries],
    }


def _entry_to_json(entry: PlanEntry) -> dict[str, Any]:
    diff = entry.diff
    return {
        "repo_id": entry.repo_id,
        "variant": entry.variant,
        "action": entry.action,
        "state": entry.state,
        "on_drift": entry.on_drift,
        "on_adopt": entry.on_adopt,
        "ownership": _owner_to_json(entry.owner),
        "head_sha": entry.head_sha,
        "content": entry.content,
        "diff": {
            "metadata_changes": [
                {"key_path": c.key_path, "kind": c.kind, "old": c.old, "new": c.new}
                for c in diff.metadata_changes
            ],
            "reformat_only": diff.reformat_only,
            "live_metadata_error": diff.live_metadata_error,
            "body_diff": diff.body_diff,
            "lines_added": diff.lines_added,
            "lines_removed": diff.lines_removed,
        },
    }


def commit_to_json(commit: CommitRecord) -> dict[str, Any]:
    return {
        "id": commit.commit_id,
        "date": commit.created_at,
        "authors": list(commit.authors),
        "title": commit.title,
        "message": commit.message,
    }


def _owner_to_json(owner: Ownership | None) -> dict[str, Any] | None:
    if owner is None:
        return None
    drift = owner.drift
    return {
        "published": commit_to_json(owner.published) if owner.published else None,
        "replaced": [commit_to_json(c) for c in owner.replaced],
        "drift": None
        if drift is None
        else {
            "commits": [commit_to_json(c) for c in drift.commits],
            "edit_diff": drift.edit_diff,
            "lines_added": drift.lines_added,
            "lines_removed": drift.lines_removed,
        },
    }


class _Model(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)


class _ChangeModel(_Model):
    key_path: str
    kind: ChangeKind
    old: JsonValue
    new: JsonValue


class _DiffModel(_Model):
    metadata_changes: list[_ChangeModel]
    reformat_only: bool
    live_metadata_error: str | None
    body_diff: str
    lines_added: int
    lines_removed: int


class _CommitModel(_Model):
    id: str
    date: str
    authors: list[str]
    title: str
    message: str


class _DriftModel(_Model):
    commits: list[_CommitModel]
    edit_diff: str
    lines_added: int
    lines_removed: int


class _OwnerModel(_Model):
    published: _CommitModel | None
    replaced: list[_CommitModel]
    drift: _DriftModel | None


class _EntryModel(_Model):
    repo_id: str
    variant: str
    action: Action
    state: State
    on_drift: Policy | None
    on_adopt: Policy | None
    ownership: _OwnerModel | None
    head_sha: str | None
    content: str | None
    diff: _DiffModel


class _PlanModel(_Model):
    kind: Literal["nb-release.plan"]
    schema_version: Literal[2]
    tool_version: str
    created_at: str
    hub: str
    fingerprint: str
    entries: list[_EntryModel]


def plan_from_json(data: object, source: str) -> Plan:
    """Validate plan data read from `source` (a file name, for messages); raise PlanError if bad."""
    if not isinstance(data, dict):
        raise PlanError(f"{source}: not a plan file: expected a JSON object", hint=_REPLAN)
    if data.get("kind") != PLAN_KIND:
        raise PlanError(
            f"{source}: not a plan file: `kind` is {data.get('kind')!r}, expected {PLAN_KIND!r}",
            hint=_REPLAN,
        )
    version = data.get("schema_version")
    if version != SCHEMA_VERSION or type(version) is not int:
        raise PlanError(
            f"{source}: plan schema_version {version!r} is not supported "
            f"(this nb-release reads schema_version {SCHEMA_VERSION})",
            hint=_REPLAN,
        )
    try:
        model = _PlanModel.model_validate(data)
    except ValidationError as exc:
        lines = [f"  {_loc(err['loc'])}: {err['msg']}" for err in exc.errors()]
        count = len(lines)
        raise PlanError(
            f"{source}: not a valid plan ({count} problem{'s' if count != 1 else ''}):\n"
            + "\n".join(lines),
            hint=_REPLAN,
        ) from None
    problems = [p for i, e in enumerate(model.entries) for p in _entry_problems(i, e)]
    seen: set[str] = set()
    for index, entry in enumerate(model.entries):
        if entry.repo_id in seen:
            problems.append(f"  entries[{index}].repo_id: {entry.repo_id!r} appears twice")
        seen.add(entry.repo_id)
    if problems:
        count = len(problems)
        raise PlanError(
            f"{source}: not a valid plan ({count} problem{'s' if count != 1 else ''}):\n"
            + "\n".join(problems),
            hint=_REPLAN,
        )
    return Plan(
        schema_version=model.schema_version,
        tool_version=model.tool_version,
        created_at=model.created_at,
        hub=model.hub,
        fingerprint=model.fingerprint,
        entries=tuple(_entry_from_model(e) for e in model.entries),
    )


def _entry_problems(index: int, entry: _EntryModel) -> list[str]:
    where = f"  entries[{index}]"
    problems = []
    if entry.action in WRITE_ACTIONS and entry.content is None:
        problems.append(f"{where}.content: missing for action {entry.action!r}, which writes")
    if entry.action not in WRITE_ACTIONS and entry.content is not None:
        problems.append(f"{where}.content: must be null for action {entry.action!r}")
    if state_of_action(entry.action) != entry.state and entry.action != "update":
        problems.append(f"{where}.state: {entry.state!r} does not fit action {entry.action!r}")
    if entry.action == "update" and entry.state in ("create", "create-repo", "missing-repo"):
        problems.append(f"{where}.state: {entry.state!r} does not fit action 'update'")
    needs_head = entry.action in {"create", "update", "unchanged"}
    if needs_head and entry.head_sha is None:
        problems.append(f"{where}.head_sha: missing for action {entry.action!r}")
    if not needs_head and entry.head_sha is not None:
        problems.append(f"{where}.head_sha: must be null for action {entry.action!r}")
    return problems


def _entry_from_model(entry: _EntryModel) -> PlanEntry:
    diff = entry.diff
    return PlanEntry(
        repo_id=entry.repo_id,
        variant=entry.variant,
        action=entry.action,
        head_sha=entry.head_sha,
        content=entry.content,
        diff=CardDiff(
            repo_id=entry.repo_id,
            action=entry.action,
            metadata_changes=tuple(
                MetadataChange(c.key_path, c.kind, c.old, c.new) for c in diff.metadata_changes
            ),
            reformat_only=diff.reformat_only,
            live_metadata_error=diff.live_metadata_error,
            body_diff=diff.body_diff,
            lines_added=diff.lines_added,
            lines_removed=diff.lines_removed,
        ),
        owner=_owner_from_model(entry.state, entry.ownership),
        on_drift=entry.on_drift,
        on_adopt=entry.on_adopt,
    )


def _commit_from_model(commit: _CommitModel) -> CommitRecord:
    return CommitRecord(commit.id, commit.date, tuple(commit.authors), commit.title, commit.message)


def _owner_from_model(state: State, owner: _OwnerModel | None) -> Ownership | None:
    if owner is None:
        return None if state == state_of_action(state) else Ownership(state=state)
    drift = owner.drift
    return Ownership(
        state=state,
        published=_commit_from_model(owner.published) if owner.published else None,
        drift=None
        if drift is None
        else Drift(
            commits=tuple(_commit_from_model(c) for c in drift.commits),
            edit_diff=drift.edit_diff,
            lines_added=drift.lines_added,
            lines_removed=drift.lines_removed,
        ),
        replaced=tuple(_commit_from_model(c) for c in owner.replaced),
    )


def _loc(loc: Sequence[int | str]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else part
    return out or "(top level)"


# --- the file -------------------------------------------------------------------------------


def dumps_json(data: Mapping[str, Any]) -> str:
    """Stable JSON text: sorted keys, two-space indent, UTF-8 characters kept, trailing newline."""
    return json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False, allow_nan=False) + "\n"


def write_plan(plan: Plan, path: Path) -> None:
    """Save the plan atomically: a reader sees the old file or the new one, never half of one."""
    write_text_atomically(path, dumps_json(plan_to_json(plan)))


def read_plan(path: Path) -> Plan:
    """Load and validate a plan file; every failure is a PlanError naming the file."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise PlanError(f"{path}: no such plan file", hint=_REPLAN) from None
    except OSError as exc:
        raise PlanError(f"{path}: cannot read the plan: {exc.strerror}") from None
    try:
        data = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise PlanError(
            f"{path}: not a plan file: not UTF-8 ({exc.reason})", hint=_REPLAN
        ) from None
    except json.JSONDecodeError as exc:
        raise PlanError(
            f"{path}:{exc.lineno}:{exc.colno}: not a plan file: invalid JSON ({exc.msg})",
            hint=_REPLAN,
        ) from None
    return plan_from_json(data, source=str(path))
