"""`POST /api/models/{repo}/paths-info/{rev}`: the files and folders at some paths of a revision.

huggingface_hub's `get_paths_info` sends a form (`paths=a&paths=b&expand=False`),
huggingface.js's `pathsInfo` a JSON object (`{"paths": [...], "expand": true}`). The answer is a
list in the tree's shape (`type`, `oid`, `size`, `path`, and `lfs` for an LFS file); a path that
does not exist is left out, as on the Hub. With `expand`, each entry also has its `lastCommit`
(`id`, `title`, `date`) and a file its `securityFileStatus` (the local Hub scans nothing).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl

from pipeline.localhub import problems
from pipeline.localhub.api_files import checked_path, file_json, folder_json
from pipeline.localhub.views import Context, commit_at, visible_repo
from pipeline.localhub.wire import Request, Response, json_response

MAX_PATHS = 1000
_UNSCANNED = {"status": "unscanned", "avScan": None, "pickleImportScan": None}


def _asked(request: Request) -> tuple[list[str], bool]:
    """The `paths` and `expand` of a form or JSON body."""
    content_type = request.headers.get("content-type", "")
    if "json" in content_type:
        body = request.json_object()
        paths, expand = body.get("paths"), body.get("expand")
        if isinstance(paths, str):
            paths = [paths]
        if not isinstance(paths, list) or not all(isinstance(p, str) for p in paths):
            raise problems.bad_request('"paths" must be a list of strings')
        if expand is not None and not isinstance(expand, bool):
            raise problems.bad_request('"expand" must be true or false')
        return list(paths), bool(expand)
    try:
        form = parse_qsl(request.body.decode("utf-8"), keep_blank_values=True, strict_parsing=False)
    except UnicodeDecodeError:
        raise problems.bad_request("The form body is not UTF-8") from None
    paths = [value for key, value in form if key in ("paths", "paths[]")]
    expand = [value for key, value in form if key == "expand"]
    return paths, bool(expand) and expand[-1].lower() in ("1", "true")


def paths_info(
    ctx: Context, request: Request, namespace: str, name: str, revision: str
) -> Response:
    repo = visible_repo(ctx, request, namespace, name)
    oid = commit_at(ctx, repo, revision)
    paths, expand = _asked(request)
    if len(paths) > MAX_PATHS:
        raise problems.bad_request(f"At most {MAX_PATHS} paths per request")
    files = {entry.path: entry for entry in ctx.store.files(oid)}
    folders = {path[:i] for path in files for i, ch in enumerate(path) if ch == "/"}
    answers: list[dict[str, Any]] = []
    for path in dict.fromkeys(paths):  # each once, in the order asked
        path = checked_path(path.strip("/"))
        if path in files:
            item = file_json(files[path])
            if expand:
                item["securityFileStatus"] = dict(_UNSCANNED)
        elif path in folders:
            item = folder_json(oid, path)
        else:
            continue
        if expand:
            commit = ctx.store.last_change(oid, path)
            item["lastCommit"] = {
                "id": commit.oid,
                "title": commit.title,
                "date": commit.created_at,
            }
        answers.append(item)
    return json_response(answers)
