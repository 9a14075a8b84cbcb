"""A LocalHub per test on tmp_path, and a client pointed at it.

The client's cache key has no endpoint in it, so each test gets its own HF_HUB_CACHE; constants
read at import time (ENDPOINT, HF_HUB_CACHE) are patched on the module, where calls read them.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import huggingface_hub.constants
import huggingface_hub.hf_api
import pytest
from huggingface_hub import HfApi

from pipeline.localhub import LocalHub
from tests.localhub.localhub_support import PAGE_SIZE


@pytest.fixture
def hub(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[LocalHub]:
    cache = tmp_path / "hf-cache"
    monkeypatch.setenv("HF_HUB_CACHE", str(cache))
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_CACHE", str(cache))
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf-home"))
    monkeypatch.delenv("HF_TOKEN", raising=False)
    with LocalHub(tmp_path / "hub", page_size=PAGE_SIZE) as running:
        # ModelCard.load / RepoCard.validate / push_to_hub read the endpoint from constants.
        # hf_hub_url swaps the endpoint only if its template starts with ENDPOINT: patch both.
        monkeypatch.setattr(huggingface_hub.constants, "ENDPOINT", running.url)
        monkeypatch.setattr(
            huggingface_hub.constants,
            "HUGGINGFACE_CO_URL_TEMPLATE",
            running.url + "/{repo_id}/resolve/{revision}/{filename}",
        )
        # ModelCard.push_to_hub calls the module-level HfApi() built at import time.
        monkeypatch.setattr(huggingface_hub.hf_api.api, "endpoint", running.url)
        yield running


@pytest.fixture
def api(hub: LocalHub) -> HfApi:
    return HfApi(endpoint=hub.url, token=hub.token)


@pytest.fixture
def anon(hub: LocalHub) -> HfApi:
    """A client that sends no token at all."""
    return HfApi(endpoint=hub.url, token=False)
