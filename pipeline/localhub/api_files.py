"""File endpoints: resolve and raw (download), tree, preupload and the NDJSON commit."""

from __future__ import annotations

import base64
import binascii
import hashlib
import mimetypes
import re
from typing import Any

from pipeline.localhub import cardcheck, problems
from pipeline.localhub.gitattributes import LfsRules
from pipeline.localhub.lfs import SHA256
from pipeline.localhub.store import FileEntry, LfsInfo, Op
from pipeline.localhub.views import Context, commit_at, visible_repo
from pipeline.localhub.wire import Request, Response, json_response, load_json, paginate

MAX_PATH = 1000
# The Hub sends a file over 10 MB to LFS whatever its name (hub-docs: "files larger than 10MB").
LFS_MIN_SIZE = 10 * 1024 * 1024
_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


def path_problem(path: str) -> str | None:
    """Why the Hub would refuse `path` as a file path in a repo, or None."""
    if not path:
        return "the file path is empty"
    if len(path) > MAX_PATH:
        return f"the file path is longer than {MAX_PATH} characters"
    if any(ord(ch) < 32 or ch == "\x7f" for ch in path):
        return f"the file path {path!r} contains control characters"
    parts = path.split("/")
    if any(part in ("", ".", "..") for part in parts):
        return f"the file path {path!r} has an empty, '.' or '..' segment"
    if parts[0] == ".git":
        return f"the file path {path!r} is inside .git"
    return None


def checked_path(path: object) -> str:
    if not isinstance(path, str):
        raise problems.bad_request('"path" must be a string')
    problem = path_problem(path)
    if problem:
        raise problems.bad_request(problem)
    return path


def resolve(
    ctx: Context, request: Request, namespace: str, name: str, revision: str, *segments: str
) -> Response:
    """GET or HEAD a file: X-Repo-Commit and the blob's ETag are what hf_hub_download needs; an
    LFS file's bytes come with the Hub's X-Linked-Etag (its sha256) and X-Linked-Size."""
    oid, entry = _found_file(ctx, request, namespace, name, revision, segments)
    if entry.lfs is None:
        return _file_response(request, oid, entry.oid, ctx.store.blob(entry.oid), entry.path)
    lfs = entry.lfs
    # Never X-Xet-* headers: with them the client leaves plain HTTP for a CAS server.
    headers = {
        "X-Repo-Commit": oid,
        "ETag": f'"{lfs.sha256}"',
        "X-Linked-Etag": f'"{lfs.sha256}"',
        "X-Linked-Size": str(lfs.size),
        "Accept-Ranges": "bytes",
    }
    response = Response(200, b"", _content_type(entry.path), headers)
    response.head_only = request.method == "HEAD"
    start, length = _span(request, response, lfs.size)
    response.stream_length = length
    response.stream = ctx.store.lfs.read(lfs.sha256, start, length)
    return response


def raw(
    ctx: Context, request: Request, namespace: str, name: str, revision: str, *segments: str
) -> Response:
    """GET or HEAD a file as git holds it: an LFS file's pointer, any other file's bytes
    (huggingface.js fileExists and downloadFile with `raw`)."""
    oid, entry = _found_file(ctx, request, namespace, name, revision, segments)
    return _file_response(request, oid, entry.oid, ctx.store.blob(entry.oid), entry.path)


def _found_file(
    ctx: Context,
    request: Request,
    namespace: str,
    name: str,
    revision: str,
    segments: tuple[str, ...],
) -> tuple[str, FileEntry]:
    repo = visible_repo(ctx, request, namespace, name)
    path = checked_path("/".join(segments))
    oid = commit_at(ctx, repo, revision)
    entry = ctx.store.file(oid, path)
    if entry is None:
        raise problems.entry_not_found(path, oid)
    return oid, entry


def _content_type(path: str) -> str:
    guessed = mimetypes.guess_type(path)[0] or "application/octet-stream"
    if guessed.startswith("text/") or path.endswith(".md"):
        guessed = "text/plain; charset=utf-8"
    return guessed


def _file_response(request: Request, commit: str, blob: str, data: bytes, path: str) -> Response:
    # Never X-Xet-* headers: with them the client leaves plain HTTP for a CAS server.
    headers = {"X-Repo-Commit": commit, "ETag": f'"{blob}"', "Accept-Ranges": "bytes"}
    response = Response(200, data, _content_type(path), headers, head_only=request.method == "HEAD")
    start, length = _span(request, response, len(data))
    response.body = data[start : start + length]
    return response


