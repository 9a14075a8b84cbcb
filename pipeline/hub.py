"""All Hub I/O: the only module of pipeline/ that imports huggingface_hub.

Reads go through the client's own session, URL builder and error mapping, one GET of README.md
per repo (the head commit comes back in X-Repo-Commit), never through the download cache: a read
must never fall back to a stale cached copy. Writes go through `HfApi.create_commit` with exact
bytes (never a re-serialised RepoCard) and `parent_commit` set to the head the plan saw.

Every message that leaves this module has the token redacted.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# huggingface_hub reads its settings when first imported. With telemetry on it also fetches an
# "agent harness" registry from its default endpoint (huggingface.co) whatever endpoint a call
# targets: a release to the local Hub must not reach out to the real one.
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")

import httpx2  # after the setting above
from huggingface_hub import (
    CommitOperationAdd,
    HfApi,
    ModelCard,
    get_token,
    hf_hub_url,
)
from huggingface_hub.errors import (
    EntryNotFoundError,
    HfHubHTTPError,
    RepositoryNotFoundError,
    RevisionNotFoundError,
)

# Public functions of huggingface_hub.utils, which exports them lazily (invisible to mypy).
from huggingface_hub.utils import logging as hf_logging
from huggingface_hub.utils._headers import build_hf_headers
from huggingface_hub.utils._http import hf_raise_for_status, http_backoff

from pipeline.errors import AuthError, HubError
from pipeline.localhub.auth import TOKENS_NAME, Tokens
from pipeline.records import CommitRecord, LiveCard

README = "README.md"
DEFAULT_CONCURRENCY = 8
_TOKEN_SHAPE = re.compile(r"hf_[A-Za-z0-9_]{8,}")


def client_card_data(content: str) -> dict[str, Any]:
    """The metadata as huggingface_hub's ModelCard reads it (PyYAML, YAML 1.1 semantics)."""
    card_data = ModelCard(content, ignore_metadata_errors=True).data
    data: dict[str, Any] = card_data.to_dict()  # type: ignore[no-untyped-call]  # untyped upstream
    return data


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
    def display(self) -> str:
        return f"the local Hub in {self.local_root}/" if self.local_root else self.url


@dataclass(frozen=True)
class CommitResult:
    """What one publish did: the outcome and, when something landed, its commit URL."""

    repo_id: str
    status: str  # "published" | "proposed" | "already" | "stale" | "failed"
    commit_url: str | None = None
    pr_url: str | None = None
    message: str | None = None


