"""Settings every test needs before huggingface_hub is first imported (it reads them then)."""

import os

# No request to huggingface.co for the client's agent-harness registry (see pipeline/hub.py).
os.environ["HF_HUB_DISABLE_TELEMETRY"] = "1"

import pytest  # after the settings above


@pytest.fixture(autouse=True)
def _own_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """nb-release's cache in a folder of each test's own, never the user's ~/.cache."""
    monkeypatch.setenv("NB_RELEASE_CACHE", str(tmp_path_factory.mktemp("nb-release-cache")))
