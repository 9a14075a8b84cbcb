"""Git refs: list them, create and delete branches and tags (HfApi.create_branch, create_tag, ...).

A branch is stored by its name, a tag as `refs/tags/<tag>`, a pull request as `refs/pr/N`
(tables.resolve reads a revision in that order). Names follow git's check-ref-format rules, which
the Hub's git applies, and may not look like a commit id or a ref the Hub keeps for itself.
"""

from __future__ import annotations

import re
from typing import Any

from pipeline.localhub import problems
from pipeline.localhub.objects import COMMIT_OID
from pipeline.localhub.tables import DEFAULT_BRANCH, TAG_PREFIX
from pipeline.localhub.views import Context, visible_repo
from pipeline.localhub.wire import Request, Response, json_response

MAX_REF = 255
# git check-ref-format: no control character, space or any of ~^:?*[\ anywhere in a name.
_FORBIDDEN = re.compile(r"[\x00-\x20\x7f~^:?*\[\\]")


def ref_problem(name: str, what: str) -> str | None:
    """Why git (or the Hub) would refuse `name` as a branch or tag name, or None."""
    if not name:
        return f"The {what} name is empty"
    if len(name) > MAX_REF:
        return f"The {what} name is longer than {MAX_REF} characters"
    if name.startswith("refs/") or name == "HEAD":
        return f"'{name}' is reserved: refs/... and HEAD cannot be a {what} name"
    if COMMIT_OID.match(name):
        return f"'{name}' looks like a commit id and cannot be a {what} name"
    if _FORBIDDEN.search(name) or ".." in name or "@{" in name or "//" in name or name == "@":
        return f"'{name}' is not a valid {what} name: no spaces, '..', '@{{' or any of ~^:?*[\\"
    if name[0] in "-/." or name[-1] in "/." or name.endswith(".lock") or "/." in name:
        return (
            f"'{name}' is not a valid {what} name: it may not start with '-', '/' or '.', "
            "end with '/', '.' or '.lock', or have a part starting with '.'"
        )
    return None


def _checked(name: str, what: str) -> str:
    problem = ref_problem(name, what)
    if problem:
        raise problems.bad_request(problem)
    return name


def _body(request: Request) -> dict[str, Any]:
    # huggingface_hub always sends a JSON object; another client may send no body at all.
    return request.json_object() if request.body.strip() else {}


def list_refs(ctx: Context, request: Request, namespace: str, name: str) -> Response:
    repo = visible_repo(ctx, request, namespace, name)
    branches, tags, pulls = [], [], []
    for ref, oid in ctx.store.refs(repo):
        if ref.startswith("refs/pr/"):
            pulls.append({"name": ref, "ref": ref, "targetCommit": oid})
        elif ref.startswith(TAG_PREFIX):
            tags.append({"name": ref.removeprefix(TAG_PREFIX), "ref": ref, "targetCommit": oid})
        else:
            branches.append({"name": ref, "ref": f"refs/heads/{ref}", "targetCommit": oid})
    data: dict[str, Any] = {"branches": branches, "converts": [], "tags": tags}
    if request.flag("include_prs"):
        data["pullRequests"] = pulls
    return json_response(data)


def create_branch(
    ctx: Context, request: Request, namespace: str, name: str, branch: str
) -> Response:
    """`POST .../branch/{branch}` with an optional `{"startingPoint": revision}` (default main),
    or `{"emptyBranch": true}` (huggingface.js createBranch's `empty`): a branch of its own
    history, at a first commit with no files."""
    user = request.require_user()
    repo = visible_repo(ctx, request, namespace, name)
    body = _body(request)
    start = body.get("startingPoint", DEFAULT_BRANCH)
    if not isinstance(start, str) or not start:
        raise problems.bad_request('"startingPoint" must be a revision (a branch, tag or commit)')
    empty = body.get("emptyBranch", False)
    if not isinstance(empty, bool):
        raise problems.bad_request('"emptyBranch" must be true or false')
    ctx.store.create_ref(
        repo, _checked(branch, "branch"), start, what="Branch", empty_by=user if empty else None
    )
    return json_response({})


def delete_branch(
    ctx: Context, request: Request, namespace: str, name: str, branch: str
) -> Response:
    request.require_user()
    repo = visible_repo(ctx, request, namespace, name)
    if branch == DEFAULT_BRANCH:
        raise problems.HubProblem(403, f"Cannot delete the default branch '{DEFAULT_BRANCH}'")
    _checked(branch, "branch")
    ctx.store.delete_ref(repo, branch)
    return json_response({})


def create_tag(
    ctx: Context, request: Request, namespace: str, name: str, revision: str
) -> Response:
    """`POST .../tag/{revision}` with `{"tag": name, "message": text}`: tag what `revision` names.

    The message is checked but not kept: no endpoint the clients use shows it.
    """
    request.require_user()
    repo = visible_repo(ctx, request, namespace, name)
    body = _body(request)
    tag, message = body.get("tag"), body.get("message")
    if not isinstance(tag, str):
        raise problems.bad_request('"tag" must be a string (the name of the tag)')
    if not isinstance(message, str | None):
        raise problems.bad_request('"message" must be a string')
    ctx.store.create_ref(repo, TAG_PREFIX + _checked(tag, "tag"), revision, what="Tag")
    return json_response({})


def delete_tag(ctx: Context, request: Request, namespace: str, name: str, tag: str) -> Response:
    request.require_user()
    repo = visible_repo(ctx, request, namespace, name)
    ctx.store.delete_ref(repo, TAG_PREFIX + _checked(tag, "tag"))
    return json_response({})
