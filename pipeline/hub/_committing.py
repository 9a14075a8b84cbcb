"""Committing one card, exactly once: README.md with exact bytes, on the head the plan saw.

Writes go through `HfApi.create_commit` with exact bytes (never a re-serialised RepoCard) and
`parent_commit` set to the head the plan saw. A moved head (the Hub's 412) is 'stale', never
overwritten. A failed attempt whose answer may have been lost is re-checked before the retry:
if the card on the Hub is already ours, the commit landed and is not made twice. An answer that
is not a new commit (not JSON, or naming the parent) is checked the same way, by reading the
card back; only a commit the Hub named is cached as nb-release's own.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, Protocol, TypeAlias

import httpx2
from huggingface_hub import CommitOperationAdd
from huggingface_hub.errors import HfHubHTTPError

from pipeline.errors import HubError
from pipeline.hub import _client_internals as client_internals
from pipeline.hub._calls import HubCalls, QuotaError, redact, status_of
from pipeline.hub._commitcache import SHA, CommitCache
from pipeline.hub._reads import README, read_readme
from pipeline.hub._retry import RateLimited
from pipeline.records import LiveCard, ManagedFile
from pipeline.safetext import printable

# What one publish did: landed on main, opened or updated a pull request, found the card already
# there (another run wrote it), refused because the head moved (stale), or failed.
CommitStatus: TypeAlias = Literal["published", "proposed", "already", "stale", "failed"]


@dataclass(frozen=True)
class CommitResult:
    """What one publish did: the outcome and, when something landed, its commit URL."""

    repo_id: str
    status: CommitStatus
    commit_url: str | None = None
    pr_url: str | None = None
    message: str | None = None


class CommitSide(Protocol):
    """What a commit needs of the Hub it is made on (hub.Hub)."""

    @property
    def calls(self) -> HubCalls: ...
    @property
    def commits(self) -> CommitCache: ...
    @property
    def known_user(self) -> str | None: ...
    def read_card(self, repo_id: str, revision: str = "main") -> LiveCard: ...
    def find_own_pr(self, repo_id: str, title: str) -> tuple[int, str] | None: ...


@dataclass(frozen=True)
class _Commit:
    """One commit to make: the card, where, and what it is once it lands."""

    repo_id: str
    content: str
    parent: str | None
    branch: str
    create_pr: bool
    title: str
    landed: CommitStatus  # "published" on main, else "proposed"
    files: tuple[ManagedFile, ...] = ()  # the companion files written with the card


class _BadAnswer(Exception):
    """A commit answer that names no new commit: what happened is read back from the Hub."""


def commit_card(
    hub: CommitSide,
    repo_id: str,
    content: str,
    *,
    parent: str | None,
    title: str,
    description: str,
    revision: str | None = None,
    create_pr: bool = False,
    files: Sequence[ManagedFile] = (),
) -> CommitResult:
    """Commit README.md, exactly once (see the module's docstring). Without a parent, nothing
    is committed over an existing card. A commit quota that will not reset within --max-wait
    raises QuotaError."""
    calls = hub.calls
    data = content.encode("utf-8")
    commit = _Commit(
        repo_id,
        content,
        parent,
        revision or "main",
        create_pr,
        title,
        "proposed" if create_pr or revision else "published",
        tuple(files),
    )
    if parent is None and not create_pr:
        refused = _without_parent(hub, repo_id, commit.branch)
        if refused is not None:
            return refused

    def attempt() -> CommitResult:
        operation = CommitOperationAdd(path_in_repo=README, path_or_fileobj=data)
        operations = [operation] + [
            CommitOperationAdd(path_in_repo=f.path, path_or_fileobj=(f.content or "").encode())
            for f in commit.files
        ]
        try:
            info = calls.api.create_commit(
                repo_id,
                operations=operations,
                commit_message=title,
                commit_description=description,
                parent_commit=parent,
                revision=revision,
                create_pr=create_pr,
            )
        except (ValueError, KeyError, TypeError) as exc:
            if isinstance(exc, HfHubHTTPError) or not _bad_answer(exc):
                raise
            raise _BadAnswer("the Hub's answer to the commit is not JSON") from None
        if all(client_internals.already_on_hub(o) for o in operations):
            # The client found README.md already holds these bytes and made no commit:
            # another run (or an earlier apply of this plan) wrote the same card.
            return CommitResult(repo_id, "already", message="already up to date")
        if not (isinstance(info.oid, str) and SHA.fullmatch(info.oid)) or (
            info.oid == parent and not create_pr
        ):
            # A commit answer naming the parent (or no commit id) says nothing landed:
            # caching the card at that id would make every later plan read it as ours.
            named = (
                f"names {str(info.oid)[:12]}, the parent commit, as the new commit"
                if info.oid == parent
                else "names no commit id"
            )
            raise _BadAnswer(f"the Hub's answer {printable(named)}")
        hub.commits.record_commit(
            repo_id,
            info.oid,
            content,
            own=commit.landed == "published",
            title=title,
            description=description,
            user=hub.known_user,
            files=commit.files,
        )
        return CommitResult(repo_id, commit.landed, commit_url=info.commit_url, pr_url=info.pr_url)

    def recheck() -> CommitResult | None:
        return _landed(hub, commit, "the Hub's answer was lost")

    doing = f"publishing {repo_id}"
    try:
        return calls.policy.call(attempt, kind="commit", recheck=recheck, what=doing)
    except _BadAnswer as exc:
        return _read_back(hub, commit, str(exc))
    except RateLimited as exc:
        raise calls.quota(exc, doing) from None
    except HfHubHTTPError as exc:
        if status_of(exc) == 412:
            # The head moved. If it moved to exactly our content (another run, or an
            # earlier attempt), it is up to date; else someone else wrote: stale.
            try:
                live = hub.read_card(repo_id, commit.branch)
            except HubError as error:
                return CommitResult(repo_id, "failed", message=error.message)
            if live.content == content and _holds(hub, commit, live):
                return CommitResult(repo_id, "already", message="already up to date")
            return _stale(repo_id, commit.branch, live)
        return CommitResult(repo_id, "failed", message=calls.error(exc, doing).message)
    except httpx2.HTTPError as exc:
        return CommitResult(repo_id, "failed", message=calls.error(exc, doing).message)
    except QuotaError:
        raise
    except HubError as exc:  # a re-check's read failed
        return CommitResult(repo_id, "failed", message=exc.message)
    except ValueError as exc:  # the Hub's metadata validation refused the card
        message = printable(redact(str(exc), calls.target.token))
        return CommitResult(repo_id, "failed", message=message)


def _without_parent(hub: CommitSide, repo_id: str, branch: str) -> CommitResult | None:
    """None when a commit without a parent is safe (the branch has no commit yet); else
    why not: the head moved since the plan, or it is unknown."""
    try:
        live = hub.read_card(repo_id, branch)
    except HubError as error:
        return CommitResult(repo_id, "failed", message=error.message)
    if live.head_sha is not None:
        return CommitResult(
            repo_id,
            "stale",
            message=f"the plan named no parent commit and {branch} has one now "
            f"({live.head_sha[:12]}); nb-release never commits without the parent it diffed",
        )
    if live.content is not None:
        return CommitResult(
            repo_id,
            "failed",
            message=f"the head of {branch} is unknown (the Hub named no commit for its "
            "README.md); nb-release never commits over a card without a parent commit",
        )
    return None


def _landed(hub: CommitSide, commit: _Commit, why: str) -> CommitResult | None:
    """What a commit whose answer was lost or unreadable did, read back from the Hub; None
    when nothing landed (the same card at the same parent: safe to try again)."""
    repo_id = commit.repo_id
    if commit.create_pr:
        own = hub.find_own_pr(repo_id, commit.title)
        if own is None:
            return None
        return CommitResult(repo_id, "proposed", message=f"{why}; proposed in {own[1]}")
    live = hub.read_card(repo_id, commit.branch)
    if live.content == commit.content and not _holds(hub, commit, live):
        # The card is ours but a companion is not: nothing of this commit landed there.
        return None if live.head_sha == commit.parent else _stale(repo_id, commit.branch, live)
    if live.content == commit.content and live.head_sha != commit.parent:
        return CommitResult(repo_id, commit.landed, message=f"{why}; the card there is ours")
    if live.content == commit.content:
        return CommitResult(repo_id, "already", message="already up to date")
    if live.head_sha != commit.parent:
        return _stale(repo_id, commit.branch, live)
    return None


def _holds(hub: CommitSide, commit: _Commit, live: LiveCard) -> bool:
    """The companion files of `commit` are on the Hub at the head `live` was read at."""
    if not commit.files or live.head_sha is None:
        return True
    sha, repo_id = live.head_sha, commit.repo_id

    def at_head(path: str) -> str | None:
        read = lambda: read_readme(hub.calls, repo_id, sha, path)  # noqa: E731 - one use
        return hub.commits.read_file(repo_id, path, sha, read).content

    return all(at_head(f.path) == f.content for f in commit.files)


def _read_back(hub: CommitSide, commit: _Commit, why: str) -> CommitResult:
    """After an answer that names no new commit: the card read back says what happened."""
    try:
        found = _landed(hub, commit, why)
    except HubError as error:
        return CommitResult(commit.repo_id, "failed", message=f"{why}; {error.message}")
    if found is not None:
        return found
    nothing = "no pull request was opened" if commit.create_pr else "nothing was committed"
    return CommitResult(commit.repo_id, "failed", message=f"{why}: {nothing}")


def _stale(repo_id: str, branch: str, live: LiveCard) -> CommitResult:
    return CommitResult(
        repo_id,
        "stale",
        message=f"the head of {branch} moved since the plan "
        f"(now {printable((live.head_sha or '?')[:12])})",
    )


def _bad_answer(exc: BaseException) -> bool:
    """A commit answer the client could not read: not JSON, or JSON of another shape."""
    return isinstance(exc, json.JSONDecodeError | KeyError | TypeError)
