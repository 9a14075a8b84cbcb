"""Pure: a repo's companion files (pipeline/card/companions.py) in a plan, one sub-entry each.

A companion's action is decided on its text as a card's is (`create` where the repo lacks the
file, `update` where it differs, `unchanged`); one that differs has its state decided from the
repo's history as a card's (pipeline/plan/history.py: pending, drift, adopt). The repo's entry
then stands for the whole repo: it writes when its card or any companion does, and its state is
the most demanding of them all, so a hand edit of NOTICE is drift of the repo, decided by the
same policies and written, if at all, in the same one commit as the card.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from pipeline.newlines import normalize_newlines
from pipeline.ownership import (
    DRIFT_STATES,
    UPDATE_STATES,
    WRITE_ACTIONS,
    Action,
    Ownership,
    State,
    state_of_action,
    unified,
)


@dataclass(frozen=True)
class FileEntry:
    """One companion file of a repo in the plan; `content` is set exactly when it writes."""

    path: str
    action: Action
    content: str | None
    diff: str  # unified diff, live -> rendered ("" when unchanged)
    lines_added: int
    lines_removed: int
    owner: Ownership | None = None  # None: no history read (the state follows the action)

    @property
    def state(self) -> State:
        return self.owner.state if self.owner is not None else state_of_action(self.action)

    @property
    def writes(self) -> bool:
        return self.action in WRITE_ACTIONS


def file_action(repo_action: Action, rendered: str, live: str | None) -> Action:
    """A companion's action: a repo that does not exist (or is created) decides it; else its
    text against the live file's."""
    if repo_action in ("missing-repo", "create-repo"):
        return repo_action
    if live is None:
        return "create"
    return "unchanged" if normalize_newlines(live) == normalize_newlines(rendered) else "update"


def file_entry(
    path: str, repo_action: Action, rendered: str, live: str | None, owner: Ownership | None
) -> FileEntry:
    action = file_action(repo_action, rendered, live)
    diff, added, removed = ("", 0, 0)
    if action in WRITE_ACTIONS:
        diff, added, removed = unified(live or "", rendered, "live", "rendered", path)
    return FileEntry(
        path,
        action,
        rendered if action in WRITE_ACTIONS else None,
        diff,
        added,
        removed,
        owner if action == "update" else None,
    )


def repo_action(card_action: Action, files: Sequence[FileEntry]) -> Action:
    """The repo's action: its card's, except that a card left unchanged beside a companion
    that writes makes the repo an `update` (one commit, the card as it is)."""
    if card_action == "unchanged" and any(f.writes for f in files):
        return "update"
    return card_action


def repo_owner(
    action: Action, card_owner: Ownership | None, files: Sequence[FileEntry]
) -> Ownership | None:
    """The repo's ownership: its card's, made as demanding as its companions' (drift over
    adopt over pending). A companion the repo has not got yet is pending: no one's hand is in
    it. The drift shown is the card's when the card drifted, else the first companion's."""
    if action != "update":
        return card_owner
    owners = [o for o in [card_owner, *(f.owner for f in files)] if o is not None]
    owners = [o for o in owners if o.state in UPDATE_STATES]
    if not owners:
        # No history read for any of them (a companion the repo lacks): the action's state.
        return None if card_owner is None else Ownership("pending")
    states = {o.state for o in owners}
    moved = bool(states & {"pending", "proposed", "drift+pending"}) or any(
        f.action == "create" for f in files
    )
    state: State
    if states & DRIFT_STATES:
        state = "drift+pending" if moved else "drift"
    elif "adopt" in states:
        state = "adopt"
    elif "proposed" in states:
        state = "proposed"
    else:
        state = "pending"
    first = next((o for o in owners if o.drift is not None), None)
    published = next((o.published for o in owners if o.published is not None), None)
    replaced = tuple(dict.fromkeys(c for o in owners for c in o.replaced))
    return Ownership(
        state=state,
        published=published,
        drift=first.drift if first is not None else None,
        replaced=replaced,
    )
