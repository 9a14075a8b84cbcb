"""Pure: who owns each card now. nb-release's last publish, the live card, the rendered card ->
one state per repo, and the policy decision of what to do with it.

No I/O: the reads are in pipeline/plan/history.py. A repo's state:

- `unchanged`: live equals rendered.
- `pending`: live equals what nb-release last published; rendered differs (the manifest or the
  templates changed). Safe to publish.
- `proposed`: pending, and nb-release's own pull request on the repo is open (it proposes the
  change for review; publishing to main closes it).
- `drift`: live differs from what nb-release last published, and rendered equals it: only someone
  else changed the card.
- `drift+pending`: both: someone changed the card and so did the manifest.
- `adopt`: a README exists that nb-release never published.
- `create`, `create-repo`, `missing-repo`: no README yet; no repo, creatable; no repo, not.

Drift is decided on content (last published README against live README), never on the mere
presence of later commits: a commit that uploads weights does not touch the card.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal, TypeAlias, assert_never, get_args

from pipeline.english import plural
from pipeline.newlines import normalize_newlines
from pipeline.records import CommitRecord

# What a plan does with a repo's README.md, from comparing the rendered card with the live one.
Action: TypeAlias = Literal["create", "update", "unchanged", "missing-repo", "create-repo"]
ACTIONS: tuple[Action, ...] = get_args(Action)
# The actions that write a README.md (and so need content in a plan).
WRITE_ACTIONS: frozenset[Action] = frozenset({"create", "update", "create-repo"})
ERROR_ACTIONS: frozenset[Action] = frozenset({"missing-repo"})

State: TypeAlias = Literal[
    "unchanged",
    "pending",
    "proposed",
    "drift",
    "drift+pending",
    "adopt",
    "create",
    "create-repo",
    "missing-repo",
]
STATES: tuple[State, ...] = get_args(State)
# States a person's hand is in: publishing would replace someone else's card.
DRIFT_STATES: frozenset[State] = frozenset({"drift", "drift+pending"})
# States a policy decides (on_drift, on_adopt): the live card is someone else's.
POLICY_STATES: frozenset[State] = DRIFT_STATES | {"adopt"}
# States of a live card that differs from the rendered one (action `update`): its history says
# whose it is. Every other state is the action's own word.
UPDATE_STATES: frozenset[State] = POLICY_STATES | {"pending", "proposed"}

# What to do with a card someone else changed (on_drift) or wrote (on_adopt). The manifest, the
# command line, the prompt, the cache and the plan file all take their words from here.
Policy: TypeAlias = Literal["skip", "pr", "merge", "overwrite"]
POLICIES: tuple[Policy, ...] = get_args(Policy)
# What a run does with one repo. `merge`: publish the three-way merge of nb-release's last publish,
# the render and the live card when it is clean; on a conflict, open nb-release's pull request.
Decision: TypeAlias = Literal["publish", "merge", "pr", "skip", "none", "error"]
DECISIONS: tuple[Decision, ...] = get_args(Decision)

TRAILER_TOOL = "Released-by"
TRAILER_FINGERPRINT = "Manifest-fingerprint"
TRAILER_RESTORED = "Restored-from"  # a restore is not a release: the card then reads as drift
# A merge is not a release either: the card keeps reading as drift against the last release (its
# hand edit is in no template), and merging again finds it up to date.
TRAILER_MERGED = "Merged-by"
TRAILER_MERGE_BASE = "Merge-base"
TOOL_NAME = "nb-release"
# The title of nb-release's own pull request on a repo: how a run finds it again (one per repo).
PR_TITLE = "Update model card (nb-release)"

README = "README.md"
ADOPT_COMMITS = 20  # commits of an adopted card named in the plan and the overwrite's description


@dataclass(frozen=True)
class Drift:
    """Someone else's edit since nb-release's last publish."""

    commits: tuple[CommitRecord, ...]  # since nb-release's publish, that changed README.md
    edit_diff: str  # unified diff: last published -> live
    lines_added: int
    lines_removed: int


@dataclass(frozen=True)
class Ownership:
    """One repo's state and what backs it."""

    state: State
    published: CommitRecord | None = None  # nb-release's newest release commit, if known
    drift: Drift | None = None
    # The commits an overwrite replaces (drift: the edits since nb-release; adopt: the card's own).
    replaced: tuple[CommitRecord, ...] = ()


def state_of_action(action: Action) -> State:
    """The state when no history is needed: create, create-repo, missing-repo, unchanged."""
    if action == "update":
        # Without history an update can only be assumed to be nb-release's own (older plans).
        return "pending"
    return action


