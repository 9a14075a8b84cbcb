"""Which handler answers which path: the Hub's model-repo routes, by path segments.

The path is split on "/" before each segment is unquoted: the client quotes a revision with
`safe=''`, so `refs/pr/1` arrives as one segment `refs%2Fpr%2F1` (docs/hub-http-api.md §1).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from pipeline.localhub import (
    api_admin,
    api_collections,
    api_discussions,
    api_files,
    api_lfs,
    api_paths,
    api_refs,
    api_repos,
    api_tags,
)
from pipeline.localhub.views import Context
from pipeline.localhub.wire import Request, Response

Handler = Callable[..., Response]  # (ctx, request, *captured segments) -> Response

ONE, REST = "*", "**"  # one segment; one or more segments (a file path)

# (segments pattern, {method: (route name, handler)}); first match wins.
_TABLE: list[tuple[tuple[str, ...], dict[str, tuple[str, Handler]]]] = [
    (("api", "whoami-v2"), {"GET": ("whoami", api_repos.whoami)}),
    (("api", "models"), {"GET": ("list_models", api_repos.list_models)}),
    (("api", "repos", "create"), {"POST": ("create_repo", api_repos.create_repo)}),
    (("api", "validate-yaml"), {"POST": ("validate_yaml", api_repos.validate_yaml)}),
    (("api", "models-tags-by-type"), {"GET": ("tags_by_type", api_tags.tags_by_type)}),
    (("api", "models", ONE, ONE), {"GET": ("model_info", api_repos.model_info)}),
    (("api", "models", ONE, ONE, "revision", ONE), {"GET": ("model_info", api_repos.model_info)}),
    (("api", "models", ONE, ONE, "preupload", ONE), {"POST": ("preupload", api_files.preupload)}),
    (("api", "models", ONE, ONE, "commit", ONE), {"POST": ("commit", api_files.commit)}),
    (
        ("api", "models", ONE, ONE, "commits", ONE),
        {"GET": ("list_commits", api_repos.list_commits)},
    ),
    # -- refs and repo administration (api_refs, api_admin) --
    (("api", "models", ONE, ONE, "refs"), {"GET": ("list_refs", api_refs.list_refs)}),
    (
        ("api", "models", ONE, ONE, "branch", ONE),
        {
            "POST": ("create_branch", api_refs.create_branch),
            "DELETE": ("delete_branch", api_refs.delete_branch),
        },
    ),
    (
        ("api", "models", ONE, ONE, "tag", ONE),
        {
            "POST": ("create_tag", api_refs.create_tag),
            "DELETE": ("delete_tag", api_refs.delete_tag),
        },
    ),
    (
        ("api", "models", ONE, ONE, "settings"),
        {"PUT": ("repo_settings", api_admin.update_settings)},
    ),
    (("api", "repos", "move"), {"POST": ("move_repo", api_admin.move_repo)}),
    (("api", "repos", "delete"), {"DELETE": ("delete_repo", api_admin.delete_repo)}),
    # -- end of refs and repo administration --
    (("api", "models", ONE, ONE, "tree", ONE), {"GET": ("tree", api_files.tree)}),
    (("api", "models", ONE, ONE, "tree", ONE, REST), {"GET": ("tree", api_files.tree)}),
    (
        ("api", "models", ONE, ONE, "discussions"),
        {
            "GET": ("list_discussions", api_discussions.list_all),
            "POST": ("create_discussion", api_discussions.create),
        },
    ),
    (
        ("api", "models", ONE, ONE, "discussions", ONE),
        {"GET": ("discussion", api_discussions.details)},
    ),
    (
        ("api", "models", ONE, ONE, "discussions", ONE, "comment"),
        {"POST": ("comment_discussion", api_discussions.comment)},
    ),
    (
        ("api", "models", ONE, ONE, "discussions", ONE, "title"),
        {"POST": ("rename_discussion", api_discussions.title)},
    ),
    (
        ("api", "models", ONE, ONE, "discussions", ONE, "status"),
        {"POST": ("discussion_status", api_discussions.status)},
    ),
    (
        ("api", "models", ONE, ONE, "discussions", ONE, "merge"),
        {"POST": ("merge_pull_request", api_discussions.merge)},
    ),
    ((ONE, ONE, "resolve", ONE, REST), {"GET": ("resolve", api_files.resolve)}),
    # -- collections (api_collections)
    (
        ("api", "collections"),
        {
            "GET": ("list_collections", api_collections.list_all),
            "POST": ("create_collection", api_collections.create),
        },
    ),
    (
        ("api", "collections", ONE, ONE),
        {
            "GET": ("get_collection", api_collections.get),
            "PATCH": ("update_collection_metadata", api_collections.update_metadata),
            "DELETE": ("delete_collection", api_collections.delete),
        },
    ),
    (
        ("api", "collections", ONE, ONE, "items"),
        {"POST": ("add_collection_item", api_collections.add_item)},
    ),
    (
        ("api", "collections", ONE, ONE, "items", ONE),
        {
            "PATCH": ("update_collection_item", api_collections.update_item),
            "DELETE": ("delete_collection_item", api_collections.delete_item),
        },
    ),
    # -- files beyond resolve: raw, paths-info, and LFS (batch API, signed upload/download links)
    ((ONE, ONE, "raw", ONE, REST), {"GET": ("raw", api_files.raw)}),
    (
        ("api", "models", ONE, ONE, "paths-info", ONE),
        {"POST": ("paths_info", api_paths.paths_info)},
    ),
    ((ONE, ONE, "info", "lfs", "objects", "batch"), {"POST": ("lfs_batch", api_lfs.batch)}),
    (
        (ONE, ONE, "info", "lfs", "objects", ONE, ONE),
        {"PUT": ("lfs_upload", api_lfs.upload), "GET": ("lfs_download", api_lfs.download)},
    ),
]


@dataclass(frozen=True)
class Match:
    route: str  # for counters and FaultConfig.route
    handler: Handler | None  # None: the path exists but not for this method (405)
    args: tuple[str, ...]
    allowed: tuple[str, ...] = ()


def _captures(pattern: tuple[str, ...], segments: tuple[str, ...]) -> tuple[str, ...] | None:
    if pattern and pattern[-1] == REST:
        if len(segments) < len(pattern):
            return None
    elif len(segments) != len(pattern):
        return None
    args: list[str] = []
    for i, part in enumerate(pattern):
        if part == REST:
            args.extend(segments[i:])
            return tuple(args)
        if part == ONE:
            args.append(segments[i])
        elif part != segments[i]:
            return None
    return tuple(args)


def match(method: str, segments: tuple[str, ...]) -> Match:
    # HEAD is GET without a body everywhere, as in HTTP; `resolve` is the route that needs it.
    lookup = "GET" if method == "HEAD" else method
    for pattern, methods in _TABLE:
        args = _captures(pattern, segments)
        if args is None:
            continue
        if lookup in methods:
            route, handler = methods[lookup]
            return Match(route, handler, args)
        allowed = tuple(methods) + (("HEAD",) if "GET" in methods else ())
        return Match(next(iter(methods.values()))[0], None, args, allowed)
    return Match("unknown", None, ())


def call(handler: Handler, ctx: Context, request: Request, args: tuple[str, ...]) -> Response:
    return handler(ctx, request, *args)
