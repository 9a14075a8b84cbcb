"""The store survives a SIGKILL mid-stream of commits, and reopens consistent."""

from __future__ import annotations

import base64
import http.client
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from huggingface_hub import HfApi

from pipeline.localhub import LocalHub
from pipeline.localhub.auth import Tokens
from pipeline.localhub.store import Store

ROOT = Path(__file__).resolve().parents[2]
REPOS = [f"NbAiLab/kill-{i}" for i in range(3)]


def start_server(root: Path) -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen(
        [sys.executable, "-m", "pipeline.localhub", "--root", str(root), "--port", "0"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert process.stdout is not None
    line = process.stdout.readline()  # "Local Hub serving at http://127.0.0.1:PORT"
    assert "serving at" in line, line
    return process, line.split()[-1]


def commit_stream(
    url: str, token: str, repo_id: str, stop: threading.Event, done: list[str]
) -> None:
    # Raw NDJSON commits (the client's format, hub-http-api.md §4.8): the client itself would
    # retry preupload for 23 s against a dead server, and this test is about the store.
    parts = urlsplit(url)
    for n in range(10_000):
        if stop.is_set():
            return
        # Several files of 200 kB per commit: long enough transactions to be cut by the kill.
        lines = [{"key": "header", "value": {"summary": f"commit {n}", "description": ""}}]
        lines += [
            {
                "key": "file",
                "value": {
                    "path": f"part{i}.bin",
                    "content": base64.b64encode(os.urandom(200_000)).decode(),
                    "encoding": "base64",
                },
            }
            for i in range(4)
        ]
        body = b"".join(json.dumps(line).encode() + b"\n" for line in lines)
        connection = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=10)
        try:
            connection.request(
                "POST",
                f"/api/models/{repo_id}/commit/main",
                body=body,
                headers={"Authorization": f"Bearer {token}"},
            )
            response = connection.getresponse()
            answer = json.loads(response.read())
        except (OSError, http.client.HTTPException, ValueError):
            return  # the server is gone
        finally:
            connection.close()
        done.append(answer["commitOid"])


def kill_mid_stream(root: Path, commits: int) -> list[str]:
    """Start a server process, commit to every repo from threads, SIGKILL it mid-stream."""
    process, url = start_server(root)
    done: list[str] = []
    try:
        token = Tokens(root / "tokens").first()
        api = HfApi(endpoint=url, token=token)
        for repo_id in REPOS:
            api.create_repo(repo_id, exist_ok=True)
        stop = threading.Event()
        workers = [
            threading.Thread(target=commit_stream, args=(url, token, repo_id, stop, done))
            for repo_id in REPOS
        ]
        for worker in workers:
            worker.start()
        deadline = time.monotonic() + 20
        while len(done) < commits and time.monotonic() < deadline:
            time.sleep(0.01)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)
        stop.set()
        for worker in workers:
            worker.join(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        assert process.stdout is not None
        process.stdout.close()
    assert len(done) >= commits
    return done


@pytest.mark.slow
def test_a_killed_server_leaves_a_consistent_store(tmp_path: Path) -> None:
    root = tmp_path / "hub"
    acknowledged: list[str] = []
    for round_ in range(3):  # kill at a different moment each round
        acknowledged += kill_mid_stream(root, commits=3 + 2 * round_)
    store = Store(root)
    try:
        assert store.check() == []
        for repo_id in REPOS:
            repo = store.get_repo(repo_id)
            assert repo is not None
            history = store.history(store.head(repo))
            assert history[-1].title == "initial commit"
            for commit in history:
                for entry in store.files(commit.oid):
                    assert len(store.blob(entry.oid)) == entry.size
        # Every commit a client was told about survived the kill (WAL, committed before answer).
        for oid in acknowledged:
            assert store.commit_info(oid).oid == oid
    finally:
        store.close()
    # And a new server serves it.
    with LocalHub(root) as hub:
        assert HfApi(endpoint=hub.url).model_info(REPOS[0]).sha
