"""LFS through the unmodified client: preupload's "lfs" (by .gitattributes or size), the batch
API, the PUT of the bytes, the commit's lfsFile line, and downloads with the Hub's headers.

The client uploads "lfs" files with Xet when hf_xet is installed; the local Hub speaks the Git
LFS batch API only, which the client uses with HF_HUB_DISABLE_XET=1.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from huggingface_hub import HfApi, get_hf_file_metadata, hf_hub_download, hf_hub_url
from huggingface_hub.hf_api import RepoFile
from huggingface_hub.utils import get_session

from pipeline.localhub import LocalHub
from pipeline.localhub.gitattributes import LfsRules
from pipeline.localhub.objects import GITATTRIBUTES
from pipeline.localhub.store import blob_oid
from tests.localhub.localhub_support import send

REPO = "NbAiLab/nb-llama-gguf"
MIB = 1024 * 1024


def _preupload(hub: LocalHub, files: list[dict[str, Any]], **extra: Any) -> dict[str, str]:
    body = json.dumps({"files": files, **extra}).encode()
    status, _, answer = send(hub, "POST", f"/api/models/{REPO}/preupload/main", body)
    assert status == 200, answer
    return {item["path"]: item["uploadMode"] for item in json.loads(answer)["files"]}


def _batch(hub: LocalHub, operation: str, oid: str, size: int) -> dict[str, Any]:
    body = json.dumps({"operation": operation, "objects": [{"oid": oid, "size": size}]})
    status, headers, answer = send(
        hub, "POST", f"/{REPO}.git/info/lfs/objects/batch", body.encode()
    )
    assert status == 200, answer
    assert headers["Content-Type"].startswith("application/vnd.git-lfs+json")
    [item] = json.loads(answer)["objects"]
    return dict(item)


def test_a_new_repo_gets_the_hubs_default_gitattributes(api: HfApi, hub: LocalHub) -> None:
    api.create_repo(REPO)
    [entry] = api.get_paths_info(REPO, [".gitattributes"])
    assert isinstance(entry, RepoFile)
    # The blob id of the file every new repo on huggingface.co starts with (1,519 bytes).
    assert entry.blob_id == blob_oid(GITATTRIBUTES) == "a6344aac8c09253b3b630fb776ae94478aa0275b"


def test_preupload_sends_to_lfs_by_gitattributes_or_size(hub: LocalHub) -> None:
    hub.seed(REPO, {})
    modes = _preupload(
        hub,
        [
            {"path": "model.safetensors", "size": 10, "sample": ""},
            {"path": "sub/dir/weights.bin", "size": 10, "sample": ""},
            {"path": "small.gguf", "size": 10, "sample": ""},
            {"path": "big.gguf", "size": 20 * MIB, "sample": ""},
            {"path": "notes.txt", "size": 10 * MIB, "sample": ""},
            {"path": "huge.txt", "size": 10 * MIB + 1, "sample": ""},
        ],
    )
    assert modes == {
        "model.safetensors": "lfs",
        "sub/dir/weights.bin": "lfs",
        "small.gguf": "regular",  # the Hub's default .gitattributes has no *.gguf
        "big.gguf": "lfs",
        "notes.txt": "regular",
        "huge.txt": "lfs",
    }
    hub.seed(
        REPO, {".gitattributes": GITATTRIBUTES + b"*.gguf filter=lfs diff=lfs merge=lfs -text\n"}
    )
    assert _preupload(hub, [{"path": "q/small.gguf", "size": 10}]) == {"q/small.gguf": "lfs"}
    # huggingface.js sends the .gitattributes of the commit along with it.
    sent = _preupload(hub, [{"path": "a.gguf", "size": 1}], gitAttributes="*.txt filter=lfs\n")
    assert sent == {"a.gguf": "regular"}


def test_gitattributes_patterns_match_as_git_matches_them() -> None:
    rules = LfsRules(
        "# comment\n"
        "*.bin filter=lfs diff=lfs merge=lfs -text\n"
        "saved_model/**/* filter=lfs\n"
        "/top.dat filter=lfs\n"
        "keep.bin -filter\n"
        "docs/ filter=lfs\n"
        "*.tar.* filter=lfs\n"
    )
    assert rules.lfs("a/b/c.bin")
    assert not rules.lfs("a/keep.bin")  # a later line wins
    assert rules.lfs("saved_model/1/variables/data")
    assert not rules.lfs("other/saved_model.txt")
    assert rules.lfs("top.dat") and not rules.lfs("sub/top.dat")
    assert not rules.lfs("docs/readme.md")  # a folder pattern never applies to its files
    assert rules.lfs("x.tar.gz") and not rules.lfs("x.tar")


def test_an_11_mib_file_travels_by_lfs_and_downloads_with_the_hubs_headers(
    api: HfApi, hub: LocalHub, tmp_path: Path
) -> None:
    api.create_repo(REPO)
    data = os.urandom(11 * MIB)
    sha256 = hashlib.sha256(data).hexdigest()
    source = tmp_path / "w.gguf"
    source.write_bytes(data)
    info = api.upload_file(path_or_fileobj=source, path_in_repo="w.gguf", repo_id=REPO)
    meta = get_hf_file_metadata(hf_hub_url(REPO, "w.gguf", endpoint=hub.url))
    assert (meta.commit_hash, meta.etag, meta.size) == (info.oid, sha256, len(data))
    path = hf_hub_download(REPO, "w.gguf", endpoint=hub.url)
    assert Path(path).read_bytes() == data
    ranged = get_session().get(
        hf_hub_url(REPO, "w.gguf", endpoint=hub.url), headers={"Range": "bytes=5-9"}
    )
    assert (ranged.status_code, ranged.content) == (206, data[5:10])
    [entry] = [f for f in api.list_repo_tree(REPO) if f.path == "w.gguf"]
    assert isinstance(entry, RepoFile)
    assert entry.lfs is not None and (entry.lfs.sha256, entry.lfs.size) == (sha256, len(data))
    pointer = send(hub, "GET", f"/{REPO}/raw/main/w.gguf")[2]
    assert (
        pointer
        == (
            f"version https://git-lfs.github.com/spec/v1\noid sha256:{sha256}\nsize {len(data)}\n"
        ).encode()
    )
    assert entry.blob_id == blob_oid(pointer)
    siblings = api.model_info(REPO, files_metadata=True).siblings or []
    [sibling] = [s for s in siblings if s.rfilename == "w.gguf"]
    assert sibling.lfs is not None and sibling.lfs.pointer_size == len(pointer)
    assert _batch(hub, "upload", sha256, len(data)).get("actions") is None  # stored: no upload
    hub.counters.reset()
    again = api.upload_file(path_or_fileobj=source, path_in_repo="w.gguf", repo_id=REPO)
    assert again.oid == info.oid  # the same content: preupload's oid (the sha256) skips it
    assert ("commit", "POST") not in hub.counters.snapshot()
    assert hub.store.check() == []


def test_the_batch_download_link_serves_the_object(api: HfApi, hub: LocalHub) -> None:
    api.create_repo(REPO)
    data = b"weights" * 1000
    sha256 = hashlib.sha256(data).hexdigest()
    api.upload_file(path_or_fileobj=data, path_in_repo="m.safetensors", repo_id=REPO)
    href = _batch(hub, "download", sha256, len(data))["actions"]["download"]["href"]
    response = get_session().get(href)  # no token: the link carries its own authority
    assert (response.status_code, response.content) == (200, data)
    missing = _batch(hub, "download", "0" * 64, 3)
    assert missing["error"]["code"] == 404
    forged = href.replace("signature=", "signature=0")
    assert get_session().get(forged).status_code == 403
    put = get_session().put(href, content=data)  # a GET link does not take a PUT
    assert put.status_code == 403


def test_an_upload_whose_bytes_do_not_match_keeps_nothing(hub: LocalHub) -> None:
    hub.seed(REPO, {})
    data = b"the real bytes"
    sha256 = hashlib.sha256(data).hexdigest()
    href = _batch(hub, "upload", sha256, len(data))["actions"]["upload"]["href"]
    wrong = get_session().put(href, content=b"other bytes!!!")
    assert wrong.status_code == 400 and "sha256" in wrong.json()["error"]
    short = get_session().put(href, content=data[:-1])
    assert short.status_code == 400 and "bytes" in short.json()["error"]
    assert hub.store.lfs_size(sha256) is None
    assert not list((hub.root / "lfs" / "tmp").iterdir())
    header = {"key": "header", "value": {"summary": "Add"}}
    line = {
        "key": "lfsFile",
        "value": {"path": "a.bin", "algo": "sha256", "oid": sha256, "size": 14},
    }
    body = "\n".join(json.dumps(item) for item in (header, line)).encode()
    status, _, answer = send(hub, "POST", f"/api/models/{REPO}/commit/main", body)
    assert status == 400 and b"never uploaded" in answer
    chunked = get_session().put(href, content=iter([data[:5], data[5:]]))  # chunked coding
    assert chunked.status_code == 200
    assert hub.store.lfs_size(sha256) == len(data)


def test_the_batch_api_needs_a_token_to_upload(hub: LocalHub) -> None:
    hub.seed(REPO, {})
    body = json.dumps({"operation": "upload", "objects": [{"oid": "a" * 64, "size": 1}]}).encode()
    assert send(hub, "POST", f"/{REPO}.git/info/lfs/objects/batch", body, token=False)[0] == 401
    bad = _batch(hub, "upload", "not-a-sha", 1)
    assert bad["error"]["code"] == 422


@pytest.mark.slow
def test_a_100_mib_file_round_trips_on_loopback(api: HfApi, hub: LocalHub, tmp_path: Path) -> None:
    api.create_repo(REPO)
    source = tmp_path / "big.safetensors"
    digest = hashlib.sha256()
    with source.open("wb") as out:
        for _ in range(100):
            chunk = os.urandom(MIB)
            digest.update(chunk)
            out.write(chunk)
    started = time.monotonic()
    api.upload_file(path_or_fileobj=source, path_in_repo="big.safetensors", repo_id=REPO)
    path = hf_hub_download(REPO, "big.safetensors", endpoint=hub.url)
    assert time.monotonic() - started < 60
    assert hashlib.sha256(Path(path).read_bytes()).hexdigest() == digest.hexdigest()
    stored = hub.root / "lfs" / "objects" / digest.hexdigest()[:2]
    assert sum(f.stat().st_size for f in stored.rglob("*") if f.is_file()) == 100 * MIB
    assert urlsplit(hub.url).hostname == "127.0.0.1"


def test_hf_upload_of_an_11_mib_file(hub: LocalHub, tmp_path: Path) -> None:
    hub.seed(REPO, {})
    source = tmp_path / "w.gguf"
    source.write_bytes(os.urandom(11 * MIB))
    env = {
        **os.environ,
        "HF_ENDPOINT": hub.url,
        "HF_TOKEN": hub.token,
        "HF_HOME": str(tmp_path / "hf-home"),
        "HF_HUB_DISABLE_XET": "1",
    }
    hf = Path(sys.executable).parent / "hf"
    done = subprocess.run(
        [str(hf), "upload", REPO, str(source), "w.gguf"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    entry = hub.store.file(hub.store.head(hub.store.get_repo(REPO)), "w.gguf")  # type: ignore[arg-type]
    assert entry is not None and entry.lfs is not None and entry.size == 11 * MIB
