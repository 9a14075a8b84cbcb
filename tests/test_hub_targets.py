"""Choosing the target: URLs that could carry a token are refused; local tokens stay local."""

from __future__ import annotations

import pytest

from pipeline.errors import HubError
from pipeline.hub.target import check_hub_url, is_loopback, resolve_spec

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
