"""Bad input over raw HTTP: each a 4xx with a clear JSON message; the server goes on serving."""

from __future__ import annotations

import base64
import http.client
import json
from urllib.parse import urlsplit

import pytest

from pipeline.localhub import LocalHub
from tests.localhub.localhub_support import send

REPO = "NbAiLab/nb-llama"


def commit_body(*lines: object) -> bytes:
    return b"".join(json.dumps(line).encode() + b"\n" for line in lines)


HEADER = {"key": "header", "value": {"summary": "x", "description": ""}}


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "words"),
    [
        ("POST", f"/api/models/{REPO}/commit/main", b"{not json\n", 400, "not valid JSON"),
        ("POST", f"/api/models/{REPO}/commit/main", b"[1]\n", 400, "must be"),
        ("POST", f"/api/models/{REPO}/commit/main", b"\xff\xfe", 400, "UTF-8"),
        ("POST", f"/api/models/{REPO}/commit/main", commit_body(), 400, "no header"),
        (
            "POST",
            f"/api/models/{REPO}/commit/main",
            commit_body(
                HEADER,
                {"key": "file", "value": {"path": "a", "content": "@@", "encoding": "base64"}},
            ),
            400,
            "base64",
        ),
        (
            "POST",
            f"/api/models/{REPO}/commit/main",
            commit_body(
                HEADER,
                {
                    "key": "file",
                    "value": {
                        "path": "x/../../etc/passwd",
                        "content": base64.b64encode(b"x").decode(),
                        "encoding": "base64",
                    },
                },
            ),
            400,
            "'..'",
        ),
        (
            "POST",
            f"/api/models/{REPO}/commit/main",
            commit_body(HEADER, {"key": "lfsFile", "value": {"path": "a", "oid": "1"}}),
            400,
            "64 lower-case hex digits",
        ),
        (
            "POST",
            f"/api/models/{REPO}/commit/main",
            commit_body(HEADER, {"key": "copyFile", "value": {"path": "a", "srcPath": "b"}}),
            400,
            "not supported",
        ),
        ("POST", "/api/repos/create", b"{", 400, "not valid JSON"),
        ("POST", "/api/repos/create", b'{"name": "a--b", "organization": "x"}', 400, "'--'"),
        ("POST", "/api/repos/create", b'{"name": 3}', 400, "must be a string"),
        ("POST", "/api/repos/create", b'{"name": "m", "type": "dataset"}', 400, "model repos"),
        ("POST", f"/api/models/{REPO}/preupload/main", b'{"files": 3}', 400, "list"),
        ("GET", f"/{REPO}/resolve/main/a/%2E%2E/b", None, 400, "'..'"),
        ("GET", f"/{REPO}/resolve/main/.git/config", None, 400, ".git"),
        ("GET", "/api/nothing/here", None, 404, "Not found"),
        ("GET", "/api/datasets/a/b", None, 404, "model repos only"),
        ("DELETE", "/api/models", None, 405, "not allowed"),
        ("BREW", "/api/models", None, 405, "not allowed"),
        ("GET", "/api/models?limit=x", None, 400, "limit"),
        ("GET", "/api/models?expand=bogus", None, 400, "expand"),
        ("GET", f"/api/models/{REPO}/commits/main?p=x", None, 400, "page"),
        ("GET", f"/api/models/{REPO}/discussions/abc", None, 404, "not found"),
        ("POST", f"/api/models/{REPO}/discussions", b'{"title": ""}', 400, "title"),
        ("POST", "/api/validate-yaml", b'{"content": 3}', 400, "content"),
    ],
)
def test_bad_input_is_a_clear_4xx(
    hub: LocalHub, method: str, path: str, body: bytes | None, status: int, words: str
) -> None:
    hub.seed(REPO, {"README.md": "# x\n"})
    got, headers, answer = send(hub, method, path, body)
    assert got == status, answer
    message = json.loads(answer)["error"]
    assert words in message
    assert headers["X-Error-Message"]
    assert send(hub, "GET", f"/api/models/{REPO}")[0] == 200  # still serving
    assert hub.store.check() == []


def test_a_body_over_10_mib_is_413_without_reading_it(hub: LocalHub) -> None:
    hub.seed(REPO, {})
    parts = urlsplit(hub.url)
    connection = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=10)
    connection.putrequest("POST", f"/api/models/{REPO}/commit/main")
    connection.putheader("Authorization", f"Bearer {hub.token}")
    connection.putheader("Content-Length", str(11 * 1024 * 1024))
    connection.endheaders()
    response = connection.getresponse()
    assert response.status == 413
    assert "10 MiB" in json.loads(response.read())["error"]
    connection.close()
    assert send(hub, "GET", "/api/models")[0] == 200


def test_chunked_bodies_and_bad_http_versions_are_4xx(hub: LocalHub) -> None:
    status, _, _ = send(hub, "POST", "/api/validate-yaml", b"{}", {"Transfer-Encoding": "chunked"})
    assert status == 411
    parts = urlsplit(hub.url)
    connection = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=10)
    connection.connect()
    assert connection.sock is not None
    connection.sock.sendall(b"GET /api/models HTTP/9.9\r\n\r\n")
    assert connection.sock.recv(100).startswith(b"HTTP/1.1 400")
    connection.close()
    assert send(hub, "GET", "/api/models")[0] == 200


def test_tokens_never_appear_in_answers(hub: LocalHub) -> None:
    hub.seed(REPO, {})
    for method, path in [("GET", "/api/whoami-v2"), ("POST", "/api/repos/create")]:
        for headers in ({}, {"Authorization": "Bearer hf_wrong_secret"}):
            status, sent, body = send(hub, method, path, b"{}", headers, token=not headers)
            blob = body + json.dumps(sent).encode()
            assert hub.token.encode() not in blob and b"hf_wrong_secret" not in blob
            assert status < 500
