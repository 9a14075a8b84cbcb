"""huggingface.js (@huggingface/hub, pinned in js/package-lock.json) against the local Hub.

Every call below runs in one node process, in order (js/run.mjs), before the first test; each
test asserts on the results of its own calls, which touch repos of their own. The pinned version
exports no call for tags, repo settings, moving a repo or discussions: the hf CLI's tests cover
those.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
from huggingface_hub import HfApi

from pipeline.localhub import LocalHub
from tests.contract.contract_support import (
    USER,
    JsOp,
    big_bytes,
    error_status,
    run_js,
    sha256,
    value,
)

READ = f"{USER}/js-read"  # seeded before the calls: two commits on main
WRITE = f"{USER}/js-write"  # created and written by the calls
BRANCHES = f"{USER}/js-branches"
DOOMED = f"{USER}/js-doomed"
PRIVATE = f"{USER}/js-private"
CARD = "---\nlicense: mit\n---\n# Read me\n"
CONFIG_V1, CONFIG_V2 = '{"v": 1}', '{"v": 2}'
GGUF_SIZE = 11 * 1024 * 1024  # over the 10 MB the Hub takes inline: LFS


def _ops(gguf: Path, first: str, cache: Path) -> list[JsOp]:
    def text(content: str) -> dict[str, str]:
        return {"$text": content}

    return [
        JsOp("whoami", "whoAmI", {}),
        JsOp("whoami_anonymous", "whoAmI", {}, anonymous=True),
        JsOp("model_info", "modelInfo", {"name": READ, "additionalFields": ["sha"]}),
        JsOp(
            "model_info_at_first",
            "modelInfo",
            {"name": READ, "revision": first, "additionalFields": ["sha"]},
        ),
        JsOp("model_info_missing", "modelInfo", {"name": f"{USER}/js-nothing"}),
        JsOp("list_by_search", "listModels", {"search": {"query": "js-read"}}),
        JsOp("list_by_author", "listModels", {"search": {"owner": "someone-else"}}),
        JsOp("list_limited", "listModels", {"search": {"owner": USER}, "limit": 1}),
        JsOp("list_files", "listFiles", {"repo": READ, "recursive": True}),
        JsOp("list_files_top", "listFiles", {"repo": READ}),
        JsOp("exists_true", "fileExists", {"repo": READ, "path": "sub/notes.txt"}),
        JsOp("exists_false", "fileExists", {"repo": READ, "path": "missing.txt"}),
        JsOp("exists_at_first", "fileExists", {"repo": READ, "path": "new.txt", "revision": first}),
        JsOp("download", "downloadFile", {"repo": READ, "path": "config.json"}),
        JsOp(
            "download_at_first",
            "downloadFile",
            {"repo": READ, "path": "config.json", "revision": first},
        ),
        JsOp("download_missing", "downloadFile", {"repo": READ, "path": "missing.txt"}),
        JsOp("download_info", "fileDownloadInfo", {"repo": READ, "path": "config.json"}),
        JsOp("paths_info", "pathsInfo", {"repo": READ, "paths": ["config.json", "sub"]}),
        JsOp(
            "paths_info_expanded",
            "pathsInfo",
            {"repo": READ, "paths": ["config.json"], "expand": True},
        ),
        JsOp("snapshot", "snapshotDownload", {"repo": READ, "cacheDir": str(cache)}),
        JsOp("count_commits", "countCommits", {"repo": READ}),
        JsOp("list_commits", "listCommits", {"repo": READ, "batchSize": 1}),
        JsOp("repo_exists", "repoExists", {"repo": READ}),
        JsOp("repo_exists_not", "repoExists", {"repo": f"{USER}/js-nothing"}),
        JsOp("check_access", "checkRepoAccess", {"repo": READ}),
        # Writes.
        JsOp("create", "createRepo", {"repo": WRITE}),
        JsOp("create_again", "createRepo", {"repo": WRITE}),
        JsOp(
            "upload_file",
            "uploadFile",
            {"repo": WRITE, "file": {"path": "hello.txt", "content": text("hi")}},
        ),
        JsOp(
            "upload_files",
            "uploadFiles",
            {
                "repo": WRITE,
                "files": [
                    {"path": "a.txt", "content": text("a")},
                    {"path": "dir/b.txt", "content": text("b")},
                ],
                "commitTitle": "Add a and b",
            },
        ),
        JsOp(
            "commit",
            "commit",
            {
                "repo": WRITE,
                "title": "Swap a for c",
                "operations": [
                    {"operation": "delete", "path": "a.txt"},
                    {"operation": "addOrUpdate", "path": "c.txt", "content": text("c")},
                ],
            },
        ),
        JsOp("delete_file", "deleteFile", {"repo": WRITE, "path": "hello.txt"}),
        JsOp("files_after_commits", "listFiles", {"repo": WRITE, "recursive": True}),
        JsOp("commits_after", "listCommits", {"repo": WRITE}),
        JsOp(
            "upload_gguf",
            "uploadFile",
            {"repo": WRITE, "file": {"path": "model.gguf", "content": {"$file": str(gguf)}}},
        ),
        JsOp("download_gguf", "downloadFile", {"repo": WRITE, "path": "model.gguf"}),
        JsOp("paths_info_gguf", "pathsInfo", {"repo": WRITE, "paths": ["model.gguf"]}),
        JsOp(
            "upload_safetensors",
            "uploadFile",
            {"repo": WRITE, "file": {"path": "tiny.safetensors", "content": text("x" * 100)}},
        ),
        JsOp("paths_info_safetensors", "pathsInfo", {"repo": WRITE, "paths": ["tiny.safetensors"]}),
        JsOp(
            "upload_pr",
            "uploadFile",
            {
                "repo": WRITE,
                "file": {"path": "pr.txt", "content": text("pr")},
                "isPullRequest": True,
            },
        ),
        JsOp("pr_not_on_main", "fileExists", {"repo": WRITE, "path": "pr.txt"}),
        JsOp(
            "pr_on_its_ref",
            "fileExists",
            {"repo": WRITE, "path": "pr.txt", "revision": "refs/pr/1"},
        ),
        # Branches.
        JsOp("branches_create_repo", "createRepo", {"repo": BRANCHES}),
        JsOp("branch_create", "createBranch", {"repo": BRANCHES, "branch": "dev"}),
        JsOp(
            "branch_upload",
            "uploadFile",
            {
                "repo": BRANCHES,
                "branch": "dev",
                "file": {"path": "dev.txt", "content": text("dev")},
            },
        ),
        JsOp(
            "branch_has_it", "fileExists", {"repo": BRANCHES, "path": "dev.txt", "revision": "dev"}
        ),
        JsOp("main_has_not", "fileExists", {"repo": BRANCHES, "path": "dev.txt"}),
        JsOp("branch_count", "countCommits", {"repo": BRANCHES, "revision": "dev"}),
        JsOp(
            "branch_create_empty",
            "createBranch",
            {"repo": BRANCHES, "branch": "empty", "empty": True},
        ),
        JsOp("branch_empty_files", "listFiles", {"repo": BRANCHES, "revision": "empty"}),
        JsOp("branch_delete", "deleteBranch", {"repo": BRANCHES, "branch": "dev"}),
        JsOp("branch_gone", "modelInfo", {"name": BRANCHES, "revision": "dev"}),
        # Private repos and deletion.
        JsOp("create_private", "createRepo", {"repo": PRIVATE, "private": True}),
        JsOp("private_info", "modelInfo", {"name": PRIVATE}),
        JsOp("private_info_anonymous", "modelInfo", {"name": PRIVATE}, anonymous=True),
        JsOp("create_doomed", "createRepo", {"repo": DOOMED}),
        JsOp("delete_repo", "deleteRepo", {"repo": DOOMED}),
        JsOp("doomed_exists", "repoExists", {"repo": DOOMED}),
    ]


@pytest.fixture(scope="module")
def js(node: str, hub: LocalHub, tmp_path_factory: pytest.TempPathFactory) -> Mapping[str, Any]:
    folder = tmp_path_factory.mktemp("js")
    gguf = folder / "model.gguf"
    gguf.write_bytes(big_bytes(GGUF_SIZE, seed=7))
    first = hub.seed(READ, {"README.md": CARD, "config.json": CONFIG_V1, "sub/notes.txt": "n"})
    hub.seed(READ, {"config.json": CONFIG_V2, "new.txt": "new"}, message="Second")
    hub.seed("someone-else/js-other", {"README.md": CARD})
    return {"first": first, "cache": folder / "cache"} | run_js(
        node, hub, _ops(gguf, first, folder / "cache")
    )


def _head(hub: LocalHub, repo_id: str) -> str:
    sha = HfApi(endpoint=hub.url, token=hub.token).model_info(repo_id).sha
    assert sha is not None
    return sha


def test_who_am_i(js: Mapping[str, Any]) -> None:
    me = value(js, "whoami")
    assert me["name"] == USER
    assert me["type"] == "user"
    assert me["auth"]["type"] == "access_token"
    assert error_status(js, "whoami_anonymous") == 401


def test_model_info(js: Mapping[str, Any], hub: LocalHub) -> None:
    info = value(js, "model_info")
    assert info["name"] == READ
    assert info["private"] is False
    assert info["sha"] == _head(hub, READ)
    assert error_status(js, "model_info_missing") in (401, 404)


def test_model_info_at_a_revision(js: Mapping[str, Any]) -> None:
    assert value(js, "model_info_at_first")["sha"] == js["first"]


def test_list_models_by_search_author_and_limit(js: Mapping[str, Any]) -> None:
    assert [m["name"] for m in value(js, "list_by_search")] == [READ]
    assert [m["name"] for m in value(js, "list_by_author")] == ["someone-else/js-other"]
    assert len(value(js, "list_limited")) == 1


def test_list_files(js: Mapping[str, Any]) -> None:
    recursive = {f["path"]: f for f in value(js, "list_files")}
    assert {"README.md", "config.json", "new.txt", "sub/notes.txt"} <= set(recursive)
    assert recursive["config.json"]["type"] == "file"
    assert recursive["config.json"]["size"] == len(CONFIG_V2)
    top = {f["path"]: f["type"] for f in value(js, "list_files_top")}
    assert top["sub"] == "directory"
    assert "sub/notes.txt" not in top


def test_file_exists(js: Mapping[str, Any]) -> None:
    assert value(js, "exists_true") is True
    assert value(js, "exists_false") is False
    assert value(js, "exists_at_first") is False


def test_download_file(js: Mapping[str, Any]) -> None:
    assert value(js, "download")["text"] == CONFIG_V2
    assert value(js, "download_at_first")["text"] == CONFIG_V1
    assert value(js, "download_missing") is None
    info = value(js, "download_info")
    assert info["size"] == len(CONFIG_V2)
    assert info["etag"]


def test_paths_info(js: Mapping[str, Any]) -> None:
    found = {p["path"]: p for p in value(js, "paths_info")}
    assert found["config.json"]["type"] == "file"
    assert found["config.json"]["size"] == len(CONFIG_V2)
    assert found["sub"]["type"] == "directory"
    [expanded] = value(js, "paths_info_expanded")
    assert expanded["lastCommit"]["title"] == "Second"


def test_snapshot_download(js: Mapping[str, Any]) -> None:
    folder = Path(value(js, "snapshot"))
    assert folder.is_relative_to(js["cache"])
    assert (folder / "config.json").read_text(encoding="utf-8") == CONFIG_V2
    assert (folder / "sub" / "notes.txt").read_text(encoding="utf-8") == "n"


def test_count_and_list_commits(js: Mapping[str, Any], hub: LocalHub) -> None:
    commits = value(js, "list_commits")
    assert value(js, "count_commits") == len(commits)
    assert [c["title"] for c in commits[:2]] == ["Second", "Seed files"]
    assert commits[0]["oid"] == _head(hub, READ)
    assert commits[1]["oid"] == js["first"]


def test_repo_exists_and_access(js: Mapping[str, Any]) -> None:
    assert value(js, "repo_exists") is True
    assert value(js, "repo_exists_not") is False
    assert value(js, "check_access") is None


def test_create_repo(js: Mapping[str, Any]) -> None:
    created = value(js, "create")
    assert created["repoUrl"].endswith(f"/{WRITE}")
    assert error_status(js, "create_again") == 409


def test_upload_files_and_commit(js: Mapping[str, Any]) -> None:
    for name in ("upload_file", "upload_files", "commit", "delete_file"):
        assert len(value(js, name)["commit"]["oid"]) == 40, name
    files = {f["path"] for f in value(js, "files_after_commits") if f["type"] == "file"}
    assert {"c.txt", "dir/b.txt"} <= files
    assert not {"a.txt", "hello.txt"} & files
    titles = [c["title"] for c in value(js, "commits_after")]
    assert titles[:3] == ["Delete hello.txt", "Swap a for c", "Add a and b"]


def test_upload_a_gguf_over_10_mb_through_lfs(js: Mapping[str, Any]) -> None:
    assert len(value(js, "upload_gguf")["commit"]["oid"]) == 40
    expected = sha256(big_bytes(GGUF_SIZE, seed=7))
    downloaded = value(js, "download_gguf")
    assert (downloaded["size"], downloaded["sha256"]) == (GGUF_SIZE, expected)
    [info] = value(js, "paths_info_gguf")
    assert info["lfs"]["oid"] == expected
    assert info["size"] == GGUF_SIZE


def test_a_small_safetensors_goes_through_lfs_by_gitattributes(js: Mapping[str, Any]) -> None:
    assert len(value(js, "upload_safetensors")["commit"]["oid"]) == 40
    [info] = value(js, "paths_info_safetensors")
    assert info["lfs"]["oid"] == sha256(b"x" * 100)


def test_upload_as_a_pull_request(js: Mapping[str, Any]) -> None:
    result = value(js, "upload_pr")
    assert result["pullRequestUrl"].endswith(f"/{WRITE}/discussions/1")
    assert value(js, "pr_not_on_main") is False
    assert value(js, "pr_on_its_ref") is True


def test_create_and_delete_a_branch(js: Mapping[str, Any]) -> None:
    assert value(js, "branch_create") is None
    assert len(value(js, "branch_upload")["commit"]["oid"]) == 40
    assert value(js, "branch_has_it") is True
    assert value(js, "main_has_not") is False
    assert value(js, "branch_count") == 2  # the repo's first commit and the upload
    assert value(js, "branch_delete") is None
    assert error_status(js, "branch_gone") == 404


def test_create_an_empty_branch(js: Mapping[str, Any]) -> None:
    assert value(js, "branch_create_empty") is None
    assert value(js, "branch_empty_files") == []


def test_private_repo(js: Mapping[str, Any]) -> None:
    value(js, "create_private")
    assert value(js, "private_info")["private"] is True
    assert error_status(js, "private_info_anonymous") in (401, 404)


def test_delete_repo(js: Mapping[str, Any]) -> None:
    value(js, "create_doomed")
    assert value(js, "delete_repo") is None
    assert value(js, "doomed_exists") is False
