"""All Hub I/O: `Hub`, one command's connection to a Hub, and `open_hub`, which makes it.

huggingface_hub is imported only by this module and the ones it is made of: _calls.py (one
request under the retry policy, its failure as a HubError), _reads.py (the reads),
_committing.py (a commit, exactly once), _pulls.py (nb-release's own pull requests), and
_client_internals.py (the client's private names, fenced). _commitcache.py keeps what a commit
sha makes safe to keep; target.py chooses the target. Every message that leaves them has the
token redacted.
"""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path

# huggingface_hub reads its settings when first imported. With telemetry on it also fetches an
# "agent harness" registry from its default endpoint (huggingface.co) whatever endpoint a call
# targets: a release to the local Hub must not reach out to the real one. The rest of pipeline/
# reaches the client through this module only, so this runs before the client's first import.
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")

import httpx2  # after the setting above
from huggingface_hub import HfApi, get_token, is_offline_mode
from huggingface_hub.utils import logging as hf_logging
from huggingface_hub.utils import set_client_factory

from pipeline.defaults import DEFAULT_TIMEOUT
from pipeline.errors import AuthError, HubError
from pipeline.hub import _answers as answers
from pipeline.hub import _client_internals as client_internals
from pipeline.hub import _collections as collections
from pipeline.hub import _committing as committing
from pipeline.hub import _pulls as pulls
from pipeline.hub import _reads as hubreads
from pipeline.hub import _validating as validating
from pipeline.hub._calls import HubCalls, QuotaError
from pipeline.hub._commitcache import CommitCache
from pipeline.hub._committing import CommitResult, CommitStatus
from pipeline.hub._gather import gather
from pipeline.hub._retry import DEFAULT_MAX_WAIT, RetryPolicy, after_response, before_request
from pipeline.hub._tls import DeferredTrust
from pipeline.hub._validating import Refusal
from pipeline.hub.access import TokenAccess, token_access
from pipeline.hub.cache import Cache
from pipeline.hub.target import LOCAL, Target, check_hub_url, is_loopback, resolve_spec
from pipeline.hubsnapshot import Snapshot
from pipeline.localhub.auth import TOKENS_NAME, Tokens
from pipeline.records import (
    CommitRecord,
    ListedModel,
    LiveCard,
    ManagedFile,
    OpenPull,
)

# The names the rest of pipeline/ imports from here, whichever module defines them.
__all__ = [
    "DEFAULT_CONCURRENCY",
    "DEFAULT_TIMEOUT",
    "LOCAL",
    "PARSED_FIELDS",
    "CommitResult",
    "CommitStatus",
    "Hub",
    "QuotaError",
    "Refusal",
    "Target",
    "check_hub_url",
    "is_loopback",
    "open_hub",
    "resolve_spec",
]

README = hubreads.README
git_blob_oid = hubreads.git_blob_oid  # the id paths-info names a regular file by
PARSED_FIELDS = tuple(hubreads.PARSED)  # what `verify` asks the listing for (bench/bench.py)
DEFAULT_CONCURRENCY = 8

# The origins of the embedded local Hubs of this process: loopback servers nb-release started,
# which need no network, so huggingface_hub's offline mode (HF_HUB_OFFLINE) does not refuse them.
_EMBEDDED: set[tuple[str, str, int | None]] = set()


def _client_hook(request: httpx2.Request) -> None:
    if is_offline_mode() and answers.origin(str(request.url)) in _EMBEDDED:
        return  # the client's hook would refuse it; the rest of that hook is a request id
    client_internals.client_request_hook(request)


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
                "request": [_client_hook, _pace],
                "response": [_observe, answers.bound_answers(timeout)],
            },
            follow_redirects=True,
            timeout=timeout,
            verify=DeferredTrust(),  # no certificate is loaded before a handshake needs it
        )

    set_client_factory(factory)


