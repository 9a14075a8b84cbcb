"""Choosing the target: URLs that could carry a token are refused; local tokens stay local."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.errors import HubError
from pipeline.hub.client import open_hub
from pipeline.hub.target import Target, check_hub_url, is_loopback, resolve_spec
from pipeline.localhub import LocalHub

SECRET = "hf_" + "s" * 34


@pytest.mark.parametrize(
    "url",
    [
        f"https://user:{SECRET}@huggingface.co",
        f"https://{SECRET}@huggingface.co",
        f"https://huggingface.co/?token={SECRET}",
        f"https://huggingface.co?{SECRET}",
        f"https://huggingface.co/#{SECRET}",
        "https://huggingface.co?",
    ],
)
def test_a_url_that_could_carry_a_token_is_refused_without_echoing_it(url: str) -> None:
    with pytest.raises(HubError) as caught:
        check_hub_url(url)
    text = caught.value.message + (caught.value.hint or "")
    assert SECRET not in text
    assert "refuses URLs that could hold a token" in text


def test_the_environment_variable_is_checked_too(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NB_RELEASE_HUB", f"http://x:{SECRET}@127.0.0.1:9")
    with pytest.raises(HubError) as caught:
        resolve_spec(None)
    assert SECRET not in caught.value.message


@pytest.mark.parametrize(
    "url", ["https://huggingface.co", "http://127.0.0.1:8080", "http://[::1]:80/", "local"]
)
def test_plain_urls_pass(url: str) -> None:
    assert resolve_spec(url) == url


@pytest.mark.parametrize(
    ("url", "loopback"),
    [
        ("http://127.0.0.1:5000", True),
        ("http://127.8.9.10", True),
        ("http://localhost:1", True),
        ("http://LOCALHOST", True),
        ("http://[::1]:8080", True),
        ("https://huggingface.co", False),
        ("http://10.0.0.1", False),
        ("http://127.0.0.1.evil.example", False),
        ("http://localhost.evil.example", False),
        ("http://0.0.0.0", False),
    ],
)
def test_loopback(url: str, loopback: bool) -> None:
    assert is_loopback(url) is loopback


def test_a_local_hub_is_known_to_the_cache_by_its_store_not_its_port(tmp_path: Path) -> None:
    store = tmp_path / "hub"
    served = Target(url="http://127.0.0.1:8001", store=store)
    restarted = Target(url="http://127.0.0.1:9002", store=store)
    embedded = Target(url="http://127.0.0.1:4242", local_root=store)
    assert served.cache_key == restarted.cache_key == embedded.cache_key
    assert Target(url="http://127.0.0.1:8001", store=tmp_path / "other").cache_key != (
        served.cache_key
    )
    # A Hub known only by its URL (a real Hub, or a loopback URL without --hub-root).
    assert Target(url="https://huggingface.co").cache_key == "https://huggingface.co"
    assert (
        Target(url="http://127.0.0.1:8001").cache_key
        != Target(url="http://127.0.0.1:9002").cache_key
    )


def test_a_loopback_url_takes_hub_root_as_its_store_only_when_it_holds_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("HF_TOKEN", raising=False)
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf-home"))
    store = tmp_path / "hub"
    LocalHub(root=store)  # makes the store's token file; never started
    with open_hub("http://127.0.0.1:8001", store) as hub:
        assert hub.target.cache_key == f"local:{store.resolve()}"
    with open_hub("http://127.0.0.1:8001", tmp_path / "no-store") as hub:
        assert hub.target.cache_key == "http://127.0.0.1:8001"
    with open_hub("http://example.com:8001", store) as hub:  # not loopback: not a local store
        assert hub.target.cache_key == "http://example.com:8001"
