"""All Hub I/O: the only module of pipeline/ that imports huggingface_hub.

Reads go through the client's own session, URL builder and error mapping, one GET of README.md
per repo (the head commit comes back in X-Repo-Commit), never through the download cache: a read
must never fall back to a stale cached copy. Writes go through `HfApi.create_commit` with exact
bytes (never a re-serialised RepoCard) and `parent_commit` set to the head the plan saw.

Every message that leaves this module has the token redacted.
"""

from __future__ import annotations

import contextlib
import ipaddress
import json
import os
import re
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal, TypeAlias, TypeVar
from urllib.parse import urlsplit

# huggingface_hub reads its settings when first imported. With telemetry on it also fetches an
# "agent harness" registry from its default endpoint (huggingface.co) whatever endpoint a call
# targets: a release to the local Hub must not reach out to the real one.
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")

import httpx2  # after the setting above
from huggingface_hub import (
    CommitOperationAdd,
    HfApi,
    get_token,
    hf_hub_url,
)
from huggingface_hub import constants as hf_constants
from huggingface_hub.errors import (
    EntryNotFoundError,
    HfHubHTTPError,
    HFValidationError,
    RepositoryNotFoundError,
    RevisionNotFoundError,
)
from huggingface_hub.utils import _pagination

# Public functions of huggingface_hub.utils, which exports them lazily (invisible to mypy).
from huggingface_hub.utils import logging as hf_logging
from huggingface_hub.utils._headers import build_hf_headers
from huggingface_hub.utils._http import (
    get_session,
    hf_raise_for_status,
    hf_request_event_hook,
    http_backoff,
    set_client_factory,
)

from pipeline import answers
from pipeline.cache import Cache
from pipeline.defaults import DEFAULT_TIMEOUT as DEFAULT_TIMEOUT  # re-exported
from pipeline.errors import AuthError, HubError
from pipeline.gather import gather
from pipeline.localhub.auth import TOKENS_NAME, Tokens
from pipeline.records import CommitRecord, LiveCard
from pipeline.retry import (
    DEFAULT_MAX_WAIT,
    RateLimited,
    RetryPolicy,
    after_response,
    before_request,
    describe_wait,
)
from pipeline.safetext import printable

# One retry policy (retry.py): the client wraps each listing page in its own backoff (5 retries,
# up to 8 s each: 25 s of silence on an unreachable Hub, multiplied by nb-release's retries).
# Inside nb-release's own calls a page gets one attempt and retry.py decides; any other caller
# of huggingface_hub in the process keeps the client's behaviour. Each page's URL is checked first
# (answers.Listing): the client re-sends its headers, the token among them, to any next link.
_ONE_ATTEMPT: ContextVar[bool] = ContextVar("nb_release_one_attempt", default=False)


def _page_backoff(*args: Any, **kwargs: Any) -> httpx2.Response:
    if _ONE_ATTEMPT.get():
        kwargs["max_retries"] = 0
    listing = answers.LISTING.get()
    if listing is not None and len(args) >= 2:
        listing.follow(str(httpx2.URL(str(args[1]), params=kwargs.get("params"))))
    return http_backoff(*args, **kwargs)


_pagination.http_backoff = _page_backoff


README = "README.md"
DEFAULT_CONCURRENCY = 8
_T = TypeVar("_T")
_SHA = re.compile(r"[0-9a-f]{40}")
_TOKEN_SHAPE = re.compile(r"hf_[A-Za-z0-9_]{8,}")


def redact(text: str, token: str | None) -> str:
    """Remove the token (and anything shaped like a Hub token) from a message."""
    if token:
        text = text.replace(token, "***")
    return _TOKEN_SHAPE.sub("hf_***", text)


