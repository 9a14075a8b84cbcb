"""One local Hub per test module, and the two clients pointed at it (contract_support.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from pipeline.localhub import LocalHub
from tests.contract.contract_support import HfCli, install_js_client


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalHub]:
    with LocalHub(tmp_path_factory.mktemp("hub")) as running:
        yield running


@pytest.fixture(scope="module")
def hf(hub: LocalHub, tmp_path_factory: pytest.TempPathFactory) -> HfCli:
    return HfCli(hub, tmp_path_factory.mktemp("hf-home"))


@pytest.fixture(scope="session")
def node() -> str:
    """The path of `node`, once huggingface.js is installed in tests/contract/js/."""
    return install_js_client()
