"""The wire checks of pipeline/hub/_answers.py that need no server: origins, the listing's page cap
and loop check, and the token guard on a request (the integration tests drive them through a
lying local Hub)."""

from __future__ import annotations

import httpx2
import pytest

from pipeline.errors import HubError, PipelineError
from pipeline.hub import _answers as answers
from pipeline.localhub import FaultConfig


def test_an_origin_is_scheme_host_and_port() -> None:
    assert answers.origin("https://HF.co/api") == answers.origin("https://hf.co:443/x")
    assert answers.origin("http://127.0.0.1:8000") != answers.origin("http://127.0.0.1:8001")
    assert answers.origin("http://hf.co") != answers.origin("https://hf.co")


def test_a_listing_stops_at_the_page_cap() -> None:
    listing = answers.Listing("listing the repos of X", "https://hf.co")
    for _ in range(answers.MAX_PAGES):
        listing.count()
    with pytest.raises(HubError, match=r"listing the repos of X: .* past 2,000 pages"):
        listing.count()


def test_a_listing_follows_its_own_origin_once_per_page() -> None:
    listing = answers.Listing("listing the commits of X", "https://hf.co")
    listing.follow("https://hf.co/api/models?p=1")
    with pytest.raises(HubError, match="already read"):
        listing.follow("https://hf.co/api/models?p=1")
    with pytest.raises(HubError, match=r"another host \(evil\.example:8443\)"):
        listing.follow("https://evil.example:8443/api/models?p=2")


def test_the_token_guard_strips_a_known_token_bound_for_another_origin() -> None:
    answers.TOKEN_ORIGINS.setdefault("hf_guardtest123", set()).add(
        answers.origin("https://hub.example")
    )
    auth = {"Authorization": "Bearer hf_guardtest123"}
    elsewhere = httpx2.Request("GET", "https://other.example/api", headers=auth)
    answers.guard_token(elsewhere)
    assert "authorization" not in elsewhere.headers
    home = httpx2.Request("GET", "https://hub.example/api", headers=auth)
    answers.guard_token(home)
    assert home.headers["authorization"] == "Bearer hf_guardtest123"


def test_lying_hub_options_are_validated() -> None:
    with pytest.raises(PipelineError, match="next_link"):
        FaultConfig(next_link="ftp://x")
    with pytest.raises(PipelineError, match="wrong_shape"):
        FaultConfig(wrong_shape="xml")
    with pytest.raises(PipelineError, match="trickle_ms"):
        FaultConfig(trickle_ms=-1)
    with pytest.raises(PipelineError, match="endless_body"):
        FaultConfig.from_json({"endless_body": "yes"})
    config = FaultConfig.from_json({"next_link": "self", "wrong_shape": "html", "trickle_ms": 5})
    assert config.to_json()["next_link"] == "self"