@dataclass(frozen=True)
class Target:
    """Where to read and publish: a Hub URL and its token (never shown: repr hides it)."""

    url: str
    token: str | None = field(default=None, repr=False)
    local_root: Path | None = None  # set for the embedded local Hub (its URL dies with the run)

    @property
    def local(self) -> bool:
        return self.local_root is not None

    @property
    def cache_key(self) -> str:
        """The Hub's identity for the cache: the URL, or the embedded Hub's store (its URL
        changes from run to run)."""
        return f"local:{self.local_root.resolve()}" if self.local_root else self.url

    @property
    def display(self) -> str:
        return f"the local Hub in {self.local_root}/" if self.local_root else self.url


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


class QuotaError(HubError):
    """The Hub's quota for a kind of request will not reset within --max-wait."""

    def __init__(self, message: str, resume_at: float, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.resume_at = resume_at  # wall-clock time (epoch seconds)


def _pace(request: httpx2.Request) -> None:
    answers.guard_token(request)
    listing = answers.LISTING.get()
    if listing is not None:
        listing.count()
    before_request(request.url.path)
    # The answer's deadline runs from here, after any pacing wait.
    answers.SENT_AT.set(time.monotonic())


def _observe(response: httpx2.Response) -> None:
    after_response(response.request.url.path, response.headers)


_SESSION_TIMEOUT: list[float | None] = []


def _install_session(timeout: float | None) -> None:
    """The client's shared HTTP session, with our timeout and a hook that paces from RateLimit."""
    if [timeout] == _SESSION_TIMEOUT:
        return
    _SESSION_TIMEOUT[:] = [timeout]

    def factory() -> httpx2.Client:
        return httpx2.Client(
            event_hooks={
                "request": [hf_request_event_hook, _pace],
                "response": [_observe, answers.bound_answers(timeout)],
            },
            follow_redirects=True,
            timeout=timeout,
        )

    set_client_factory(factory)


class Hub:
    """One command's connection to a Hub; every request goes through one RetryPolicy."""

    def __init__(
        self,
        target: Target,
        concurrency: int = DEFAULT_CONCURRENCY,
        fresh: bool = False,
        *,
        max_wait: float = DEFAULT_MAX_WAIT,
        timeout: float | None = DEFAULT_TIMEOUT,
        policy: RetryPolicy | None = None,
        cache: Cache | None = None,
    ) -> None:
        self.target = target
        # Where a landed commit's README is recorded, so the next plan needs no read of it.
        self.cache = cache
        # The embedded local Hub was created by this run: it has no repos yet.
        self.fresh = fresh
        self.concurrency = max(1, concurrency)
        self.policy = policy or RetryPolicy(
            max_wait=max_wait, network_errors=(httpx2.TransportError,)
        )
        _install_session(timeout)
        if target.token:
            answers.TOKEN_ORIGINS.setdefault(target.token, set()).add(answers.origin(target.url))
        self.api = HfApi(endpoint=target.url, token=target.token or False)
        # The client logs each retry on stderr; nb-release reports outcomes itself.
        hf_logging.set_verbosity_error()  # type: ignore[no-untyped-call]  # untyped upstream
        self._user: str | None = None
        self._user_lock = threading.Lock()

    # --- errors -------------------------------------------------------------------------------

    def _error(self, exc: BaseException, doing: str) -> HubError:
        """A HubError for a client exception, with the token redacted."""
        if isinstance(exc, RateLimited):
            return self._quota(exc, doing)
        # The client's message can quote the Hub's error body: Hub text, printed escaped.
        text = printable(
            redact(str(exc).strip().splitlines()[0] if str(exc).strip() else "", self.target.token)
        )
        if isinstance(exc, answers.AnswerTooLarge):
            return HubError(f"{doing}: the Hub's {exc}")
        status = _status(exc)
        if status == 401 or "Invalid user token" in text:
            return AuthError(
                f"{doing}: the Hub at {self.target.url} refused the token (401)",
                hint="set HF_TOKEN to a token with write access, or run "
                "`hf auth login`; for the local Hub, see its token file",
            )
        if isinstance(exc, httpx2.TimeoutException):
            return HubError(
                f"{doing}: the Hub at {self.target.url} did not answer in time "
                f"({type(exc).__name__})",
                hint="check the network connection, or raise --timeout",
            )
        if isinstance(exc, httpx2.TransportError):
            return HubError(
                f"{doing}: cannot reach the Hub at {self.target.url} ({type(exc).__name__})",
                hint="check --hub and the network connection",
            )
        kind = f"HTTP {status}" if status else type(exc).__name__
        return HubError(f"{doing}: {kind}: {text}")

    def _quota(self, exc: RateLimited, doing: str) -> QuotaError:
        duration, when = describe_wait(exc.wait_s, exc.resume_at)
        if when is None:
            return QuotaError(
                f"{doing}: the Hub's rate limit for {exc.bucket} requests resets in "
                f"{duration}, longer than --max-wait",
                resume_at=exc.resume_at,
                hint="a wait that long is more likely a fault of the Hub or of a proxy in front "
                "of it than a quota; run the command again later",
            )
        return QuotaError(
            f"{doing}: the Hub's rate limit for {exc.bucket} requests resets in "
            f"{duration} (at {when}), longer than --max-wait",
            resume_at=exc.resume_at,
            hint=f"run the command again after {when}, or raise --max-wait",
        )

    def _call(self, fn: Callable[[], _T], doing: str, kind: str = "api") -> _T:
        """One request under the retry policy; its failure as a HubError."""

        def attempt() -> _T:
            # Each attempt follows the pages afresh (a retry starts the listing over).
            listing = answers.LISTING.set(answers.Listing(doing, self.target.url))
            try:
                return fn()
            finally:
                answers.LISTING.reset(listing)

        one_attempt = _ONE_ATTEMPT.set(True)
        try:
            return self.policy.call(attempt, kind=kind, what=doing)
        except (HfHubHTTPError, httpx2.HTTPError, RateLimited) as exc:
            raise self._error(exc, doing) from None
        finally:
            _ONE_ATTEMPT.reset(one_attempt)

    def _ask(self, fn: Callable[[], _T], doing: str) -> _T:
        """A read whose answer is JSON, parsed by the client (and checked by `fn`): an answer
        that is not the JSON expected (an HTML page, items of the wrong types) is a HubError
        naming the request, never a traceback."""
        try:
            return self._call(fn, doing)
        except HFValidationError:
            raise  # an argument the client refused before any request: not the Hub's answer
        except (ValueError, TypeError, KeyError, AttributeError, IndexError) as exc:
            detail = answers.plain(
                str(exc).strip().splitlines()[0] if str(exc).strip() else "", 100
            )
            kind = type(exc).__name__ if type(exc) is not answers.WrongShape else ""
            raise HubError(
                f"{doing}: the Hub's answer is not the JSON expected "
                f"({': '.join(part for part in (kind, redact(detail, self.target.token)) if part)})"
            ) from None

    # --- reads --------------------------------------------------------------------------------

    def read_card(self, repo_id: str, revision: str = "main") -> LiveCard:
        """README.md and the head commit of one repo at a branch, read fresh; at a commit sha,
        from the cache when it has it (what a commit holds never changes)."""
        pinned = self.cache is not None and _SHA.fullmatch(revision) is not None
        if pinned and self.cache is not None:
            found, content = self.cache.readme(self.target.cache_key, repo_id, revision)
            if found:
                return LiveCard(repo_id=repo_id, exists=True, head_sha=revision, content=content)
        card = self._read_card(repo_id, revision)
        if pinned and self.cache is not None and card.exists and card.head_sha == revision:
            self.cache.put_readme(self.target.cache_key, repo_id, revision, card.content)
        return card

    def _read_card(self, repo_id: str, revision: str) -> LiveCard:
        url = hf_hub_url(repo_id, README, revision=revision, endpoint=self.target.url)
        headers = build_hf_headers(token=self.target.token or False)

        def get() -> httpx2.Response:
            with get_session().stream("GET", url, headers=headers) as streamed:
                body = answers.read_body(
                    streamed, answers.README_LIMIT, f"reading {repo_id}: the README answer"
                )
            # The body as read, decoded: the client's error mapping reads it from a Response.
            kept = [
                (name, value)
                for name, value in streamed.headers.multi_items()
                if name.lower() not in ("content-encoding", "content-length", "transfer-encoding")
            ]
            response = httpx2.Response(
                streamed.status_code, headers=kept, content=body, request=streamed.request
            )
            hf_raise_for_status(response)
            return response

        try:
            response = self.policy.call(get, kind="resolve", what=f"reading {repo_id}")
        except RepositoryNotFoundError:
            return LiveCard(repo_id=repo_id, exists=False, head_sha=None, content=None)
        except RevisionNotFoundError:
            # A repo with no commit on main yet: it exists, without a README.
            return LiveCard(repo_id=repo_id, exists=True, head_sha=None, content=None)
        except EntryNotFoundError as exc:
            head = _header(exc, "X-Repo-Commit") or self._pinned(repo_id, revision)
            if isinstance(head, LiveCard):
                return head  # "no README" checked again at the head read another way
            return LiveCard(repo_id=repo_id, exists=True, head_sha=head, content=None)
        except (HfHubHTTPError, httpx2.HTTPError, RateLimited) as exc:
            raise self._error(exc, f"reading {repo_id}") from None
        head = response.headers.get("X-Repo-Commit") or self._pinned(repo_id, revision)
        if isinstance(head, LiveCard):
            return head
        return LiveCard(
            repo_id=repo_id,
            exists=True,
            head_sha=head,
            content=response.content.decode("utf-8", errors="replace"),
        )

    def _pinned(self, repo_id: str, revision: str) -> str | LiveCard | None:
        """An answer without X-Repo-Commit (a proxy or CDN may drop it): at a commit sha, that
        sha; at a branch, the card read again at the head the repo's info names, so the card and
        its head always agree (a head read after the README could name a later commit, and a
        commit on it would lose that edit). None when the head stays unknown."""
        if _SHA.fullmatch(revision):
            return revision
        sha = self._head_sha(repo_id, revision)
        if sha is not None and _SHA.fullmatch(sha):
            return self._read_card(repo_id, sha)
        return None

    def read_head(self, repo_id: str, revision: str = "main") -> str | None:
        """The head commit of a branch, fresh: one HEAD request of README.md (its X-Repo-Commit,
        in the Hub's `resolve` bucket, without the body), else the repo's info."""
        url = hf_hub_url(repo_id, README, revision=revision, endpoint=self.target.url)
        headers = build_hf_headers(token=self.target.token or False)

        def head() -> httpx2.Response:
            response = get_session().head(url, headers=headers)
            hf_raise_for_status(response)
            return response

        sha: str | None
        try:
            response = self.policy.call(head, kind="resolve", what=f"reading the head of {repo_id}")
            sha = response.headers.get("X-Repo-Commit")
        except (RepositoryNotFoundError, RevisionNotFoundError):
            return None
        except EntryNotFoundError as exc:
            sha = _header(exc, "X-Repo-Commit")
        except (HfHubHTTPError, httpx2.HTTPError, RateLimited) as exc:
            raise self._error(exc, f"reading the head of {repo_id}") from None
        if sha is None or not _SHA.fullmatch(sha):
            sha = self._head_sha(repo_id, revision)
        return sha

    def read_heads(self, repo_ids: Sequence[str]) -> dict[str, str | None]:
        """read_head of every repo concurrently (bounded)."""
        heads = gather(self.read_head, repo_ids, self.concurrency)
        return dict(zip(repo_ids, heads, strict=True))

    def _head_sha(self, repo_id: str, revision: str) -> str | None:
        info = self._ask(
            lambda: self.api.repo_info(repo_id, revision=revision),
            f"reading the head of {repo_id}",
        )
        return answers.optional_str(info.sha, "sha")

    def read_cards(
        self, repo_ids: Sequence[str], on_done: Callable[[str], None] | None = None
    ) -> list[LiveCard]:
        """Read every repo concurrently (bounded); results in the order of repo_ids."""

        def one(repo_id: str) -> LiveCard:
            card = self.read_card(repo_id)
            if on_done is not None:
                on_done(repo_id)
            return card

        return gather(one, repo_ids, self.concurrency)

    def own_commit(self, repo_id: str, sha: str) -> CommitRecord | None:
        """nb-release's own commit at `sha`, if this cache saw it land (no request)."""
        if self.cache is None:
            return None
        return self.cache.own_commit(self.target.cache_key, repo_id, sha)

    def list_commits(self, repo_id: str, revision: str = "main") -> list[CommitRecord]:
        """Every commit of `revision`, newest first (the Hub pages them; the client follows).

        The history below a commit sha never changes: with the cache, it is read once."""
        pinned = self.cache is not None and _SHA.fullmatch(revision) is not None
        if pinned and self.cache is not None:
            cached = self.cache.history(self.target.cache_key, repo_id, revision)
            if cached is not None:
                return cached
        records = self._list_commits(repo_id, revision)
        if pinned and self.cache is not None:
            self.cache.put_history(self.target.cache_key, repo_id, revision, records)
        return records

    def _list_commits(self, repo_id: str, revision: str) -> list[CommitRecord]:
        return self._ask(
            lambda: [
                CommitRecord(
                    commit_id=answers.as_str(c.commit_id, "commit id"),
                    created_at=c.created_at.isoformat().replace("+00:00", "Z"),
                    authors=tuple(answers.as_str(a, "author") for a in c.authors),
                    title=answers.as_str(c.title, "title"),
                    message=answers.as_str(c.message, "message"),
                )
                for c in self.api.list_repo_commits(repo_id, revision=revision)
            ],
            f"listing the commits of {repo_id}",
        )

    def readme_blob_id(self, repo_id: str, revision: str) -> str | None:
        """The blob id of README.md at `revision` (None without one): tells which commits touched
        the card without downloading it. One listing of the repo's top folder."""
        entries = self._ask(
            lambda: [
                (
                    answers.as_str(e.path, "path"),
                    answers.optional_str(getattr(e, "blob_id", None), "blob id"),
                )
                for e in self.api.list_repo_tree(repo_id, revision=revision)
            ],
            f"listing the files of {repo_id} at {printable(revision[:12])}",  # a Hub commit id
        )
        for path, blob_id in entries:
            if path == README:
                return blob_id
        return None

    def list_heads(self, namespace: str) -> dict[str, str]:
        """The head sha of every repo of a namespace, from the listing (1,000 repos a page)."""
        models = self._ask(
            lambda: [
                (answers.as_str(m.id, "repo id"), answers.optional_str(m.sha, "sha"))
                for m in self.api.list_models(author=namespace, expand=["sha"])
            ],
            f"listing the repos of {namespace}",
        )
        return {repo_id: sha for repo_id, sha in models if sha}

    def whoami(self) -> str:
        """The user the token belongs to, asked once per run (the Hub limits whoami strictly)."""
        with self._user_lock:
            if self._user is None:
                if not self.target.token:
                    raise AuthError(
                        f"no token for {self.target.display}",
                        hint="set HF_TOKEN, or log in with `hf auth login`",
                    )
                self._user = self._ask(
                    lambda: answers.as_str(self.api.whoami()["name"], "user name"),
                    "checking the token",
                )
            return self._user

    def publisher(self) -> str | None:
        """The user whose release commits this run trusts: the token's (None without a token,
        when no author can be verified)."""
        return self.whoami() if self.target.token else None

    # --- writes -------------------------------------------------------------------------------

    def create_repo(self, repo_id: str) -> None:
        # exist_ok: a retry after a lost answer finds the repo made by the first attempt.
        self._call(lambda: self.api.create_repo(repo_id, exist_ok=True), f"creating {repo_id}")

    def find_own_pr(self, repo_id: str, title: str) -> tuple[int, str] | None:
        """The number and ref of this user's open pull request with this title, if any."""
        user = self.whoami()
        discussions = self._ask(
            lambda: [
                (
                    answers.as_str(pr.title, "title"),
                    answers.as_int(pr.num, "number"),
                    answers.optional_str(pr.git_reference, "git reference"),
                    pr.is_pull_request is True,
                )
                for pr in self.api.get_repo_discussions(
                    repo_id, author=user, discussion_type="pull_request", discussion_status="open"
                )
            ],
            f"listing the pull requests of {repo_id}",
        )
        for pr_title, num, reference, is_pr in discussions:
            if pr_title == title and is_pr:
                return num, reference or f"refs/pr/{num}"
        return None

    def commit_card(
        self,
        repo_id: str,
        content: str,
        *,
        parent: str | None,
        title: str,
        description: str,
        revision: str | None = None,
        create_pr: bool = False,
    ) -> CommitResult:
        """Commit README.md, exactly once.

        A moved head (the Hub's 412) is 'stale', never overwritten. A failed attempt whose
        answer may have been lost is re-checked before the retry: if the card on the Hub is
        already ours, the commit landed and is not made twice. An answer that is not a new
        commit (not JSON, or naming the parent) is checked the same way, by reading the card
        back; only a commit the Hub named is cached as nb-release's own. Without a parent,
        nothing is committed over an existing card.
        A commit quota that will not reset within --max-wait raises QuotaError.
        """
        data = content.encode("utf-8")
        branch = revision or "main"
        landed: CommitStatus = "proposed" if create_pr or revision else "published"
        if parent is None and not create_pr:
            refused = self._without_parent(repo_id, branch)
            if refused is not None:
                return refused

        def attempt() -> CommitResult:
            operation = CommitOperationAdd(path_in_repo=README, path_or_fileobj=data)
            try:
                info = self.api.create_commit(
                    repo_id,
                    operations=[operation],
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
            if operation._remote_oid is not None and operation._remote_oid == operation._local_oid:
                # The client found README.md already holds these bytes and made no commit:
                # another run (or an earlier apply of this plan) wrote the same card.
                return CommitResult(repo_id, "already", message="already up to date")
            if not (isinstance(info.oid, str) and _SHA.fullmatch(info.oid)) or (
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
            if self.cache is not None:
                # README.md at that commit is exactly these bytes (commits are immutable).
                self.cache.put_readme(self.target.cache_key, repo_id, info.oid, content)
            if self.cache is not None and landed == "published":
                # nb-release's own commit at that sha: a later plan that finds it still at the
                # head knows whose card it is without listing the repo's commits (issue 10).
                own = CommitRecord(
                    commit_id=info.oid,
                    created_at=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                    authors=(self._user,) if self._user else (),
                    title=title,
                    message=description,
                )
                self.cache.put_own_commit(self.target.cache_key, repo_id, own)
            return CommitResult(repo_id, landed, commit_url=info.commit_url, pr_url=info.pr_url)

        def recheck() -> CommitResult | None:
            return self._landed(
                repo_id,
                content,
                parent,
                landed,
                branch,
                create_pr,
                title,
                "the Hub's answer was lost",
            )

        try:
            return self.policy.call(
                attempt, kind="commit", recheck=recheck, what=f"publishing {repo_id}"
            )
        except _BadAnswer as exc:
            return self._read_back(
                repo_id, content, parent, landed, branch, create_pr, title, str(exc)
            )
        except RateLimited as exc:
            raise self._quota(exc, f"publishing {repo_id}") from None
        except HfHubHTTPError as exc:
            if _status(exc) == 412:
                # The head moved. If it moved to exactly our content (another run, or an
                # earlier attempt), it is up to date; else someone else wrote: stale.
                try:
                    live = self.read_card(repo_id, branch)
                except HubError as error:
                    return CommitResult(repo_id, "failed", message=error.message)
                if live.content == content:
                    return CommitResult(repo_id, "already", message="already up to date")
                return self._stale(repo_id, branch, live)
            return CommitResult(
                repo_id, "failed", message=self._error(exc, f"publishing {repo_id}").message
            )
        except httpx2.HTTPError as exc:
            return CommitResult(
                repo_id, "failed", message=self._error(exc, f"publishing {repo_id}").message
            )
        except QuotaError:
            raise
        except HubError as exc:  # a re-check's read failed
            return CommitResult(repo_id, "failed", message=exc.message)
        except ValueError as exc:  # the Hub's metadata validation refused the card
            message = printable(redact(str(exc), self.target.token))
            return CommitResult(repo_id, "failed", message=message)

    def _without_parent(self, repo_id: str, branch: str) -> CommitResult | None:
        """None when a commit without a parent is safe (the branch has no commit yet); else
        why not: the head moved since the plan, or it is unknown."""
        try:
            live = self.read_card(repo_id, branch)
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

    def _landed(
        self,
        repo_id: str,
        content: str,
        parent: str | None,
        landed: CommitStatus,
        branch: str,
        create_pr: bool,
        title: str,
        why: str,
    ) -> CommitResult | None:
        """What a commit whose answer was lost or unreadable did, read back from the Hub; None
        when nothing landed (the same card at the same parent: safe to try again)."""
        if create_pr:
            own = self.find_own_pr(repo_id, title)
            if own is None:
                return None
            return CommitResult(repo_id, "proposed", message=f"{why}; proposed in {own[1]}")
        live = self.read_card(repo_id, branch)
        if live.content == content and live.head_sha != parent:
            return CommitResult(repo_id, landed, message=f"{why}; the card there is ours")
        if live.content == content:
            return CommitResult(repo_id, "already", message="already up to date")
        if live.head_sha != parent:
            return self._stale(repo_id, branch, live)
        return None

    def _read_back(
        self,
        repo_id: str,
        content: str,
        parent: str | None,
        landed: CommitStatus,
        branch: str,
        create_pr: bool,
        title: str,
        why: str,
    ) -> CommitResult:
        """After an answer that names no new commit: the card read back says what happened."""
        try:
            found = self._landed(repo_id, content, parent, landed, branch, create_pr, title, why)
        except HubError as error:
            return CommitResult(repo_id, "failed", message=f"{why}; {error.message}")
        if found is not None:
            return found
        nothing = "no pull request was opened" if create_pr else "nothing was committed"
        return CommitResult(repo_id, "failed", message=f"{why}: {nothing}")

    @staticmethod
    def _stale(repo_id: str, branch: str, live: LiveCard) -> CommitResult:
        return CommitResult(
            repo_id,
            "stale",
            message=f"the head of {branch} moved since the plan "
            f"(now {printable((live.head_sha or '?')[:12])})",
        )


class _BadAnswer(Exception):
    """A commit answer that names no new commit: what happened is read back from the Hub."""


def _bad_answer(exc: BaseException) -> bool:
    """A commit answer the client could not read: not JSON, or JSON of another shape."""
    return isinstance(exc, json.JSONDecodeError | KeyError | TypeError)


def _status(exc: BaseException) -> int | None:
    response = getattr(exc, "response", None)
    status = getattr(response, "status_code", None)
    return status if isinstance(status, int) else None


def _header(exc: BaseException, name: str) -> str | None:
    response = getattr(exc, "response", None)
    headers = getattr(response, "headers", None)
    value = headers.get(name) if headers is not None else None
    return value if isinstance(value, str) else None


# --- choosing the target --------------------------------------------------------------------------

LOCAL = "local"


def resolve_spec(spec: str | None) -> str:
    """--hub, else NB_RELEASE_HUB, else HF_ENDPOINT (as for every huggingface_hub user), else
    'local'; a URL that carries credentials is refused."""
    resolved = spec or os.environ.get("NB_RELEASE_HUB") or os.environ.get("HF_ENDPOINT") or LOCAL
    if resolved != LOCAL:
        check_hub_url(resolved)
    return resolved


def check_hub_url(url: str) -> None:
    """Refuse a Hub URL with user info, a query or a fragment: places a token could hide.

    The message never repeats the URL's secret parts: a token belongs in HF_TOKEN or the
    client's token store, where nb-release never prints it.
    """
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018  # raises ValueError for a port that is not a number
    except ValueError:
        raise HubError(
            "--hub is not a valid URL", hint="use --hub local, or --hub https://huggingface.co"
        ) from None
    where = [
        name
        for name, present in (
            ("user name or password (user:pass@)", "@" in parts.netloc),
            ("query (?...)", bool(parts.query) or url.rstrip().endswith("?")),
            ("fragment (#...)", bool(parts.fragment)),
        )
        if present
    ]
    if where:
        host = parts.netloc.rpartition("@")[2]
        raise HubError(
            f"--hub {parts.scheme}://{host}{parts.path}: the URL carries a "
            f"{' and a '.join(where)}; nb-release refuses URLs that could hold a token",
            hint="pass the Hub URL alone (e.g. https://huggingface.co) and the token in HF_TOKEN",
        )


def is_loopback(url: str) -> bool:
    """The URL's host is this machine (localhost, 127.0.0.0/8, ::1)."""
    host = (urlsplit(url).hostname or "").lower()
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@contextmanager
def open_hub(
    spec: str | None,
    local_root: Path | None = None,
    concurrency: int = DEFAULT_CONCURRENCY,
    *,
    max_wait: float = DEFAULT_MAX_WAIT,
    timeout: float | None = DEFAULT_TIMEOUT,
    read_only: bool = False,
    cache: Cache | None = None,
) -> Iterator[Hub]:
    """Connect to the target: the embedded local Hub (started in process) or a URL.

    `read_only` (plan, preview, history, a dry run): an embedded local Hub that does not exist
    yet is not created; the command sees a new, empty one in a temporary folder instead, which
    is what its first release would see, and nothing is left behind (issue 9: a dry run writes
    nothing).

    Token: for the embedded local Hub, its token file; for a URL, HF_TOKEN or huggingface_hub's
    own token store, else, for a loopback URL only (a running `nb-release hub serve`), the token
    file of `local_root`: a local Hub's token must never be sent to another host.
    """
    resolved = resolve_spec(spec)
    if hf_constants.HF_HUB_OFFLINE:
        # huggingface_hub refuses every request in offline mode, loopback included.
        raise HubError(
            "HF_HUB_OFFLINE is set, and this command reads the Hub "
            f"({'the embedded local Hub' if resolved == LOCAL else resolved})",
            hint="unset HF_HUB_OFFLINE to reach it; `nb-release validate` and "
            "`nb-release render` work offline",
        )
    options: dict[str, Any] = {"max_wait": max_wait, "timeout": timeout, "cache": cache}
    if resolved == LOCAL:
        from pipeline.localhub.app import LocalHub  # the server, only where it is opened

        root = local_root or Path(".hub")
        fresh = not (root / TOKENS_NAME).exists()
        with contextlib.ExitStack() as stack:
            store = root
            if fresh and read_only:
                store = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="nb-hub-")))
            server = stack.enter_context(LocalHub(root=store))
            target = Target(url=server.url, token=server.token, local_root=root)
            yield Hub(target, concurrency, fresh=fresh, **options)
        return
    if not re.match(r"^https?://[^\s/]+", resolved):
        raise HubError(
            f"--hub {resolved!r} is neither 'local' nor an http(s) URL",
            hint="use --hub local, or --hub https://huggingface.co",
        )
    token = get_token()
    if (
        token is None
        and local_root is not None
        and is_loopback(resolved)
        and (local_root / TOKENS_NAME).exists()
    ):
        token = Tokens(local_root / TOKENS_NAME).first()
    yield Hub(Target(url=resolved.rstrip("/"), token=token), concurrency, **options)
