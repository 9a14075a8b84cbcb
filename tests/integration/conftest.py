"""Integration fixtures: a real local Hub on loopback and a small project folder.

The CLI is driven in process (`pipeline.cli.main.main`), so each test sees its exit status, output
and the Hub's request counters; the Hub is a real HTTP server spoken to by the real client.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from huggingface_hub import HfApi

from pipeline.localhub import LocalHub
from tests.integration.support import REPOS, ROOT, SMALL_MANIFEST, Project


@pytest.fixture
def project(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Iterator[Project]:
    folder = tmp_path / "project"
    folder.mkdir()
    shutil.copytree(ROOT / "cards", folder / "cards")
    (folder / "models.toml").write_text(SMALL_MANIFEST, encoding="utf-8")
    monkeypatch.chdir(folder)
    # No token of the machine's user may leak in; the client's cache lives in the test folder.
    monkeypatch.delenv("HF_TOKEN", raising=False)
    monkeypatch.delenv("NB_RELEASE_HUB", raising=False)
    monkeypatch.delenv("HF_ENDPOINT", raising=False)
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf-home"))
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hf-cache"))
    with LocalHub(root=tmp_path / "hub") as hub:
        api = HfApi(endpoint=hub.url, token=hub.token)
        for repo_id in REPOS:
            api.create_repo(repo_id)
        hub.counters.reset()
        yield Project(folder, hub, api, capsys)