class Hub:
    """One command's connection to a Hub."""

    def __init__(
        self, target: Target, concurrency: int = DEFAULT_CONCURRENCY, fresh: bool = False
    ) -> None:
        self.target = target
        # The embedded local Hub was created by this run: it has no repos yet.
        self.fresh = fresh
        self.concurrency = max(1, concurrency)
        self.api = HfApi(endpoint=target.url, token=target.token or False)
        # The client logs each retry on stderr; nb-release reports outcomes itself.
        hf_logging.set_verbosity_error()  # type: ignore[no-untyped-call]  # untyped upstream
        self._user: str | None = None

    # --- errors -------------------------------------------------------------------------------

    def _error(self, exc: BaseException, doing: str) -> HubError:
        """A HubError for a client exception, with the token redacted."""
        text = redact(
            str(exc).strip().splitlines()[0] if str(exc).strip() else "", self.target.token
        )
        status = _status(exc)
        if status == 401 or "Invalid user token" in text:
            return AuthError(
                f"{doing}: the Hub at {self.target.url} refused the token (401)",
                hint="set HF_TOKEN to a token with write access, or run "
                "`hf auth login`; for the local Hub, see its token file",
            )
        if isinstance(exc, httpx2.TransportError):
            return HubError(
                f"{doing}: cannot reach the Hub at {self.target.url} ({type(exc).__name__})",
                hint="check --hub and the network connection",
            )
        kind = f"HTTP {status}" if status else type(exc).__name__
        return HubError(f"{doing}: {kind}: {text}")

    # --- reads --------------------------------------------------------------------------------

    def read_card(self, repo_id: str, revision: str = "main") -> LiveCard:
        """README.md and the head commit of one repo, read fresh (no cache)."""
        url = hf_hub_url(repo_id, README, revision=revision, endpoint=self.target.url)
        headers = build_hf_headers(token=self.target.token or False)
        try:
            response = http_backoff("GET", url, headers=headers, max_retries=4, max_wait_time=4)
            hf_raise_for_status(response)
        except RepositoryNotFoundError:
            return LiveCard(repo_id=repo_id, exists=False, head_sha=None, content=None)
        except RevisionNotFoundError:
            # A repo with no commit on main yet: it exists, without a README.
            return LiveCard(repo_id=repo_id, exists=True, head_sha=None, content=None)
        except EntryNotFoundError as exc:
            head = _header(exc, "X-Repo-Commit") or self._head_sha(repo_id, revision)
            return LiveCard(repo_id=repo_id, exists=True, head_sha=head, content=None)
        except (HfHubHTTPError, httpx2.HTTPError) as exc:
            raise self._error(exc, f"reading {repo_id}") from None
        head = response.headers.get("X-Repo-Commit")
        return LiveCard(
            repo_id=repo_id,
            exists=True,
            head_sha=head,
            content=response.content.decode("utf-8", errors="replace"),
        )

    def _head_sha(self, repo_id: str, revision: str) -> str | None:
        try:
            info = self.api.repo_info(repo_id, revision=revision)
        except (HfHubHTTPError, httpx2.HTTPError) as exc:
            raise self._error(exc, f"reading the head of {repo_id}") from None
        return info.sha

    def read_cards(
        self, repo_ids: Sequence[str], on_done: Callable[[str], None] | None = None
    ) -> list[LiveCard]:
        """Read every repo concurrently (bounded); results in the order of repo_ids."""

        def one(repo_id: str) -> LiveCard:
            card = self.read_card(repo_id)
            if on_done is not None:
                on_done(repo_id)
            return card

        with ThreadPoolExecutor(max_workers=min(self.concurrency, max(1, len(repo_ids)))) as pool:
            return list(pool.map(one, repo_ids))

    def list_commits(self, repo_id: str, revision: str = "main") -> list[CommitRecord]:
        """Every commit of `revision`, newest first (the Hub pages them; the client follows)."""
        try:
            commits = self.api.list_repo_commits(repo_id, revision=revision)
        except (HfHubHTTPError, httpx2.HTTPError) as exc:
            raise self._error(exc, f"listing the commits of {repo_id}") from None
        return [
            CommitRecord(
                commit_id=c.commit_id,
                created_at=c.created_at.isoformat().replace("+00:00", "Z"),
                authors=tuple(str(a) for a in c.authors),
                title=c.title,
                message=c.message,
            )
            for c in commits
        ]

    def readme_blob_id(self, repo_id: str, revision: str) -> str | None:
        """The blob id of README.md at `revision` (None without one): tells which commits touched
        the card without downloading it. One listing of the repo's top folder."""
        try:
            for entry in self.api.list_repo_tree(repo_id, revision=revision):
                if entry.path == README:
                    return getattr(entry, "blob_id", None)
        except (HfHubHTTPError, httpx2.HTTPError) as exc:
            raise self._error(exc, f"listing the files of {repo_id} at {revision[:12]}") from None
        return None

    def whoami(self) -> str:
        """The user the token belongs to (raises AuthError without a valid token)."""
        if self._user is None:
            if not self.target.token:
                raise AuthError(
                    f"no token for {self.target.display}",
                    hint="set HF_TOKEN, or log in with `hf auth login`",
                )
            try:
                self._user = str(self.api.whoami()["name"])
            except (HfHubHTTPError, httpx2.HTTPError, KeyError) as exc:
                raise self._error(exc, "checking the token") from None
        return self._user

    # --- writes -------------------------------------------------------------------------------

    def create_repo(self, repo_id: str) -> None:
        try:
            self.api.create_repo(repo_id, exist_ok=True)
        except (HfHubHTTPError, httpx2.HTTPError) as exc:
            raise self._error(exc, f"creating {repo_id}") from None

    def find_own_pr(self, repo_id: str, title: str) -> tuple[int, str] | None:
        """The number and ref of this user's open pull request with this title, if any."""
        user = self.whoami()
        try:
            for pr in self.api.get_repo_discussions(
                repo_id, author=user, discussion_type="pull_request", discussion_status="open"
            ):
                if pr.title == title and pr.is_pull_request:
                    return pr.num, pr.git_reference or f"refs/pr/{pr.num}"
        except (HfHubHTTPError, httpx2.HTTPError) as exc:
            raise self._error(exc, f"listing the pull requests of {repo_id}") from None
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
        """Commit README.md; a moved head (the Hub's 412) is 'stale', never overwritten."""
        data = content.encode("utf-8")
        attempts = 3
        for attempt in range(1, attempts + 1):
            try:
                info = self.api.create_commit(
                    repo_id,
                    operations=[CommitOperationAdd(path_in_repo=README, path_or_fileobj=data)],
                    commit_message=title,
                    commit_description=description,
                    parent_commit=parent,
                    revision=revision,
                    create_pr=create_pr,
                )
            except HfHubHTTPError as exc:
                status = _status(exc)
                if status == 412:
                    # The head moved. If it moved to exactly our content (an earlier attempt
                    # whose answer was lost), it is published; else someone else wrote: stale.
                    live = self.read_card(repo_id, revision or "main")
                    if live.content == content:
                        return CommitResult(repo_id, "already", message="already up to date")
                    return CommitResult(
                        repo_id,
                        "stale",
                        message=f"the head of {revision or 'main'} moved since the plan "
                        f"(now {(live.head_sha or '?')[:12]})",
                    )
                if status in (429, 500, 502, 503, 504) and attempt < attempts:
                    continue
                return CommitResult(
                    repo_id, "failed", message=self._error(exc, f"publishing {repo_id}").message
                )
            except httpx2.TransportError as exc:
                if attempt < attempts:
                    continue
                return CommitResult(
                    repo_id, "failed", message=self._error(exc, f"publishing {repo_id}").message
                )
            except ValueError as exc:  # the Hub's metadata validation refused the card
                return CommitResult(repo_id, "failed", message=redact(str(exc), self.target.token))
            return CommitResult(
                repo_id,
                "proposed" if create_pr or revision else "published",
                commit_url=info.commit_url,
                pr_url=info.pr_url,
            )
        raise AssertionError("unreachable")  # pragma: no cover


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
    """--hub, else NB_RELEASE_HUB, else 'local'."""
    return spec or os.environ.get("NB_RELEASE_HUB") or LOCAL


