"""The Hub's JSON shapes of models, commits and discussions, and who may see a repo."""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import Any

from pipeline.localhub import cardcheck, derived, problems
from pipeline.localhub.auth import Tokens
from pipeline.localhub.store import Commit, Discussion, FileEntry, Repo, Store
from pipeline.localhub.wire import Request

# The model properties `expand=` may ask for (huggingface_hub's ExpandModelProperty_T). Those the
# local Hub cannot know (downloads, likes, ...) are answered with zeros or left out.
_EXPANDABLE_WORDS = """author baseModels cardData childrenModelCount config createdAt disabled
downloads downloadsAllTime evalResults gated gguf inference inferenceProviderMapping lastModified
library_name likes mask_token model-index pipeline_tag private resourceGroup safetensors sha
siblings spaces tags transformersInfo trendingScore usedStorage widgetData"""
EXPANDABLE = frozenset(_EXPANDABLE_WORDS.split())
# What `GET /api/models` shows per model without expand/full (as the Hub does).
LIST_KEYS = ("likes", "downloads", "private", "tags", "pipeline_tag", "library_name", "createdAt")


@dataclass(frozen=True)
class Context:
    """What every handler may use: the store, the tokens and the page sizes."""

    store: Store
    tokens: Tokens
    page_size: int | None = None  # None: the Hub's sizes (1000 models, 50 commits/discussions)

    def size(self, hub_default: int) -> int:
        return self.page_size or hub_default


def visible_repo(ctx: Context, request: Request, namespace: str, name: str) -> Repo:
    """The repo, or 404 RepoNotFound: also for a private repo without a valid token, as the Hub."""
    repo = ctx.store.get_repo(f"{namespace}/{name}")
    if repo is None or (repo.private and request.user is None):
        raise problems.repo_not_found()
    return repo


def commit_at(ctx: Context, repo: Repo, revision: str) -> str:
    oid = ctx.store.resolve(repo, revision)
    if oid is None:
        raise problems.revision_not_found(revision)
    return oid


def expand_keys(request: Request) -> list[str] | None:
    keys = request.params("expand") + request.params("expand[]")
    if not keys:
        return None
    unknown = sorted(set(keys) - EXPANDABLE)
    if unknown:
        raise problems.bad_request(
            f'"expand" must be among [{", ".join(sorted(EXPANDABLE))}], got {", ".join(unknown)}'
        )
    return keys


# Keys known from the repo row and its head alone: a listing asking only for these (the usual
# `expand=["sha"]`) reads no file and parses no card.
REPO_KEYS = frozenset(
    """_id id modelId author sha lastModified createdAt private gated disabled downloads
    downloadsAllTime likes trendingScore spaces""".split()
)


def repo_json(ctx: Context, repo: Repo, commit_oid: str, *, dated: bool = True) -> dict[str, Any]:
    """The properties of `repo` at `commit_oid` that need no file (lastModified: one lookup)."""
    data: dict[str, Any] = {
        "_id": repo.object_id,
        "id": repo.repo_id,
        "modelId": repo.repo_id,
        "author": repo.namespace,
        "sha": commit_oid,
        "createdAt": repo.created_at,
        "private": repo.private,
        "gated": repo.gated or False,
        "disabled": False,
        "downloads": 0,
        "downloadsAllTime": 0,
        "likes": 0,
        "trendingScore": 0,
        "spaces": [],
    }
    if dated:
        data["lastModified"] = ctx.store.commit_info(commit_oid).created_at
    return data


def _sibling(entry: FileEntry) -> dict[str, Any]:
    """A file of `siblings` with `blobs=true`: an LFS file with its object's sha256 and size."""
    data: dict[str, Any] = {"rfilename": entry.path, "size": entry.size, "blobId": entry.oid}
    if entry.lfs is not None:
        lfs = entry.lfs
        data["lfs"] = {"size": lfs.size, "sha256": lfs.sha256, "pointerSize": lfs.pointer_size}
    return data


def model_json(ctx: Context, repo: Repo, commit_oid: str, *, blobs: bool = False) -> dict[str, Any]:
    """Every property the local Hub knows of `repo` at `commit_oid` (model_info without expand)."""
    files = ctx.store.files(commit_oid)
    readme = next((f for f in files if f.path == "README.md"), None)
    card = cardcheck.card_data(ctx.store.blob(readme.oid)) if readme else None
    siblings = [_sibling(f) if blobs else {"rfilename": f.path} for f in files]
    data = repo_json(ctx, repo, commit_oid)
    data["tags"] = derived.tags(card or {})
    data["siblings"] = siblings
    data["usedStorage"] = sum(f.size for f in files)
    for key in ("pipeline_tag", "library_name"):
        if card and isinstance(card.get(key), str):
            data[key] = card[key]
    if card is not None:
        data["cardData"] = card
    return data


def listed_json(
    ctx: Context, repo: Repo, commit_oid: str, keys: list[str] | tuple[str, ...]
) -> dict[str, Any]:
    """`repo` as the listing shows it with these keys; whole only when a key needs its files."""
    if REPO_KEYS.issuperset(keys):
        return only(repo_json(ctx, repo, commit_oid, dated="lastModified" in keys), keys)
    if REPO_KEYS.union(["siblings"]).issuperset(keys):  # the file names: no card parsed
        data = repo_json(ctx, repo, commit_oid, dated="lastModified" in keys)
        data["siblings"] = [{"rfilename": f.path} for f in ctx.store.files(commit_oid)]
        return only(data, keys)
    return only(model_json(ctx, repo, commit_oid), keys)


def only(data: dict[str, Any], keys: list[str] | tuple[str, ...]) -> dict[str, Any]:
    """With `expand`, the Hub answers `_id`, `id` and the asked-for keys only."""
    picked = {"_id": data["_id"], "id": data["id"]}
    picked.update({key: data[key] for key in keys if key in data})
    return picked


def commit_json(commit: Commit, *, formatted: bool) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": commit.oid,
        "title": commit.title,
        "message": commit.description,
        "authors": [{"user": commit.author}],
        "date": commit.created_at,
    }
    if formatted:
        data["formatted"] = {
            "title": html.escape(commit.title),
            "message": html.escape(commit.description),
        }
    return data


def discussion_json(repo: Repo, discussion: Discussion) -> dict[str, Any]:
    """A discussion as `GET .../discussions` lists it (HfApi.get_repo_discussions)."""
    return {
        "num": discussion.num,
        "title": discussion.title,
        "status": discussion.status,
        "author": {"name": discussion.author, "type": "user"},
        "createdAt": discussion.created_at,
        "isPullRequest": discussion.is_pr,
        "repo": {"name": repo.repo_id, "type": "model"},
        "pinned": False,
        "numComments": 1,
        "topReactions": [],
    }
