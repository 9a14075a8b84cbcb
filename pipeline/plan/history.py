"""Reads behind ownership: a repo's commits and nb-release's last published card, through hub.py.

Cheap by construction: a repo whose live card equals the rendered one costs nothing here (its
state is `unchanged` from the card read alone). Otherwise one commit listing; one README read at
nb-release's last release commit when there were commits after it; and, only when drift is found
and more than one commit followed, one top-folder listing per commit to tell which touched
README.md.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TypeVar

from pipeline import ownership
from pipeline.aside import Aside
from pipeline.card.diff import CardDiff
from pipeline.hub.client import Hub, find_open_pulls, read_file
from pipeline.newlines import normalize_newlines
from pipeline.ownership import Ownership
from pipeline.records import CommitRecord, LiveCard, OpenPull, RenderedCard

_T = TypeVar("_T")


@dataclass(frozen=True)
class Owners:
    """Who made each changed card and companion file, and nb-release's open pull requests."""

    cards: dict[str, Ownership]
    files: dict[tuple[str, str], Ownership]  # by (repo id, path)
    pulls: dict[str, OpenPull]  # by repo id


def read_owners(
    hub: Hub,
    cards: Sequence[RenderedCard],
    live: Sequence[LiveCard],
    diffs: Sequence[CardDiff],
    kept: Mapping[str, str],
    pull_repos: Sequence[str],
    title: str,
) -> Owners:
    """read_ownership, read_file_ownership and find_open_pulls (on `pull_repos`), side by
    side: none needs another's answer, so a plan with changes pays about one round trip for
    them, not one after another (the token's user, which find_open_pulls asks first, is asked
    beside the commit listings). Together they hold at most hub.concurrency requests at once.

    The error is the one the three would raise run in that order: the first of them to fail,
    once all three are done (no read goes on behind a reported error). The waits are short
    steps, so a Ctrl-C is heard at once (the reads are daemons and only read)."""
    slots = threading.BoundedSemaphore(hub.concurrency)
    owned = Aside(lambda: read_ownership(hub, cards, live, diffs, kept, slots), "nb-release-owners")
    files = Aside(lambda: read_file_ownership(hub, cards, live, slots), "nb-release-owners")
    pulls = Aside(lambda: find_open_pulls(hub, pull_repos, title, slots), "nb-release-owners")
    for read in (owned, files, pulls):
        read.settle()
    return Owners(owned.result(), files.result(), pulls.result())


def read_ownership(
    hub: Hub,
    cards: Sequence[RenderedCard],
    live: Sequence[LiveCard],
    diffs: Sequence[CardDiff],
    kept: Mapping[str, str] | None = None,
    slots: threading.Semaphore | None = None,
) -> dict[str, Ownership]:
    """Every repo's Ownership; the history reads run concurrently, only where needed. `kept`:
    the edited card of each repo whose hand edit the project keeps (card/edits.py); `slots`:
    each repo's reads hold one (a bound shared with reads running beside these)."""
    edited: Mapping[str, str] = kept or {}
    held = slots if slots is not None else contextlib.nullcontext()
    out: dict[str, Ownership] = {}
    todo: list[tuple[RenderedCard, LiveCard]] = []
    for card, state, diff in zip(cards, live, diffs, strict=True):
        if ownership.needs_history(diff.action):
            todo.append((card, state))
        else:
            out[card.repo_id] = Ownership(state=ownership.state_of_action(diff.action))
    if todo:
        workers = min(hub.concurrency, len(todo))
        with ThreadPoolExecutor(max_workers=workers) as pool:

            def one(item: tuple[RenderedCard, LiveCard]) -> tuple[str, Ownership]:
                with held:
                    return _one(hub, item[0], item[1], edited.get(item[0].repo_id))

            for repo_id, found in pool.map(one, todo):
                out[repo_id] = found
    return out


def _one(hub: Hub, card: RenderedCard, live: LiveCard, kept: str | None) -> tuple[str, Ownership]:
    assert live.content is not None  # needs_history: the live card exists and differs
    own = hub.own_commit(card.repo_id, live.head_sha) if live.head_sha else None
    if own is not None and ownership.is_release(own):
        # The head is nb-release's own commit (recorded when it landed): live is what it
        # published, so no listing is needed to tell pending from drift.
        found = ownership.decide_update(
            rendered=card.content,
            live=live.content,
            commits=[own],
            published_content=live.content,
            kept=kept,
        )
        return card.repo_id, found
    # At the head the card was read at: the same commits, and cacheable (a sha is immutable).
    commits = hub.list_commits(card.repo_id, live.head_sha or "main")

    def trusted(commit: CommitRecord) -> bool:
        if not ownership.is_release(commit):
            return False  # no request for a commit without the trailers
        if hub.own_commit(card.repo_id, commit.commit_id) is not None:
            return True
        if not hub.target.token:
            # No token, no user to compare the author with: a plan without a token (a pull
            # request's) takes the trailers at their word, and `apply` checks the author of
            # each pending card's commit before it writes (publish.unverified).
            return True
        return ownership.trusted_release(commit, hub.publisher(), recorded=False)

    index = ownership.last_release(commits, trusted)
    published_content: str | None = None
    if index is not None:
        if index == 0 or commits[index].commit_id == live.head_sha:
            # Nothing after nb-release's commit: live is what it published.
            published_content = live.content
        else:
            published_content = hub.read_card(card.repo_id, commits[index].commit_id).content
    found = ownership.decide_update(
        rendered=card.content,
        live=live.content,
        commits=commits,
        published_content=published_content,
        trusted=trusted,
        kept=kept,
    )
    if found.drift is not None and len(found.drift.commits) > 1 and index is not None:
        # Which of the later commits changed README.md: compare blob ids along the chain.
        chain = [*found.drift.commits, commits[index]]
        blobs = [hub.readme_blob_id(card.repo_id, c.commit_id) for c in chain]
        touched = [blobs[i] != blobs[i + 1] for i in range(len(found.drift.commits))]
        drift = ownership.only_card_commits(found.drift, touched)
        found = Ownership(found.state, found.published, drift, drift.commits)
    return card.repo_id, found