# A repo's head sha (None: no commit) and its file paths, as a listing gives them.
Listed = tuple[str | None, frozenset[str]]


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
        self.cache = cache
        # What the cache keeps of this Hub's commits, and nb-release's own commits as they land.
        self.commits = CommitCache(cache, target.cache_key)
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
        # The cards the Hub's validate-yaml accepted in this run (validate_cards): their commits
        # need not ask it again (client_internals.skip_revalidation).
        self._accepted: set[str] = set()
        self._verdicts: dict[tuple[str, str], list[Refusal]] = {}  # validate-yaml's, this run
        client_internals.skip_revalidation(self.api, self._accepted.__contains__)
        self.calls = HubCalls(target, self.policy, self.api)
        self.collections = collections.Collections(self.calls)  # the Hub's collections API
        # The client logs each retry on stderr; nb-release reports outcomes itself.
        hf_logging.set_verbosity_error()  # type: ignore[no-untyped-call]  # untyped upstream
        self._user: str | None = None
        self._user_lock = threading.Lock()

    def _error(self, exc: BaseException, doing: str) -> HubError:
        """A HubError for a client exception, with the token redacted."""
        return self.calls.error(exc, doing)

    # --- reads --------------------------------------------------------------------------------

    def read_card(self, repo_id: str, revision: str = "main") -> LiveCard:
        """README.md and the head commit of one repo at a branch, read fresh; at a commit sha,
        from the cache when it has it (what a commit holds never changes)."""
        return self.commits.read_card(
            repo_id, revision, lambda: hubreads.read_readme(self.calls, repo_id, revision)
        )

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

    def read_head(self, repo_id: str, revision: str = "main") -> str | None:
        """The head commit of a branch, fresh (hubreads.read_head)."""
        return hubreads.read_head(self.calls, repo_id, revision)

    def read_heads(self, repo_ids: Sequence[str]) -> dict[str, str | None]:
        """read_head of every repo concurrently (bounded)."""
        heads = gather(self.read_head, repo_ids, self.concurrency)
        return dict(zip(repo_ids, heads, strict=True))

    def _head_sha(self, repo_id: str, revision: str) -> str | None:
        return hubreads.head_sha(self.calls, repo_id, revision)

    def own_commit(self, repo_id: str, sha: str) -> CommitRecord | None:
        """nb-release's own commit at `sha`, if this cache saw it land (no request)."""
        return self.commits.own_commit(repo_id, sha)

    def list_commits(self, repo_id: str, revision: str = "main") -> list[CommitRecord]:
        """Every commit of `revision`, newest first; below a commit sha, read once (cached)."""
        return self.commits.list_commits(
            repo_id, revision, lambda: hubreads.list_commits(self.calls, repo_id, revision)
        )

    def readme_blob_id(self, repo_id: str, revision: str, path: str = README) -> str | None:
        """The blob id of README.md at `revision` (None without one): tells which commits touched
        the card without downloading it."""
        return hubreads.readme_blob_id(self.calls, repo_id, revision, path)

    def list_heads(self, namespace: str, files: bool = True) -> dict[str, Listed]:
        """The head sha and file paths of every repo of a namespace: one listing (1,000 repos a
        page); without `files`, the heads alone (every repo's paths empty)."""
        return hubreads.list_heads(self.calls, namespace, files)

    def tag_lists(self, date: str) -> Snapshot:
        """The Hub's lists (licenses, tasks, libraries), read now, as a snapshot of `date`."""
        return hubreads.tag_lists(self.calls, date)

    def validate_cards(self, contents: Mapping[str, str]) -> dict[str, list[Refusal]]:
        """The Hub's validate-yaml verdict on each card (repo id: README text), asked
        concurrently (bounded); the repos it refuses, each with its errors."""
        refused = validating.validate_cards(self.calls, contents, self._verdicts, self.concurrency)
        self._accepted.update(contents[repo] for repo in contents if repo not in refused)
        return refused

    def list_parsed(self, namespace: str, files: bool = False) -> dict[str, ListedModel]:
        """What the Hub parsed of every card of a namespace (with `files`, each repo's files
        too), from one listing (hubreads)."""
        return hubreads.list_parsed(self.calls, namespace, files)

    def whoami(self) -> str:
        """The user the token belongs to, asked once per run (the Hub limits whoami strictly)."""
        with self._user_lock:
            if self._user is None:
                if not self.target.token:
                    raise AuthError(
                        f"no token for {self.target.display}",
                        hint="set HF_TOKEN, or log in with `hf auth login`",
                    )
                self._user = hubreads.user_name(self.calls)
            return self._user

    def token_access(self) -> TokenAccess:
        """What the token may do (whoami-v2: its role, organisations and scopes)."""
        if not self.target.token:
            raise AuthError(
                f"no token for {self.target.display}",
                hint="set HF_TOKEN, or log in with `hf auth login`",
            )
        answer = self.calls.ask(lambda: self.api.whoami(), "checking the token")
        access = token_access(answer if isinstance(answer, dict) else {})
        with self._user_lock:
            self._user = self._user or access.user
        return access

    @property
    def known_user(self) -> str | None:
        """The token's user, if this run has asked for it already (no request)."""
        return self._user

    def publisher(self) -> str | None:
        """The user whose release commits this run trusts: the token's (None without a token,
        when no author can be verified)."""
        return self.whoami() if self.target.token else None

    # --- writes -------------------------------------------------------------------------------

    def create_repo(self, repo_id: str) -> None:
        # exist_ok: a retry after a lost answer finds the repo made by the first attempt.
        self.calls.call(lambda: self.api.create_repo(repo_id, exist_ok=True), f"creating {repo_id}")

    def find_own_pr(self, repo_id: str, title: str) -> tuple[int, str] | None:
        """The number and ref of this user's open pull request with this title, if any."""
        return hubreads.own_pr(self.calls, repo_id, self.whoami(), title)

    def pr_url(self, repo_id: str, number: int) -> str:
        """The Hub's page of pull request `number` of `repo_id`."""
        return pulls.pr_url(self.target.url, repo_id, number)

    def close_own_pr(self, repo_id: str, number: int, reason: str) -> bool:
        """Close this user's open pull request with `reason` as its comment (True when closed);
        a pull request someone else opened, or one already closed or merged, is left as it is."""
        return pulls.close_own_pr(self.calls, repo_id, number, self.whoami(), reason)

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
        files: Sequence[ManagedFile] = (),
    ) -> CommitResult:
        """Commit README.md and `files` exactly once, on `parent` (committing.commit_card)."""
        return committing.commit_card(
            self,
            repo_id,
            content,
            parent=parent,
            title=title,
            description=description,
            revision=revision,
            create_pr=create_pr,
            files=files,
        )


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
    is what its first release would see, and nothing is left behind (a dry run writes nothing).

    Token: for the embedded local Hub, its token file; for a URL, HF_TOKEN or huggingface_hub's
    own token store, else, for a loopback URL only (a running `nb-release hub serve`), the token
    file of `local_root`: a local Hub's token must never be sent to another host.

    huggingface_hub's offline mode (HF_HUB_OFFLINE) refuses every request of its client; the
    embedded local Hub needs no network and is exempt, and a URL is refused here in one line.
    """
    resolved = resolve_spec(spec)

    def connect(target: Target, fresh: bool = False) -> Hub:
        return Hub(target, concurrency, fresh, max_wait=max_wait, timeout=timeout, cache=cache)

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
            embedded = answers.origin(server.url)
            _EMBEDDED.add(embedded)
            stack.callback(_EMBEDDED.discard, embedded)
            hub = connect(target, fresh)
            stack.callback(hub.policy.closed.set)  # before the server stops: see RetryPolicy
            yield hub
        return
    if is_offline_mode():
        raise HubError(
            f"HF_HUB_OFFLINE is set, and this command reads the Hub at {resolved}",
            hint="unset HF_HUB_OFFLINE to reach it; the embedded local Hub (--hub local), "
            "`nb-release validate` and `nb-release render` work offline",
        )
    if not re.match(r"^https?://[^\s/]+", resolved):
        raise HubError(
            f"--hub {resolved!r} is neither 'local' nor an http(s) URL",
            hint="use --hub local, or --hub https://huggingface.co",
        )
    token = get_token()
    # A served local Hub (`hub serve --root DIR`) and its store (--hub-root DIR): the store is
    # its identity for the cache (target.py), and its token file the token when none is set.
    served = (
        local_root
        if local_root is not None and is_loopback(resolved) and (local_root / TOKENS_NAME).exists()
        else None
    )
    if token is None and served is not None:
        token = Tokens(served / TOKENS_NAME).first()
    hub = connect(Target(url=resolved.rstrip("/"), token=token, store=served))
    try:
        yield hub
    finally:
        hub.policy.closed.set()  # what the run left on threads of their own asks no more


def read_file(hub: Hub, repo_id: str, path: str, revision: str = "main") -> LiveCard:
    """A managed file (README.md or a companion) and the head, as Hub.read_card reads README.md:
    the LiveCard's content is that file's (None: the repo has no such file there). At a commit
    sha, from the cache when it has it."""
    if path == README:
        return hub.read_card(repo_id, revision)
    return hub.commits.read_file(
        repo_id, path, revision, lambda: hubreads.read_readme(hub.calls, repo_id, revision, path)
    )


def find_open_pulls(
    hub: Hub, repo_ids: Sequence[str], title: str, slots: threading.Semaphore | None = None
) -> dict[str, OpenPull]:
    """The token user's open pull request with this title on each repo that has one, one
    listing per repo, concurrently (bounded; each request holds one of `slots` when given, a
    bound shared with reads running beside these). Without a token there is no user to ask:
    {}."""
    if not hub.target.token or not repo_ids:
        return {}
    held = slots if slots is not None else contextlib.nullcontext()
    with held:
        user = hub.whoami()

    def one(repo_id: str) -> tuple[int, str] | None:
        with held:
            return hubreads.own_pr(hub.calls, repo_id, user, title)

    found = gather(one, repo_ids, hub.concurrency)
    return {
        repo_id: OpenPull(own[0], hub.pr_url(repo_id, own[0]))
        for repo_id, own in zip(repo_ids, found, strict=True)
        if own is not None
    }


def repo_files(hub: Hub, wanted: Sequence[tuple[str, str]]) -> dict[str, frozenset[str]]:
    """The file paths of each (repo id, commit sha), one request a repo, concurrently
    (bounded); a commit's files are read once (cached)."""
    key = hub.target.cache_key
    out: dict[str, frozenset[str]] = {}
    asked: list[tuple[str, str]] = []
    for repo_id, sha in wanted:
        found = hub.cache.tree(key, repo_id, sha) if hub.cache is not None else None
        if found is None:
            asked.append((repo_id, sha))
        else:
            out[repo_id] = found
    read = gather(
        lambda item: hubreads.repo_files(hub.calls, item[0], item[1]), asked, hub.concurrency
    )
    for (repo_id, sha), paths in zip(asked, read, strict=True):
        out[repo_id] = paths
        if hub.cache is not None:
            hub.cache.put_tree(key, repo_id, sha, paths)
    return out