def _span(request: Request, response: Response, size: int) -> tuple[int, int]:
    """(start, length) of the bytes to send for the request's Range; sets a 206 or 416 status
    and Content-Range on `response` when the range is served or refused."""
    wanted = request.headers.get("range")
    match = _RANGE.match(wanted.strip()) if wanted else None
    if not match or match.group(1) == match.group(2) == "":
        # Several ranges or another unit: answering the whole file is allowed (RFC 9110).
        return 0, size
    first, last = match.groups()
    if first == "":
        start, end = max(size - int(last), 0), size - 1
    else:
        start = int(first)
        end = min(int(last), size - 1) if last else size - 1
    if start >= size or start > end:
        response.status = 416
        response.headers["Content-Range"] = f"bytes */{size}"
        return 0, 0
    response.status = 206
    response.headers["Content-Range"] = f"bytes {start}-{end}/{size}"
    return start, end - start + 1


def tree(
    ctx: Context, request: Request, namespace: str, name: str, revision: str, *segments: str
) -> Response:
    """`list_repo_tree`/`list_repo_files`: files (and folders unless recursive) under a path."""
    repo = visible_repo(ctx, request, namespace, name)
    oid = commit_at(ctx, repo, revision)
    base = "/".join(segments)
    if base:
        checked_path(base)
    prefix = f"{base}/" if base else ""
    files = [f for f in ctx.store.files(oid) if f.path.startswith(prefix)]
    if base and not files:
        raise problems.entry_not_found(base, oid)
    recursive = request.flag("recursive")
    items: dict[str, dict[str, Any]] = {}

    def add_folder(folder: str) -> None:
        items.setdefault(folder, folder_json(oid, folder))

    for entry in files:
        folders = entry.path[len(prefix) :].split("/")[:-1]
        if folders and not recursive:
            add_folder(prefix + folders[0])
            continue
        for depth in range(1, len(folders) + 1):
            add_folder(prefix + "/".join(folders[:depth]))
        items[entry.path] = file_json(entry)
    page, link = paginate(request, sorted(items.values(), key=lambda i: i["path"]), ctx.size(1000))
    return json_response(page, headers={"Link": link} if link else None)


def file_json(entry: FileEntry) -> dict[str, Any]:
    """A file as the tree and paths-info list it: an LFS file with its object's sha256 and size."""
    data: dict[str, Any] = {
        "type": "file",
        "oid": entry.oid,
        "size": entry.size,
        "path": entry.path,
    }
    if entry.lfs is not None:
        lfs = entry.lfs
        data["lfs"] = {"oid": lfs.sha256, "size": lfs.size, "pointerSize": lfs.pointer_size}
    return data


def folder_json(commit: str, folder: str) -> dict[str, Any]:
    folder_oid = hashlib.sha1(f"tree\0{commit}\0{folder}".encode()).hexdigest()
    return {"type": "directory", "oid": folder_oid, "path": folder}


def preupload(ctx: Context, request: Request, namespace: str, name: str, revision: str) -> Response:
    """ "lfs" for a file the repo's .gitattributes sends to LFS or one over 10 MB, as the Hub
    does, else "regular" (inline base64); `oid` of the existing file (its sha256 for an LFS file)
    lets the client skip files that did not change (and, when none did, skip the commit)."""
    request.require_user()
    repo = visible_repo(ctx, request, namespace, name)
    body = request.json_object()
    files = body.get("files")
    if not isinstance(files, list) or not all(isinstance(f, dict) for f in files):
        raise problems.bad_request('"files" must be a list of objects')
    oid = commit_at(ctx, repo, revision)
    rules = _lfs_rules(ctx, oid, body.get("gitAttributes"))
    answers = []
    for item in files:
        path = checked_path(item.get("path"))
        size = item.get("size")
        big = type(size) is int and size > LFS_MIN_SIZE
        mode = "lfs" if big or rules.lfs(path) else "regular"
        answer: dict[str, Any] = {"path": path, "uploadMode": mode, "shouldIgnore": False}
        entry = ctx.store.file(oid, path)
        if entry is not None:
            answer["oid"] = entry.lfs.sha256 if entry.lfs else entry.oid
        answers.append(answer)
    return json_response({"files": answers, "commitOid": oid})


def _lfs_rules(ctx: Context, commit: str, sent: object) -> LfsRules:
    """The .gitattributes the commit will have: the one sent along with it (huggingface.js sends
    a new one's text as `gitAttributes`), else the revision's."""
    if isinstance(sent, str):
        return LfsRules(sent)
    entry = ctx.store.file(commit, ".gitattributes")
    if entry is None or entry.lfs is not None:
        return LfsRules("")
    return LfsRules(ctx.store.blob(entry.oid).decode("utf-8", errors="replace"))