@contextmanager
def open_hub(
    spec: str | None, local_root: Path | None = None, concurrency: int = DEFAULT_CONCURRENCY
) -> Iterator[Hub]:
    """Connect to the target: the embedded local Hub (started in process) or a URL.

    Token: for the embedded local Hub, its token file; for a URL, HF_TOKEN or huggingface_hub's
    own token store, else the token file of `local_root` (a running `nb-release hub serve`).
    """
    resolved = resolve_spec(spec)
    if resolved == LOCAL:
        from pipeline.localhub.app import LocalHub  # the server, only where it is opened

        root = local_root or Path(".hub")
        fresh = not (root / TOKENS_NAME).exists()
        with LocalHub(root=root) as server:
            target = Target(url=server.url, token=server.token, local_root=root)
            yield Hub(target, concurrency, fresh=fresh)
        return
    if not re.match(r"^https?://[^\s/]+", resolved):
        raise HubError(
            f"--hub {resolved!r} is neither 'local' nor an http(s) URL",
            hint="use --hub local, or --hub https://huggingface.co",
        )
    token = get_token()
    if token is None and local_root is not None and (local_root / TOKENS_NAME).exists():
        token = Tokens(local_root / TOKENS_NAME).first()
    yield Hub(Target(url=resolved.rstrip("/"), token=token), concurrency)
