"""Shared data of the local Hub tests (a plain module: `conftest` is ambiguous across folders)."""

from __future__ import annotations

import http.client
import socket
from urllib.parse import urlsplit

from pipeline.localhub import LocalHub

PAGE_SIZE = 2  # small, so every listing in these tests spans pages

CARD = """---
license: llama3.1
language:
- no  # Generic Norwegian
- nb
- en
pipeline_tag: text-generation
library_name: transformers
base_model: meta-llama/Llama-3.1-8B
tags:
- norwegian
---
# NB-Llama

A card.
"""


def send(
    hub: LocalHub,
    method: str,
    path: str,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
    *,
    token: bool = True,
) -> tuple[int, dict[str, str], bytes]:
    parts = urlsplit(hub.url)
    connection = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=10)
    sent = dict(headers or {})
    if token:
        sent["Authorization"] = f"Bearer {hub.token}"
    try:
        connection.request(method, path, body=body, headers=sent)
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()


def send_raw(hub: LocalHub, data: bytes) -> bytes:
    """Send `data` as is on a fresh connection; the whole answer, until the server closes."""
    parts = urlsplit(hub.url)
    with socket.create_connection((parts.hostname or "", parts.port or 0), timeout=10) as sock:
        sock.sendall(data)
        sock.shutdown(socket.SHUT_WR)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)