def states_of_action(action: Action) -> frozenset[State]:
    """The states an entry with this action may have."""
    return UPDATE_STATES if action == "update" else frozenset({state_of_action(action)})


def needs_history(action: Action) -> bool:
    """Only a live card that differs from the rendered one needs its history read."""
    return action == "update"


# --- commit messages --------------------------------------------------------------------------


def trailers(message: str) -> dict[str, str]:
    """The `Key: value` lines of a commit message's last paragraph (git's trailer block)."""
    paragraphs = [p for p in normalize_newlines(message).strip().split("\n\n") if p.strip()]
    if not paragraphs:
        return {}
    out: dict[str, str] = {}
    for line in paragraphs[-1].splitlines():
        key, sep, value = line.partition(":")
        if not sep or not key or " " in key.strip():
            return {}
        out[key.strip()] = value.strip()
    return out


def is_release(commit: CommitRecord) -> bool:
    """A commit nb-release published (its message carries the release trailers)."""
    found = trailers(commit.message)
    return found.get(TRAILER_TOOL, "").split(" ")[0] == TOOL_NAME and TRAILER_FINGERPRINT in found


def fingerprint_of(commit: CommitRecord) -> str | None:
    return trailers(commit.message).get(TRAILER_FINGERPRINT) if is_release(commit) else None


def trusted_release(commit: CommitRecord, publisher: str | None, recorded: bool) -> bool:
    """A release commit nb-release may take as its own: the trailers, and either nb-release
    recorded its id when it landed or its author is the publishing user (the token's). The
    trailers alone are text anyone with write access can copy into a commit of theirs."""
    if not is_release(commit):
        return False
    return recorded or (publisher is not None and publisher in commit.authors)


Trust: TypeAlias = Callable[[CommitRecord], bool]


def last_release(commits: Sequence[CommitRecord], trusted: Trust = is_release) -> int | None:
    """The index of the newest (trusted) release commit in a newest-first history, or None."""
    return next((i for i, c in enumerate(commits) if trusted(c)), None)


# --- deciding ---------------------------------------------------------------------------------


def decide_update(
    *,
    rendered: str,
    live: str,
    commits: Sequence[CommitRecord],
    published_content: str | None,
    trusted: Trust = is_release,
    kept: str | None = None,
    path: str = README,
) -> Ownership:
    """The state of a repo whose live card (or companion file `path`) differs from the rendered
    one.

    `commits` is the branch history, newest first; `published_content` the README at the newest
    release commit `trusted` accepts (None if there is none, or it had no README). `kept` is the
    hand edit the project keeps for this repo (cards/edits/: its base with its patch): a live
    card equal to it is nb-release's own, as if nb-release had published it.
    """
    index = last_release(commits, trusted)
    if index is None:
        # The newest commits only: a plan must not grow with a repo's whole history.
        return Ownership(state="adopt", replaced=tuple(commits[:ADOPT_COMMITS]))
    published = commits[index]
    since = tuple(commits[:index])
    if published_content is not None and _same(published_content, live):
        return Ownership(state="pending", published=published)
    if kept is not None and _same(kept, live):
        # The hand edit was taken into the project (`nb-release keep`): the render carries it.
        return Ownership(state="pending", published=published)
    edit, added, removed = edit_diff(published_content or "", live, published.commit_id, path)
    state: State = "drift" if _same(rendered, published_content or "") else "drift+pending"
    drift = Drift(commits=since, edit_diff=edit, lines_added=added, lines_removed=removed)
    return Ownership(state=state, published=published, drift=drift, replaced=since)


def only_card_commits(drift: Drift, touched: Sequence[bool]) -> Drift:
    """The drift with only the commits that changed README.md (`touched`, one per commit)."""
    kept = tuple(c for c, t in zip(drift.commits, touched, strict=True) if t)
    return Drift(kept, drift.edit_diff, drift.lines_added, drift.lines_removed)


def _same(a: str, b: str) -> bool:
    return normalize_newlines(a) == normalize_newlines(b)


def edit_diff(
    published: str, live: str, published_id: str, path: str = README
) -> tuple[str, int, int]:
    """The other party's edit as a unified diff (nb-release's last publish -> live), +/- counts."""
    return unified(published, live, f"nb-release, {published_id[:12]}", "live", path)


def unified(
    old: str, new: str, old_label: str, new_label: str, path: str = README
) -> tuple[str, int, int]:
    """A whole-card unified diff with labelled sides, and the lines added and removed."""
    a = normalize_newlines(old).splitlines(keepends=True)
    b = normalize_newlines(new).splitlines(keepends=True)
    lines = list(
        difflib.unified_diff(
            a, b, fromfile=f"a/{path} ({old_label})", tofile=f"b/{path} ({new_label})"
        )
    )
    added = sum(1 for line in lines[2:] if line.startswith("+"))
    removed = sum(1 for line in lines[2:] if line.startswith("-"))
    text = "".join(line if line.endswith("\n") else line + "\n" for line in lines)
    return text, added, removed