def commit(ctx: Context, request: Request, namespace: str, name: str, revision: str) -> Response:
    user = request.require_user()
    repo = visible_repo(ctx, request, namespace, name)
    header, ops = parse_ndjson(request.body)
    summary = header.get("summary")
    description = header.get("description") or ""
    parent = header.get("parentCommit")
    if not isinstance(summary, str) or not summary.strip():
        raise problems.bad_request('The commit header needs a non-empty "summary"')
    if not isinstance(description, str) or not isinstance(parent, str | None):
        raise problems.bad_request('"description" and "parentCommit" must be strings')
    _check_card(ops)
    outcome = ctx.store.commit(
        repo,
        revision,
        ops,
        title=summary.strip(),
        description=description,
        author=user,
        parent=parent,
        create_pr=request.flag("create_pr"),
    )
    base = f"{request.base_url}/{repo.repo_id}"
    pr_url = f"{base}/discussions/{outcome.pr_num}" if outcome.pr_num else None
    return json_response(
        {
            "success": True,
            "commitOid": outcome.oid,
            "commitUrl": f"{base}/commit/{outcome.oid}",
            "hookOutput": "",
            "pullRequestUrl": pr_url,
        }
    )


def _check_card(ops: list[Op]) -> None:
    """The Hub refuses a commit whose README.md metadata its validate-yaml refuses (a push hook);
    the client calls validate-yaml first only to fail sooner."""
    for op in ops:
        if op.kind == "put" and op.path == "README.md":
            errors, _ = cardcheck.validate(op.content.decode("utf-8", errors="replace"))
            if errors:
                raise problems.HubProblem(400, "\n- ".join([cardcheck.INVALID_METADATA, *errors]))


def parse_ndjson(body: bytes) -> tuple[dict[str, Any], list[Op]]:
    """The commit body: one header line, then file/deletedFile/deletedFolder lines."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise problems.bad_request("The commit body is not UTF-8 NDJSON") from None
    header: dict[str, Any] | None = None
    ops: list[Op] = []
    for number, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        item = load_json(line, f"Line {number} of the commit")
        if not isinstance(item, dict) or not isinstance(item.get("value"), dict):
            raise problems.bad_request(f'Line {number} must be {{"key": ..., "value": {{...}}}}')
        key, value = item.get("key"), item["value"]
        if key == "header":
            if header is not None:
                raise problems.bad_request(f"Line {number}: a second header line")
            header = value
        elif key == "file":
            ops.append(Op("put", checked_path(value.get("path")), _content(value, number)))
        elif key == "deletedFile":
            ops.append(Op("delete", checked_path(value.get("path"))))
        elif key == "deletedFolder":
            ops.append(Op("delete_folder", checked_path(str(value.get("path", "")).rstrip("/"))))
        elif key == "lfsFile":
            lfs = _lfs_line(value, number)
            ops.append(Op("put", checked_path(value.get("path")), lfs.pointer, lfs))
        elif key == "copyFile":
            raise problems.bad_request(f"Line {number}: copyFile is not supported by the local Hub")
        else:
            raise problems.bad_request(f"Line {number}: unknown line kind {key!r}")
    if header is None:
        raise problems.bad_request("The commit has no header line")
    return header, ops


def _lfs_line(value: dict[str, Any], number: int) -> LfsInfo:
    """An `lfsFile` line's object: {path, algo: "sha256", oid, size}."""
    oid, size, algo = value.get("oid"), value.get("size"), value.get("algo", "sha256")
    if algo != "sha256":
        raise problems.bad_request(f'Line {number}: unknown LFS "algo" {algo!r} (only sha256)')
    if not isinstance(oid, str) or not SHA256.match(oid):
        raise problems.bad_request(f'Line {number}: "oid" must be 64 lower-case hex digits')
    if type(size) is not int or size < 0:
        raise problems.bad_request(f'Line {number}: "size" must be a non-negative integer')
    return LfsInfo(oid, size)


def _content(value: dict[str, Any], number: int) -> bytes:
    content, encoding = value.get("content"), value.get("encoding", "utf-8")
    if not isinstance(content, str):
        raise problems.bad_request(f'Line {number}: "content" must be a string')
    if encoding == "base64":
        try:
            return base64.b64decode(content, validate=True)
        except (binascii.Error, ValueError):
            raise problems.bad_request(f"Line {number}: content is not valid base64") from None
    if encoding in ("utf-8", "utf8"):
        return content.encode("utf-8")
    raise problems.bad_request(f"Line {number}: unknown encoding {encoding!r}")
