"""Discussions and pull requests: create, list (paged as get_repo_discussions expects), details,
comment, close or reopen, and merge, answered in the shapes HfApi's discussion calls parse."""

from __future__ import annotations

import difflib
import hashlib
from typing import Any

from pipeline.localhub import problems
from pipeline.localhub.store import Discussion, Event, Repo
from pipeline.localhub.views import Context, discussion_json, visible_repo
from pipeline.localhub.wire import Request, Response, json_response, whole_number

STATUSES = ("open", "closed", "merged", "draft")


def create(ctx: Context, request: Request, namespace: str, name: str) -> Response:
    user = request.require_user()
    repo = visible_repo(ctx, request, namespace, name)
    body = request.json_object()
    title, description = body.get("title"), body.get("description", "")
    pull_request = body.get("pullRequest", False)
    if not isinstance(title, str) or not title.strip():
        raise problems.bad_request('"title" must be a non-empty string')
    if not isinstance(description, str) or not isinstance(pull_request, bool):
        raise problems.bad_request('"description" must be a string and "pullRequest" a boolean')
    discussion = ctx.store.create_discussion(
        repo, title=title.strip(), description=description, author=user, pull_request=pull_request
    )
    url = f"{request.base_url}/{repo.repo_id}/discussions/{discussion.num}"
    return json_response({"num": discussion.num, "pullRequest": pull_request, "url": url})


def list_all(ctx: Context, request: Request, namespace: str, name: str) -> Response:
    """`{"discussions", "count", "start"}` pages: the client asks p=0, 1, ... while
    start + len(discussions) < count (HfApi.get_repo_discussions)."""
    repo = visible_repo(ctx, request, namespace, name)
    kind, status, author = request.param("type"), request.param("status"), request.param("author")
    raw_page = request.param("p") or "0"
    page = whole_number(raw_page)
    if page is None:
        raise problems.bad_request(f"Invalid page number p={raw_page!r}")
    found = [
        d
        for d in ctx.store.discussions(repo)
        if kind in (None, "all", "pull_request" if d.is_pr else "discussion")
        and _status_matches(status, d.status)
        and (author is None or d.author == author)
    ]
    size = ctx.size(50)
    start = page * size
    return json_response(
        {
            "discussions": [discussion_json(repo, d) for d in found[start : start + size]],
            "count": len(found),
            "start": start,
            "numClosedDiscussions": sum(d.status in ("closed", "merged") for d in found),
        }
    )


def _status_matches(wanted: str | None, status: str) -> bool:
    if wanted in (None, "all"):
        return True
    if wanted == "open":
        return status in ("open", "draft")  # a draft PR is still open
    return status == wanted


def _find(
    ctx: Context, request: Request, namespace: str, name: str, number: str
) -> tuple[Repo, Discussion]:
    repo = visible_repo(ctx, request, namespace, name)
    num = whole_number(number)
    discussion = ctx.store.discussion(repo, num) if num is not None else None
    if discussion is None:
        raise problems.HubProblem(404, f"Discussion {number} not found")
    return repo, discussion


def _text(body: dict[str, Any], key: str, *, required: bool) -> str | None:
    """A comment's text from the body: a non-empty string (stripped), or None when optional."""
    value = body.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value.strip():
        raise problems.bad_request(f'"{key}" must be a non-empty string')
    return value.strip()


def comment(ctx: Context, request: Request, namespace: str, name: str, number: str) -> Response:
    """`{"comment": text}` -> `{"newMessage": <comment event>}` (HfApi.comment_discussion)."""
    user = request.require_user()
    repo, discussion = _find(ctx, request, namespace, name, number)
    text = _text(request.json_object(), "comment", required=True)
    assert text is not None
    event = ctx.store.comment(repo, discussion.num, author=user, text=text)
    return json_response({"newMessage": _event_json(event)})


def title(ctx: Context, request: Request, namespace: str, name: str, number: str) -> Response:
    """`{"title": text}` -> `{"newTitle": <title-change event>}` (HfApi.rename_discussion)."""
    user = request.require_user()
    repo, discussion = _find(ctx, request, namespace, name, number)
    text = _text(request.json_object(), "title", required=True)
    assert text is not None
    event = ctx.store.rename(repo, discussion.num, author=user, title=text)
    return json_response({"newTitle": _event_json(event)})