def file_oids(
    hub: Hub,
    wanted: Sequence[tuple[str, str, tuple[str, ...]]],
    on_done: Callable[[tuple[str, str, tuple[str, ...]], dict[str, str]], None] | None = None,
) -> dict[tuple[str, str], dict[str, str]]:
    """Each (repo id, commit sha, paths)'s blob ids, one paths-info request each, concurrently
    (bounded): what read_files_against compares the renders with (a plan asks it while it
    renders). `on_done` hears each answer as it comes (see gather)."""
    oids = gather(
        lambda item: hubreads.path_oids(hub.calls, item[0], item[1], item[2]),
        wanted,
        hub.concurrency,
        on_done,
    )
    return {(repo_id, sha): found for (repo_id, sha, _), found in zip(wanted, oids, strict=True)}


def read_files_against(
    hub: Hub,
    wanted: Sequence[tuple[str, str, str, str]],
    known: Mapping[tuple[str, str], Mapping[str, str]] | None = None,
) -> list[str | None]:
    """Each (repo id, path, commit sha, rendered text)'s content at that commit, in order: from
    the cache; else, per repo and commit, one paths-info request (unless `known` has its
    answer) names each file's blob id, and a file whose id is the render's is the render (no
    read), a file the repo lacks is None, and only a file that differs is read. Every answer is
    kept in the cache."""
    cache = hub.cache
    key = hub.target.cache_key
    out: dict[tuple[str, str, str], str | None] = {}
    todo: dict[tuple[str, str], list[tuple[str, str]]] = {}
    for repo_id, path, sha, rendered in wanted:
        found, content = cache.file(key, repo_id, sha, path) if cache else (False, None)
        if found:
            out[(repo_id, path, sha)] = content
        else:
            todo.setdefault((repo_id, sha), []).append((path, rendered))
    known = known or {}
    groups = list(todo.items())
    asked = file_oids(
        hub,
        [
            (r, sha, tuple(p for p, _ in files))
            for (r, sha), files in groups
            if (r, sha) not in known
        ],
    )
    # `known` answers for the same paths (the manifest's) at the same commit.
    oids = [known[group] if group in known else asked[group] for group, _ in groups]
    differ: list[tuple[str, str, str]] = []
    for ((repo_id, sha), files), named in zip(groups, oids, strict=True):
        for path, rendered in files:
            same, content = as_named(named.get(path), rendered)
            if same:
                out[(repo_id, path, sha)] = content
                if cache is not None:
                    cache.put_file(key, repo_id, sha, path, content)
            else:
                differ.append((repo_id, path, sha))
    for item, content in zip(differ, read_files(hub, differ), strict=True):
        out[item] = content
    return [out[(repo_id, path, sha)] for repo_id, path, sha, _ in wanted]


def as_named(oid: str | None, rendered: str) -> tuple[bool, str | None]:
    """(known, content) of a file the Hub names by blob id `oid` (None: the commit lacks it),
    against its rendered text: known when it is absent (content None) or is the render (content
    `rendered`); unknown when it differs (it must be read)."""
    if oid is None:
        return True, None
    if oid == hubreads.git_blob_oid(rendered.encode("utf-8")):
        return True, rendered
    return False, None


def cards_at(hub: Hub, wanted: Sequence[tuple[str, str]]) -> list[LiveCard]:
    """README.md of each (repo id, commit sha), concurrently (bounded), in order; from the
    cache when it has that commit's (what a commit holds never changes)."""
    return gather(lambda item: hub.read_card(item[0], item[1]), wanted, hub.concurrency)


def read_files(hub: Hub, wanted: Sequence[tuple[str, str, str]]) -> list[str | None]:
    """Each (repo id, path, commit sha)'s content, concurrently (bounded), in order; a file at a
    commit is read once and kept in the cache."""
    return gather(lambda item: read_file(hub, *item).content, wanted, hub.concurrency)