def read_file_ownership(
    hub: Hub,
    cards: Sequence[RenderedCard],
    live: Sequence[LiveCard],
    slots: threading.Semaphore | None = None,
) -> dict[tuple[str, str], Ownership]:
    """The Ownership of every companion file that the repo holds and that differs from its
    render, by (repo id, path): the repo's commits (the listing is cached at the head sha, so
    a card read for the same repo costs none again) and the file at nb-release's last release.
    `slots`: each file's reads hold one (see read_ownership)."""
    held = slots if slots is not None else contextlib.nullcontext()
    todo = [
        (card, state, f.path)
        for card, state in zip(cards, live, strict=True)
        for f in card.files
        if state.head_sha is not None
        and (found := state.file(f.path)) is not None
        and normalize_newlines(found) != normalize_newlines(f.content or "")
    ]
    out: dict[tuple[str, str], Ownership] = {}
    for card, state, path in todo:
        with held:
            out[(card.repo_id, path)] = _one_file(hub, card, state, path)
    return out


def _one_file(hub: Hub, card: RenderedCard, live: LiveCard, path: str) -> Ownership:
    rendered = card.file(path) or ""
    current = live.file(path) or ""
    assert live.head_sha is not None  # read_file_ownership: the repo has a head
    own = hub.own_commit(card.repo_id, live.head_sha)
    if own is not None and ownership.is_release(own):
        return ownership.decide_update(
            rendered=rendered, live=current, commits=[own], published_content=current, path=path
        )
    commits = hub.list_commits(card.repo_id, live.head_sha)

    def trusted(commit: CommitRecord) -> bool:
        if not ownership.is_release(commit):
            return False
        if hub.own_commit(card.repo_id, commit.commit_id) is not None or not hub.target.token:
            return True
        return ownership.trusted_release(commit, hub.publisher(), recorded=False)

    index = ownership.last_release(commits, trusted)
    published: str | None = None
    if index is not None:
        if index == 0 or commits[index].commit_id == live.head_sha:
            published = current
        else:
            published = read_file(hub, card.repo_id, path, commits[index].commit_id).content
    if index is not None and published is None:
        # nb-release's last release had no such file (it came with a later manifest): what
        # the repo holds now is someone else's, as a hand edit of a card would be.
        published = ""
    return ownership.decide_update(
        rendered=rendered,
        live=current,
        commits=commits,
        published_content=published,
        trusted=trusted,
        path=path,
    )


# --- `nb-release history` ---------------------------------------------------------------------


@dataclass(frozen=True)
class CardHistory:
    """The commits among a repo's newest `limit` that changed README.md (or `path`), newest
    first."""

    repo_id: str
    exists: bool
    commits: tuple[CommitRecord, ...]
    older: int  # commits past the window, not examined
    path: str = "README.md"


def card_history(hub: Hub, repo_id: str, limit: int, path: str = "README.md") -> CardHistory:
    """One listing of the commits, then one top-folder listing per commit in the window (and one
    past it) to tell which commits changed README.md."""
    if not hub.read_card(repo_id).exists:
        return CardHistory(repo_id, False, (), 0)
    commits = hub.list_commits(repo_id)
    window = commits[: limit + 1]
    blobs = [hub.readme_blob_id(repo_id, c.commit_id, path) for c in window]
    changed = tuple(
        commit
        for index, commit in enumerate(commits[:limit])
        if blobs[index] != (blobs[index + 1] if index + 1 < len(blobs) else None)
    )
    return CardHistory(repo_id, True, changed, max(0, len(commits) - limit), path)


def card_histories(
    hub: Hub, repo_ids: Sequence[str], limit: int, path: str = "README.md"
) -> list[CardHistory]:
    """card_history for each repo, concurrently (bounded), in the order given."""
    workers = min(hub.concurrency, max(1, len(repo_ids)))
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(lambda repo_id: card_history(hub, repo_id, limit, path), repo_ids))
