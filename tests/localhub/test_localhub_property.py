"""Random paths, headers and bodies over raw HTTP: never a 5xx, always answering, store intact."""

from __future__ import annotations

import base64
import http.client
import json
from pathlib import Path
from urllib.parse import quote, urlsplit

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.localhub import LocalHub

REPO = "NbAiLab/nb-llama"

WORDS = [
    "api", "models", "NbAiLab", "nb-llama", "nbailab", "resolve", "revision", "main",
    "refs%2Fpr%2F1", "refs%2Fpr%2F99", "README.md", "commit", "commits", "preupload",
    "discussions", "1", "0", "..", "%2E%2E", "", ".git", "validate-yaml", "repos", "create",
    "whoami-v2", "tree", "refs", "_admin", "counters", "faults", "reset", "a" * 40, "%00", "%ff",
]  # fmt: skip
SEGMENT = st.one_of(
    st.sampled_from(WORDS), st.text(max_size=12).map(lambda text: quote(text, safe=""))
)
QUERY = st.lists(
    st.tuples(
        st.sampled_from(["expand", "p", "limit", "author", "blobs", "create_pr", "diff", "x"]),
        st.sampled_from(["sha", "cardData", "1", "-1", "true", "bogus", "NbAiLab", "%zz", ""]),
    ),
    max_size=3,
).map(lambda pairs: "&".join(f"{k}={v}" for k, v in pairs))
HEADER_TEXT = st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=40)
JSONISH = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=8,
)
LINE = st.fixed_dictionaries(
    {
        "key": st.sampled_from(["header", "file", "deletedFile", "deletedFolder", "lfsFile", "x"]),
        "value": st.fixed_dictionaries(
            {},
            optional={
                "summary": st.text(max_size=10),
                "path": st.sampled_from(["README.md", "a/b.txt", "../x", "", "a//b", ".git/x"]),
                "content": st.binary(max_size=30).map(lambda b: base64.b64encode(b).decode())
                | st.text(max_size=10),
                "encoding": st.sampled_from(["base64", "utf-8", "rot13"]),
                "parentCommit": st.text("0123456789abcdef", max_size=40),
            },
        ),
    }
)
BODY = st.one_of(
    st.binary(max_size=300),
    JSONISH.map(lambda value: json.dumps(value).encode()),
    st.lists(LINE, max_size=4).map(lambda ls: b"".join(json.dumps(x).encode() + b"\n" for x in ls)),
)


@pytest.mark.slow
def test_random_requests_never_break_the_server(tmp_path: Path) -> None:
    with LocalHub(tmp_path / "hub") as hub:
        hub.seed(REPO, {"README.md": "---\nlicense: mit\n---\n# x\n", "a/b.txt": "b"})
        parts = urlsplit(hub.url)
        token = hub.token

        @settings(
            max_examples=100,
            deadline=None,
            database=None,
            suppress_health_check=[HealthCheck.too_slow],
        )
        @given(
            method=st.sampled_from(["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "FOO"]),
            segments=st.lists(SEGMENT, min_size=1, max_size=7),
            query=QUERY,
            auth=st.sampled_from(["none", "valid", "bad", "garbage"]),
            headers=st.dictionaries(
                st.sampled_from(["Accept", "Content-Type", "Range", "X-Anything", "Host"]),
                HEADER_TEXT,
                max_size=3,
            ),
            body=st.none() | BODY,
        )
        def one(
            method: str,
            segments: list[str],
            query: str,
            auth: str,
            headers: dict[str, str],
            body: bytes | None,
        ) -> None:
            path = "/" + "/".join(segments) + (f"?{query}" if query else "")
            sent = dict(headers)
            if auth == "valid":
                sent["Authorization"] = f"Bearer {token}"
            elif auth == "bad":
                sent["Authorization"] = "Bearer hf_wrong"
            elif auth == "garbage":
                sent["Authorization"] = "Basic !!"
            connection = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=10)
            try:
                connection.request(method, path, body=body, headers=sent)
                response = connection.getresponse()
                response.read()
            finally:
                connection.close()
            assert response.status < 500, (method, path, response.status)

        one()
        # Still serving, and the store is consistent.
        connection = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=10)
        connection.request("GET", f"/api/models/{REPO}")
        assert connection.getresponse().status == 200
        connection.close()
        assert hub.store.check() == []
