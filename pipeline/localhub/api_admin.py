"""Repo administration: settings (visibility, gating), move (rename) and delete.

Each needs a token, as every write does (auth.py: any valid token may write any namespace).
"""

from __future__ import annotations

from typing import Any

from pipeline.localhub import problems
from pipeline.localhub.api_repos import checked_repo_id
from pipeline.localhub.views import Context, visible_repo
from pipeline.localhub.wire import Request, Response, json_response

GATED = ("auto", "manual")


def update_settings(ctx: Context, request: Request, namespace: str, name: str) -> Response:
    """`PUT .../settings`: `gated` ("auto", "manual" or false) and `visibility` ("public" or
    "private"; older clients send `private`: true or false)."""
    request.require_user()
    repo = visible_repo(ctx, request, namespace, name)
    body = request.json_object()
    private = _private(body)
    gated = body.get("gated")
    if "gated" in body and gated is not False and gated not in GATED:
        raise problems.bad_request(f'"gated" must be "auto", "manual" or false, got {gated!r}')
    ctx.store.update_settings(
        repo,
        private=private,
        gated=gated if isinstance(gated, str) else None,
        set_gated="gated" in body,
    )
    return json_response({})


def _private(body: dict[str, Any]) -> bool | None:
    visibility, private = body.get("visibility"), body.get("private")
    if visibility is not None and private is not None:
        raise problems.bad_request('Send "visibility" or "private", not both')
    if visibility is not None:
        if visibility not in ("public", "private"):
            raise problems.bad_request(
                f'"visibility" must be "public" or "private" for a model repo, got {visibility!r}'
            )
        return bool(visibility == "private")
    if not isinstance(private, bool | None):
        raise problems.bad_request(f'"private" must be true or false, got {private!r}')
    return private


def _model_type(body: dict[str, Any]) -> None:
    if body.get("type") not in (None, "model"):
        raise problems.bad_request("The local Hub serves model repos only")


def move_repo(ctx: Context, request: Request) -> Response:
    """`POST /api/repos/move` with `{"fromRepo", "toRepo", "type"}`; the old id is free again."""
    request.require_user()
    body = request.json_object()
    _model_type(body)
    source, target = body.get("fromRepo"), body.get("toRepo")
    if not isinstance(source, str) or not isinstance(target, str):
        raise problems.bad_request('"fromRepo" and "toRepo" must be repo ids (namespace/name)')
    checked_repo_id(target)
    namespace, _, name = source.partition("/")
    repo = visible_repo(ctx, request, namespace, name)
    ctx.store.move_repo(repo, target)
    return json_response({})


def delete_repo(ctx: Context, request: Request) -> Response:
    """`DELETE /api/repos/delete` with `{"name", "organization", "type"}`: the repo and every
    commit, ref and discussion of it; a missing repo is 404 RepoNotFound (`missing_ok` reads it)."""
    user = request.require_user()
    body = request.json_object()
    _model_type(body)
    name, organization = body.get("name"), body.get("organization")
    if not isinstance(name, str) or not isinstance(organization, str | None):
        raise problems.bad_request('"name" must be a string and "organization" a string or null')
    repo = visible_repo(ctx, request, organization or user, name)
    ctx.store.delete_repo(repo)
    return json_response({})