# --- policies ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Policies:
    """What to do with a drifted and with an adopted repo."""

    on_drift: Policy = "skip"
    on_adopt: Policy = "skip"


def resolve_policy(*layers: str | None, default: Policy) -> Policy:
    """The first policy set: the command line, then the variant, then [defaults], then default."""
    for layer in layers:
        if layer is not None:
            if layer not in POLICIES:
                raise ValueError(f"unknown policy {layer!r}")
            return layer
    return default


def decide(state: State, policies: Policies) -> Decision:
    """What a run does with one repo: publish, open/update a PR, skip, nothing, or refuse."""
    match state:
        case "unchanged":
            return "none"
        case "missing-repo":
            return "error"
        case "pending" | "proposed" | "create" | "create-repo":
            return "publish"
        case "adopt":
            return decision_of(policies.on_adopt)
        case "drift" | "drift+pending":
            return decision_of(policies.on_drift)
        case _:
            assert_never(state)


def writes(decision: Decision) -> bool:
    """The decision writes to the repo: a commit to main, or nb-release's pull request."""
    match decision:
        case "publish" | "merge" | "pr":
            return True
        case "skip" | "none" | "error":
            return False
        case _:
            assert_never(decision)


def leaves(decision: Decision) -> bool:
    """The decision leaves the card on main as someone else made it (skipped, or proposed as a
    pull request): for a drifted or adopted card, the run ends with "left as the policy says".
    A merge writes to main when clean; one that conflicts is carried out as `pr` (publish.py's
    DecidedResult.decisions says which)."""
    match decision:
        case "skip" | "pr":
            return True
        case "publish" | "merge" | "none" | "error":
            return False
        case _:
            assert_never(decision)


def policy_choice(policy: Policy) -> str:
    """How the prompt offers a policy: its letter in brackets (the first letter, unique)."""
    if policy == "skip":
        return "[s]kip"
    if policy == "pr":
        return "open a [p]ull request"
    if policy == "merge":
        return "[m]erge"
    if policy == "overwrite":
        return "[o]verwrite"
    assert_never(policy)


def policy_meaning(policy: Policy) -> str:
    """What a policy does with a drifted or adopted card, for help texts and reports."""
    if policy == "skip":
        return "skip it"
    if policy == "pr":
        return "open or update nb-release's pull request"
    if policy == "merge":
        return "merge the hand edit into the new card (a pull request if they conflict)"
    if policy == "overwrite":
        return "overwrite it"
    assert_never(policy)


def policies_help() -> str:
    """The policies in words: "skip it, open or update …, or overwrite it"."""
    meanings = [policy_meaning(p) for p in POLICIES]
    return f"{', '.join(meanings[:-1])}, or {meanings[-1]}"


def policy_prompt() -> str:
    """The question asked about a drifted or adopted card at a terminal; skip is the default."""
    choices = [policy_choice(p) for p in POLICIES]
    return f"{', '.join(choices[:-1])}, or {choices[-1]}? [s] "


def policy_letter(policy: Policy) -> str:
    """The bracketed letter policy_prompt() offers a policy by."""
    return policy_choice(policy).split("[", 1)[1][0]


def policy_of_letter(answer: str) -> Policy | None:
    """The policy an answer to policy_prompt() names: exactly one of its letters; else None."""
    return next((p for p in POLICIES if policy_letter(p) == answer.strip().lower()), None)


def decision_of(policy: Policy) -> Decision:
    """What a policy does with a drifted or adopted card."""
    if policy == "overwrite":
        return "publish"
    if policy == "skip" or policy == "pr" or policy == "merge":
        return policy
    assert_never(policy)


def is_merge(commit: CommitRecord) -> bool:
    """A commit nb-release made merging a hand edit into a render (not a release)."""
    return trailers(commit.message).get(TRAILER_MERGED, "").split(" ")[0] == TOOL_NAME


def describe_replaced(commits: Sequence[CommitRecord], limit: int = 20) -> str:
    """The lines a commit description names the replaced commits with (id, date, authors, title)."""
    lines = [
        f"- {c.commit_id} {c.created_at} by {', '.join(c.authors) or '?'}: {c.title}"
        for c in commits[:limit]
    ]
    if len(commits) > limit:
        lines.append(f"- and {plural(len(commits) - limit, 'older commit')}")
    return "\n".join(lines)
