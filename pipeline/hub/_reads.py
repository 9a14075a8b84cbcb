"""What nb-release reads from a Hub, each read one request (or one listing) under the policy.

A README is read through the client's own session, URL builder and error mapping, one GET per
repo (the head commit comes back in X-Repo-Commit), never through the download cache: a read
must never fall back to a stale cached copy. No cache here: commitcache.py keeps what a commit
sha makes safe to keep.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

import httpx2
from huggingface_hub import RepoFile, hf_hub_url
from huggingface_hub.errors import (
    EntryNotFoundError,
    HfHubHTTPError,
    RepositoryNotFoundError,
    RevisionNotFoundError,
)
from huggingface_hub.utils import build_hf_headers, get_session, hf_raise_for_status

from pipeline import hubsnapshot
from pipeline.hub import _answers as answers
from pipeline.hub._calls import HubCalls, header_of
from pipeline.hub._commitcache import SHA
from pipeline.hub._retry import RateLimited
from pipeline.records import CommitRecord, ListedModel, LiveCard
from pipeline.safetext import printable

README = "README.md"


def git_blob_oid(data: bytes) -> str:
    """The git blob id of a file's bytes: what the Hub names a regular file by (paths-info's
    `oid`), so a file can be known equal to a render without reading it."""
    return hashlib.sha1(b"blob %d\0" % len(data) + data, usedforsecurity=False).hexdigest()


def path_oids(calls: HubCalls, repo_id: str, revision: str, paths: Sequence[str]) -> dict[str, str]:
    """The blob id of each of `paths` at the commit `revision` that the repo holds, from one
    paths-info request (a path it does not hold is absent; a file in LFS is given by its
    pointer's id, which never equals a text's)."""
    found = calls.ask(
        lambda: [
            (answers.as_str(f.path, "path"), answers.as_str(f.blob_id, "oid"))
            for f in calls.api.get_paths_info(repo_id, list(paths), revision=revision)
            if isinstance(f, RepoFile)
        ],
        f"reading the file ids of {repo_id}",
    )
    return dict(found)


def read_readme(calls: HubCalls, repo_id: str, revision: str, path: str = README) -> LiveCard:
    """README.md (or another file nb-release manages, `path`) and the head commit of one repo at
    `revision`, read fresh: the LiveCard's content is that file's."""
    target = calls.target
    url = hf_hub_url(repo_id, path, revision=revision, endpoint=target.url)
    headers = build_hf_headers(token=target.token or False)

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
        response = calls.policy.call(get, kind="resolve", what=f"reading {repo_id}")
    except RepositoryNotFoundError:
        return LiveCard(repo_id=repo_id, exists=False, head_sha=None, content=None)
    except RevisionNotFoundError:
        # A repo with no commit on main yet: it exists, without a README.
        return LiveCard(repo_id=repo_id, exists=True, head_sha=None, content=None)
    except EntryNotFoundError as exc:
        head = header_of(exc, "X-Repo-Commit") or _pinned(calls, repo_id, revision, path)
        if isinstance(head, LiveCard):
            return head  # "no README" checked again at the head read another way
        return LiveCard(repo_id=repo_id, exists=True, head_sha=head, content=None)
    except (HfHubHTTPError, httpx2.HTTPError, RateLimited) as exc:
        raise calls.error(exc, f"reading {repo_id}") from None
    head = response.headers.get("X-Repo-Commit") or _pinned(calls, repo_id, revision, path)
    if isinstance(head, LiveCard):
        return head
    return LiveCard(
        repo_id=repo_id,
        exists=True,
        head_sha=head,
        content=response.content.decode("utf-8", errors="replace"),
    )


def _pinned(calls: HubCalls, repo_id: str, revision: str, path: str) -> str | LiveCard | None:
    """An answer without X-Repo-Commit (a proxy or CDN may drop it): at a commit sha, that
    sha; at a branch, the card read again at the head the repo's info names, so the card and
    its head always agree (a head read after the README could name a later commit, and a
    commit on it would lose that edit). None when the head stays unknown."""
    if SHA.fullmatch(revision):
        return revision
    sha = head_sha(calls, repo_id, revision)
    if sha is not None and SHA.fullmatch(sha):
        return read_readme(calls, repo_id, sha, path)
    return None


def read_head(calls: HubCalls, repo_id: str, revision: str) -> str | None:
    """The head commit of a branch, fresh: one HEAD request of README.md (its X-Repo-Commit,
    in the Hub's `resolve` bucket, without the body), else the repo's info."""
    url = hf_hub_url(repo_id, README, revision=revision, endpoint=calls.target.url)
    headers = build_hf_headers(token=calls.target.token or False)

    def head() -> httpx2.Response:
        response = get_session().head(url, headers=headers)
        hf_raise_for_status(response)
        return response

    sha: str | None
    try:
        response = calls.policy.call(head, kind="resolve", what=f"reading the head of {repo_id}")
        sha = response.headers.get("X-Repo-Commit")
    except (RepositoryNotFoundError, RevisionNotFoundError):
        return None
    except EntryNotFoundError as exc:
        sha = header_of(exc, "X-Repo-Commit")
    except (HfHubHTTPError, httpx2.HTTPError, RateLimited) as exc:
        raise calls.error(exc, f"reading the head of {repo_id}") from None
    if sha is None or not SHA.fullmatch(sha):
        sha = head_sha(calls, repo_id, revision)
    return sha


def head_sha(calls: HubCalls, repo_id: str, revision: str) -> str | None:
    """The head commit of a branch as the repo's info names it."""
    info = calls.ask(
        lambda: calls.api.repo_info(repo_id, revision=revision),
        f"reading the head of {repo_id}",
    )
    return answers.optional_str(info.sha, "sha")


def list_commits(calls: HubCalls, repo_id: str, revision: str) -> list[CommitRecord]:
    """Every commit of `revision`, newest first (the Hub pages them; the client follows)."""
    return calls.ask(
        lambda: [
            CommitRecord(
                commit_id=answers.as_str(c.commit_id, "commit id"),
                created_at=c.created_at.isoformat().replace("+00:00", "Z"),
                authors=tuple(answers.as_str(a, "author") for a in c.authors),
                title=answers.as_str(c.title, "title"),
                message=answers.as_str(c.message, "message"),
            )
            for c in calls.api.list_repo_commits(repo_id, revision=revision)
        ],
        f"listing the commits of {repo_id}",
    )


def readme_blob_id(calls: HubCalls, repo_id: str, revision: str, path: str = README) -> str | None:
    """The blob id of README.md (or `path`) at `revision` (None without one): one listing of the
    repo's top folder (and its subfolders for a path in one)."""
    entries = calls.ask(
        lambda: [
            (
                answers.as_str(e.path, "path"),
                answers.optional_str(getattr(e, "blob_id", None), "blob id"),
            )
            for e in calls.api.list_repo_tree(
                repo_id, revision=revision, path_in_repo=path.rpartition("/")[0] or None
            )
        ],
        f"listing the files of {repo_id} at {printable(revision[:12])}",  # a Hub commit id
    )
    for found, blob_id in entries:
        if found == path:
            return blob_id
    return None


def list_heads(
    calls: HubCalls, namespace: str, files: bool = True
) -> dict[str, tuple[str | None, frozenset[str]]]:
    """The head sha and the file paths of every repo of a namespace, from one listing (1,000
    repos a page; `siblings` is what the compliance rules read, at no request per repo). Without
    `files`, the heads alone (a lighter listing; every repo's paths empty)."""
    expand = ["sha", "siblings"] if files else ["sha"]
    models = calls.ask(
        lambda: [
            (
                answers.as_str(m.id, "repo id"),
                answers.optional_str(m.sha, "sha"),
                frozenset(answers.as_str(f.rfilename, "file name") for f in (m.siblings or ())),
            )
            for m in calls.api.list_models(author=namespace, expand=expand)  # type: ignore[arg-type]
        ],
        f"listing the repos of {namespace}",
    )
    return {repo_id: (sha, paths) for repo_id, sha, paths in models}


def repo_files(calls: HubCalls, repo_id: str, sha: str) -> frozenset[str]:
    """The file paths of a repo at a commit: what one repo's entry of a listing's `siblings`
    holds."""
    info = calls.ask(
        lambda: calls.api.model_info(repo_id, revision=sha), f"reading the files of {repo_id}"
    )
    return frozenset(answers.as_str(f.rfilename, "file name") for f in (info.siblings or ()))


# What `nb-release verify` asks the listing for: what the Hub parsed of each card.
PARSED = ["sha", "cardData", "tags", "pipeline_tag", "library_name"]


def list_parsed(calls: HubCalls, namespace: str, files: bool = False) -> dict[str, ListedModel]:
    """What the Hub parsed of the card of every repo of a namespace: one listing (1,000 repos a
    page) with `expand` naming the parsed fields; with `files`, each repo's files too."""
    expand = [*PARSED, "siblings"] if files else PARSED
    models = calls.ask(
        lambda: [
            ListedModel(
                repo_id=answers.as_str(m.id, "repo id"),
                sha=answers.optional_str(m.sha, "sha"),
                card_data=_card_data(m.card_data),
                tags=tuple(answers.as_str(t, "tag") for t in (m.tags or ())),
                pipeline_tag=answers.optional_str(m.pipeline_tag, "pipeline tag"),
                library_name=answers.optional_str(m.library_name, "library name"),
                siblings=tuple(
                    answers.as_str(s.rfilename, "file name") for s in (m.siblings or ())
                ),
            )
            for m in calls.api.list_models(author=namespace, expand=expand)  # type: ignore[arg-type]
        ],
        f"listing what the Hub parsed of the cards of {namespace}",
    )
    return {model.repo_id: model for model in models}


def _card_data(data: object) -> dict[str, Any] | None:
    if data is None:
        return None
    as_dict = data.to_dict()  # type: ignore[attr-defined]  # ModelCardData, untyped upstream
    if not isinstance(as_dict, dict):
        raise answers.WrongShape("a cardData that is not a mapping")
    return as_dict


def user_name(calls: HubCalls) -> str:
    """The user the token belongs to."""
    return calls.ask(
        lambda: answers.as_str(calls.api.whoami()["name"], "user name"), "checking the token"
    )


def own_pr(calls: HubCalls, repo_id: str, user: str, title: str) -> tuple[int, str] | None:
    """The number and ref of `user`'s open pull request with this title, if any."""
    discussions = calls.ask(
        lambda: [
            (
                answers.as_str(pr.title, "title"),
                answers.as_int(pr.num, "number"),
                answers.optional_str(pr.git_reference, "git reference"),
                pr.is_pull_request is True,
            )
            for pr in calls.api.get_repo_discussions(
                repo_id, author=user, discussion_type="pull_request", discussion_status="open"
            )
        ],
        f"listing the pull requests of {repo_id}",
    )
    for pr_title, num, reference, is_pr in discussions:
        if pr_title == title and is_pr:
            return num, reference or f"refs/pr/{num}"
    return None


def tag_lists(calls: HubCalls, date: str) -> hubsnapshot.Snapshot:
    """The Hub's lists (licenses, tasks, libraries) from its `GET /api/models-tags-by-type`, as
    a snapshot read on `date`; an answer that is not the lists expected is a HubError."""
    # The embedded local Hub's URL (its port) dies with the run: it is named by its store.
    endpoint = "/api/models-tags-by-type"
    source = (
        f"{endpoint} of the local Hub in {calls.target.local_root}/"
        if calls.target.local_root
        else f"{calls.target.url}{endpoint}"
    )
    return calls.ask(
        lambda: hubsnapshot.from_tags_by_type(calls.api.get_model_tags(), source, date),
        "reading the Hub's tag lists",
    )
