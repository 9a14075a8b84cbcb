"""`raw` downloads and `paths-info`, as huggingface.js (fileExists, downloadFile with raw,
pathsInfo) and huggingface_hub (get_paths_info) ask for them."""

from __future__ import annotations

import json

import pytest
from huggingface_hub import HfApi
from huggingface_hub.errors import RevisionNotFoundError
from huggingface_hub.hf_api import RepoFile, RepoFolder

from pipeline.localhub import LocalHub
from pipeline.localhub.store import blob_oid
from tests.localhub.localhub_support import CARD, send

REPO = "NbAiLab/nb-llama"


def test_raw_answers_a_files_bytes_with_the_headers_of_resolve(hub: LocalHub) -> None:
    sha = hub.seed(REPO, {"README.md": CARD, "sub/notes.txt": "hei\n"})
    status, headers, body = send(hub, "GET", f"/{REPO}/raw/main/README.md", token=False)
    assert status == 200
    assert body == CARD.encode()
    assert headers["X-Repo-Commit"] == sha
    assert headers["ETag"] == f'"{blob_oid(CARD.encode())}"'
    assert headers["Content-Length"] == str(len(CARD.encode()))
    status, headers, body = send(hub, "HEAD", f"/{REPO}/raw/{sha}/sub/notes.txt")
    assert (status, body) == (200, b"")
    assert headers["Content-Length"] == "4"


def test_raw_of_a_missing_file_is_404_entry_not_found(hub: LocalHub) -> None:
    hub.seed(REPO, {"README.md": CARD})
    status, headers, _ = send(hub, "HEAD", f"/{REPO}/raw/main/missing.txt")
    assert status == 404  # huggingface.js fileExists: false
    assert headers["X-Error-Code"] == "EntryNotFound"
    assert send(hub, "GET", f"/{REPO}/raw/no-such-branch/README.md")[0] == 404


def test_paths_info_through_the_client(api: HfApi, hub: LocalHub) -> None:
    first = hub.seed(REPO, {"README.md": CARD, "sub/a.txt": "a\n"})
    second = hub.seed(REPO, {"sub/b.txt": "b\n"}, message="Add b")
    found = api.get_paths_info(REPO, ["README.md", "sub", "missing.txt"])
    assert [type(item) for item in found] == [RepoFile, RepoFolder]
    readme = found[0]
    assert isinstance(readme, RepoFile)
    assert (readme.path, readme.size, readme.blob_id, readme.lfs) == (
        "README.md",
        len(CARD.encode()),
        blob_oid(CARD.encode()),
        None,
    )
    assert readme.last_commit is None
    expanded = api.get_paths_info(REPO, ["README.md", "sub"], expand=True)
    assert [item.last_commit.oid for item in expanded if item.last_commit] == [first, second]
    with pytest.raises(RevisionNotFoundError):
        api.get_paths_info(REPO, ["README.md"], revision="no-such-branch")


def test_paths_info_takes_the_json_body_of_huggingface_js(hub: LocalHub) -> None:
    hub.seed(REPO, {"README.md": CARD})
    body = json.dumps({"paths": ["README.md", "nope"], "expand": True}).encode()
    status, _, answer = send(
        hub,
        "POST",
        f"/api/models/{REPO}/paths-info/main",
        body,
        {"Content-Type": "application/json"},
    )
    assert status == 200
    [item] = json.loads(answer)
    assert item["type"] == "file" and item["path"] == "README.md"
    assert item["lastCommit"]["title"] == "Seed files"
    assert item["securityFileStatus"]["status"] == "unscanned"
    bad = json.dumps({"paths": "x", "expand": "yes"}).encode()
    headers = {"Content-Type": "application/json"}
    assert send(hub, "POST", f"/api/models/{REPO}/paths-info/main", bad, headers)[0] == 400
