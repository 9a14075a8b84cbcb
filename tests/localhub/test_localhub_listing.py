"""The listing's `expand=["sha"]` (README.md "At scale"): each repo's head from the repo rows
alone, no file read and no card parsed; and the server's sockets send without Nagle's delay."""

from __future__ import annotations

import http.client
import json
import socket
from urllib.parse import urlsplit

import pytest
from huggingface_hub import HfApi

from pipeline.localhub import LocalHub, cardcheck
from tests.localhub.localhub_support import CARD, send

REPOS = ["NbAiLab/a", "NbAiLab/b", "NbAiLab/c", "Other/d"]


def seed(hub: LocalHub) -> dict[str, str]:
    return {repo: hub.seed(repo, {"README.md": CARD}) for repo in REPOS}


def test_list_models_expand_sha_gives_every_head(api: HfApi, hub: LocalHub) -> None:
    heads = seed(hub)
    listed = list(api.list_models(author="NbAiLab", expand=["sha"]))  # pages of PAGE_SIZE
    assert {m.id: m.sha for m in listed} == {r: heads[r] for r in REPOS if r.startswith("NbAiLab")}


@pytest.mark.parametrize("query", ["expand=sha", "expand%5B%5D=sha", "expand=sha&expand=private"])
def test_expand_sha_reads_no_card(
    hub: LocalHub, monkeypatch: pytest.MonkeyPatch, query: str
) -> None:
    heads = seed(hub)

    def no_card(readme: bytes) -> None:
        raise AssertionError("the listing parsed a card for expand=sha")

    monkeypatch.setattr(cardcheck, "card_data", no_card)
    items: list[dict[str, object]] = []
    path: str | None = f"/api/models?{query}"
    while path:
        status, headers, body = send(hub, "GET", path)
        assert status == 200, body
        items += json.loads(body)
        link = headers.get("Link")
        path = (
            urlsplit(link[1 : link.index(">")])._replace(scheme="", netloc="").geturl()
            if link
            else None
        )
    assert {item["id"]: item["sha"] for item in items} == heads
    keys = {"_id", "id", "sha"} | ({"private"} if "private" in query else set())
    assert all(set(item) == keys for item in items)


def test_model_info_expand_sha_reads_no_card(
    api: HfApi, hub: LocalHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    heads = seed(hub)

    def no_card(readme: bytes) -> None:
        raise AssertionError("model_info parsed a card for expand=sha")

    monkeypatch.setattr(cardcheck, "card_data", no_card)
    assert api.model_info(REPOS[0], expand=["sha"]).sha == heads[REPOS[0]]


def test_expand_sha_agrees_with_model_info(hub: LocalHub) -> None:
    seed(hub)
    for item in json.loads(send(hub, "GET", "/api/models?expand=sha&expand=lastModified")[2]):
        info = json.loads(send(hub, "GET", f"/api/models/{item['id']}")[2])
        assert item == {key: info[key] for key in ("_id", "id", "sha", "lastModified")}


def test_keys_that_need_the_card_still_parse_it(hub: LocalHub) -> None:
    seed(hub)
    items = json.loads(send(hub, "GET", "/api/models?expand=sha&expand=cardData")[2])
    assert items and all(item["cardData"]["license"] == "llama3.1" for item in items)


def test_accepted_connections_send_without_nagle(hub: LocalHub) -> None:
    parts = urlsplit(hub.url)
    connection = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=10)
    connection.request("GET", "/api/models")
    assert connection.getresponse().read() == b"[]"
    server = hub._server  # the server's side of this connection is what must not wait
    assert server is not None
    sockets = list(server._open)
    assert sockets
    assert all(s.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) for s in sockets)
    connection.close()