def status(ctx: Context, request: Request, namespace: str, name: str, number: str) -> Response:
    """`{"status": "open"|"closed", "comment"?: text}` -> `{"newStatus": <status-change event>}`
    (HfApi.change_discussion_status); the comment is the event's `reason`, as on the Hub."""
    user = request.require_user()
    repo, discussion = _find(ctx, request, namespace, name, number)
    body = request.json_object()
    new_status = body.get("status")
    if new_status not in ("open", "closed"):
        raise problems.bad_request(f'"status" must be "open" or "closed", got {new_status!r}')
    reason = _text(body, "comment", required=False)
    event = ctx.store.change_status(
        repo, discussion.num, author=user, status=new_status, reason=reason
    )
    return json_response({"newStatus": _event_json(event)})


def merge(ctx: Context, request: Request, namespace: str, name: str, number: str) -> Response:
    """An optional `{"comment": text}` (HfApi.merge_pull_request sends no body without one)."""
    user = request.require_user()
    repo, discussion = _find(ctx, request, namespace, name, number)
    body = request.json_object() if request.body.strip() not in (b"", b"null") else {}
    text = _text(body, "comment", required=False)
    event = ctx.store.merge_pr(repo, discussion.num, author=user, comment=text)
    return json_response({"newStatus": _event_json(event)})


def details(ctx: Context, request: Request, namespace: str, name: str, number: str) -> Response:
    repo, discussion = _find(ctx, request, namespace, name, number)
    data = discussion_json(repo, discussion)
    data["events"] = _events(ctx, repo, discussion)
    if discussion.is_pr:
        data["changes"] = {"base": discussion.base_ref or "refs/heads/main"}
        data["filesWithConflicts"] = []
        if request.flag("diff"):
            data["diff"] = _diff(ctx, repo, discussion)
    return json_response(data)


def _event_id(*parts: object) -> str:
    return hashlib.sha1("\0".join(map(str, parts)).encode()).hexdigest()[:24]


def _events(ctx: Context, repo: Repo, discussion: Discussion) -> list[dict[str, Any]]:
    author = {"name": discussion.author, "type": "user"}
    events: list[dict[str, Any]] = [
        {
            "id": _event_id(repo.pk, discussion.num, "comment"),
            "type": "comment",
            "createdAt": discussion.created_at,
            "author": author,
            "data": {
                "edited": False,
                "hidden": False,
                "latest": {"raw": discussion.description, "updatedAt": discussion.created_at},
            },
        }
    ]
    if discussion.is_pr:
        head = ctx.store.resolve(repo, f"refs/pr/{discussion.num}")
        commits = ctx.store.history(head, stop=discussion.base_commit) if head else []
        events += [
            {
                "id": _event_id(repo.pk, discussion.num, commit.oid),
                "type": "commit",
                "createdAt": commit.created_at,
                "author": {"name": commit.author, "type": "user"},
                "data": {"subject": commit.title, "oid": commit.oid},
            }
            for commit in reversed(commits)
        ]
    # Comments and status changes after the opening, in time order with the commits (a stable
    # sort: within one second, commits first, then the stored events in the order they came).
    events[1:] = sorted(
        events[1:] + [_event_json(event) for event in ctx.store.events(repo, discussion.num)],
        key=lambda event: str(event["createdAt"]),
    )
    return events


def _event_json(event: Event) -> dict[str, Any]:
    data: dict[str, Any] = dict(event.data)
    if event.kind == "comment":
        data = {
            "edited": False,
            "hidden": False,
            "latest": {"raw": event.data["raw"], "updatedAt": event.created_at},
        }
    return {
        "id": event.id,
        "type": event.kind,
        "createdAt": event.created_at,
        "author": {"name": event.author, "type": "user"},
        "data": data,
    }


def _diff(ctx: Context, repo: Repo, discussion: Discussion) -> str:
    """A git-style unified diff of the PR against its base commit."""
    head = ctx.store.resolve(repo, f"refs/pr/{discussion.num}")
    if head is None or discussion.base_commit is None:
        return ""
    old = {f.path: f.oid for f in ctx.store.files(discussion.base_commit)}
    new = {f.path: f.oid for f in ctx.store.files(head)}
    chunks: list[str] = []
    for path in sorted(old.keys() | new.keys()):
        if old.get(path) == new.get(path):
            continue
        before = _lines(ctx, old.get(path))
        after = _lines(ctx, new.get(path))
        chunks.append(f"diff --git a/{path} b/{path}\n")
        chunks += difflib.unified_diff(
            before,
            after,
            fromfile=f"a/{path}" if path in old else "/dev/null",
            tofile=f"b/{path}" if path in new else "/dev/null",
        )
    return "".join(chunks)


def _lines(ctx: Context, oid: str | None) -> list[str]:
    if oid is None:
        return []
    return ctx.store.blob(oid).decode("utf-8", errors="replace").splitlines(keepends=True)
