"""The Git LFS batch API (`POST /{repo}.git/info/lfs/objects/batch`) and the links it hands out.

The client asks the batch API where to send, or fetch, each object (git-lfs docs/api/batch.md):
huggingface_hub's `post_lfs_batch_info` for `"lfs"` files of a preupload, huggingface.js's
commit. The Hub answers with pre-signed storage URLs, which the client PUTs the bytes to with no
token (huggingface_hub's `_upload_single_part` sends no Authorization), so the local Hub's links
carry their own authority: an HMAC of the method, repo, oid, size and expiry, under a key that
lives as long as the process. No `chunk_size` header is sent, so clients use one basic PUT (no
multipart), and no verify action: the PUT itself checks the size and sha256 before it keeps
anything. An object already stored gets no actions, so the client skips its upload.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from typing import Any

from pipeline.localhub import problems
from pipeline.localhub.lfs import MAX_LFS_OBJECT, SHA256
from pipeline.localhub.problems import HubProblem
from pipeline.localhub.store import Repo
from pipeline.localhub.views import Context, visible_repo
from pipeline.localhub.wire import Request, Response, json_response, whole_number

LINK_LIFETIME_S = 3600
MAX_OBJECTS = 1000  # per batch request (huggingface_hub sends at most 256)
LFS_JSON = "application/vnd.git-lfs+json"


def _repo(ctx: Context, request: Request, namespace: str, name_git: str) -> Repo:
    if not name_git.endswith(".git"):
        raise HubProblem(404, f"Not found: {request.method} {request.raw_path}")
    return visible_repo(ctx, request, namespace, name_git.removesuffix(".git"))


def _signature(ctx: Context, method: str, repo: Repo, oid: str, size: int, expires: int) -> str:
    message = f"{method}\0{repo.pk}\0{oid}\0{size}\0{expires}".encode()
    return hmac.new(ctx.store.link_key, message, hashlib.sha256).hexdigest()


def _link(ctx: Context, request: Request, method: str, repo: Repo, oid: str, size: int) -> str:
    expires = int(time.time()) + LINK_LIFETIME_S
    signature = _signature(ctx, method, repo, oid, size, expires)
    return (
        f"{request.base_url}/{repo.repo_id}.git/info/lfs/objects/{oid}/{size}"
        f"?expires={expires}&signature={signature}"
    )


def _object_problem(oid: object, size: object) -> str | None:
    if not isinstance(oid, str) or not SHA256.match(oid):
        return "The object id must be a sha256: 64 lower-case hex digits"
    if type(size) is not int or size < 0:
        return "The object size must be a non-negative integer"
    if size > MAX_LFS_OBJECT:
        return f"The object is {size} bytes: the largest file the Hub takes is {MAX_LFS_OBJECT}"
    return None


def batch(ctx: Context, request: Request, namespace: str, name_git: str) -> Response:
    """Upload: a signed PUT link per object not stored yet. Download: a signed GET link per
    object a commit of this repo names, else a 404 error for that object."""
    repo = _repo(ctx, request, namespace, name_git)
    body = request.json_object()
    operation = body.get("operation")
    if operation not in ("upload", "download"):
        raise problems.bad_request('"operation" must be "upload" or "download"')
    if operation == "upload":
        request.require_user()
    if body.get("hash_algo", "sha256") not in ("sha256", "sha_256"):  # huggingface.js: sha_256
        raise HubProblem(409, f"Unsupported hash algorithm {body.get('hash_algo')!r}: sha256 only")
    objects = body.get("objects")
    if not isinstance(objects, list) or not all(isinstance(o, dict) for o in objects):
        raise problems.bad_request('"objects" must be a list of {"oid", "size"} objects')
    if len(objects) > MAX_OBJECTS:
        raise HubProblem(422, f"At most {MAX_OBJECTS} objects per batch request")
    answers = [_answer(ctx, request, repo, operation, item) for item in objects]
    response = json_response({"transfer": "basic", "objects": answers, "hash_algo": "sha256"})
    response.content_type = LFS_JSON
    return response


def _answer(
    ctx: Context, request: Request, repo: Repo, operation: str, item: dict[str, Any]
) -> dict[str, Any]:
    oid, size = item.get("oid"), item.get("size")
    answer: dict[str, Any] = {"oid": str(oid), "size": size if type(size) is int else 0}
    problem = _object_problem(oid, size)
    if problem is not None:
        answer["error"] = {"code": 422, "message": problem}
        return answer
    assert isinstance(oid, str) and isinstance(size, int)
    stored = ctx.store.lfs_size(oid) == size
    answer["authenticated"] = True
    if operation == "upload":
        if not stored:
            href = _link(ctx, request, "PUT", repo, oid, size)
            answer["actions"] = {"upload": {"href": href, "expires_in": LINK_LIFETIME_S}}
    elif stored and ctx.store.lfs_in_repo(repo, oid):
        href = _link(ctx, request, "GET", repo, oid, size)
        answer["actions"] = {"download": {"href": href, "expires_in": LINK_LIFETIME_S}}
    else:
        answer["error"] = {"code": 404, "message": "Object does not exist"}
    return answer


def _checked_link(
    ctx: Context, request: Request, namespace: str, name_git: str, oid: str, size_text: str
) -> tuple[str, int]:
    """The link's oid and size, if its signature and expiry hold for this method; else 403."""
    repo = ctx.store.get_repo(f"{namespace}/{name_git.removesuffix('.git')}")
    size = whole_number(size_text)
    expires = whole_number(request.param("expires"))
    signature = request.param("signature") or ""
    method = "GET" if request.method == "HEAD" else request.method
    valid = (
        repo is not None
        and name_git.endswith(".git")
        and SHA256.match(oid) is not None
        and size is not None
        and expires is not None
        and expires >= time.time()
        and hmac.compare_digest(signature, _signature(ctx, method, repo, oid, size, expires))
    )
    if not valid:
        raise HubProblem(403, "This LFS link is invalid or has expired: ask the batch API again")
    assert size is not None
    return oid, size


def upload(
    ctx: Context, request: Request, namespace: str, name_git: str, oid: str, size_text: str
) -> Response:
    """PUT the bytes of an object to the link the batch API gave: streamed to disk, checked."""
    oid, size = _checked_link(ctx, request, namespace, name_git, oid, size_text)
    if request.body_stream is None:  # never: the server streams this route's body
        raise problems.bad_request("The upload has no body")
    ctx.store.put_lfs(oid, size, request.body_stream)
    return Response(200, b"", "text/plain; charset=utf-8", {"ETag": f'"{oid}"'})


def download(
    ctx: Context, request: Request, namespace: str, name_git: str, oid: str, size_text: str
) -> Response:
    """GET the bytes of an object from the link the batch API gave."""
    oid, size = _checked_link(ctx, request, namespace, name_git, oid, size_text)
    if ctx.store.lfs_size(oid) != size:
        raise HubProblem(404, "Object does not exist")
    response = Response(200, b"", "application/octet-stream", {"ETag": f'"{oid}"'})
    response.head_only = request.method == "HEAD"
    response.stream_length = size
    response.stream = ctx.store.lfs.read(oid, 0, size)
    return response
