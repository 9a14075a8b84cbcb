"""A small grammar fuzzer for the local Hub: valid-looking and broken requests, seeded.

Requests go through http.client (well-formed HTTP, odd paths, headers and bodies) and a raw
socket (broken request lines and headers). A 5xx answer is a bug: the local Hub injects no fault
here, so every 5xx is the server failing on input it should refuse with a 4xx.
"""

from __future__ import annotations

import base64
import http.client
import json
import random
import socket
import string
import urllib.parse
from collections import Counter
from typing import Any

REPOS = [
    "NbAiLab/nb-llama-3.1-8B",
    "NbAiLab/new-repo",
    "NbAiLab/x.git",
    "NbAiLab/..",
    "a/b/c",
    "NbAiLab/" + "n" * 300,
    "Nb%00AiLab/x",
    "%ff%fe/%c3%28",
    "NbAiLab/æøå",
    "-/-",
    "",
]
REVISIONS = [
    "main",
    "refs%2Fpr%2F1",
    "refs%2Fpr%2F99999999999999999999999",
    "..",
    "%00",
    "x" * 500,
    "",
]
NUMBERS = ["1", "0", "-1", "99999999999999999999999", "abc", "1e9", "%00"]
_SAFE = "".join(c for c in string.punctuation if c != " ")
METHODS = ["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE", "BREW", "get"]


def _deep(depth: int, kind: str) -> str:
    return ("[" * depth + "]" * depth) if kind == "list" else ('{"a":' * depth + "1" + "}" * depth)


def _commit_body(rng: random.Random) -> bytes:
    content = rng.choice(
        [
            "---\nlicense: mit\n---\n# ok\n",
            "---\nlicense: [unclosed\n---\n",
            "---\n- a\n---\n",
            "\x00" * 10,
            "---\n" + "a: &a [1]\n" + "b: [*a,*a,*a,*a,*a,*a,*a,*a]\n" * 3 + "---\n",
        ]
    )
    header = {"key": "header", "value": {"summary": rng.choice(["x", "", "\u202e", "x" * 10000])}}
    files = [
        {
            "key": "file",
            "value": {
                "content": base64.b64encode(content.encode()).decode(),
                "path": rng.choice(["README.md", "../x", "/abs", "", "a\x00b", ".git/config"]),
                "encoding": rng.choice(["base64", "utf-8", "rot13"]),
            },
        },
        {"key": "deletedFile", "value": {"path": rng.choice(["README.md", "nope", ""])}},
        {"key": rng.choice(["lfsFile", "weird", ""]), "value": rng.choice([None, 3, "x", []])},
    ]
    lines = [header, *rng.sample(files, rng.randint(0, len(files)))]
    if rng.random() < 0.3:
        rng.shuffle(lines)
    body = "\n".join(json.dumps(line) for line in lines)
    if rng.random() < 0.2:
        body += "\n{not json"
    return body.encode()


def _json_body(rng: random.Random) -> bytes:
    choice = rng.randrange(9)
    if choice == 0:
        return _deep(rng.choice([100, 5000, 50000]), rng.choice(["list", "dict"])).encode()
    if choice == 1:
        return json.dumps(
            {
                "name": rng.choice(["x", "x.git", "", "a" * 300, 3]),
                "organization": rng.choice(["NbAiLab", None, 3, "../x"]),
                "private": rng.choice(["yes", 1, None, True]),
                "type": rng.choice(["model", "dataset", "space", 5]),
            }
        ).encode()
    if choice == 2:
        return json.dumps(
            {
                "content": rng.choice(["---\nlicense: mit\n---\n", 3, None, "x" * 100000]),
                "repoType": rng.choice(["model", 3]),
            }
        ).encode()
    if choice == 3:
        return json.dumps(
            {
                "files": rng.choice(
                    [
                        [{"path": "README.md", "size": 10, "sample": "eA=="}],
                        [{"path": 3}],
                        "x",
                        [None],
                    ]
                )
            }
        ).encode()
    if choice == 4:
        return json.dumps(
            {
                "title": rng.choice(["t", "", None, "x" * 100000]),
                "description": 3,
                "pullRequest": rng.choice([True, "yes"]),
            }
        ).encode()
    if choice == 5:
        return bytes(rng.randrange(256) for _ in range(rng.randrange(200)))
    if choice == 6:
        return b"\xef\xbb\xbf{}"
    if choice == 7:
        return b"null"
    return json.dumps(rng.choice([[], 1, "s", {"": {}}, {"a": float("1e308")}])).encode()


def _path(rng: random.Random) -> str:
    repo = rng.choice(REPOS)
    rev = rng.choice(REVISIONS)
    num = rng.choice(NUMBERS)
    author = rng.choice(["NbAiLab", "", "%00", "x" * 1000])
    limit = rng.choice(["1", "-1", "x", "99999999999999999999"])
    expand = rng.choice(["sha", "cardData", "nope"])
    file = rng.choice(["README.md", ".gitattributes", "../../etc/passwd", "%00", ""])
    paths = [
        "/api/whoami-v2",
        "/api/models",
        f"/api/models?author={author}&limit={limit}&expand={expand}",
        "/api/repos/create",
        "/api/validate-yaml",
        f"/api/models/{repo}",
        f"/api/models/{repo}/revision/{rev}",
        f"/api/models/{repo}/preupload/{rev}",
        f"/api/models/{repo}/commit/{rev}",
        f"/api/models/{repo}/commits/{rev}",
        f"/api/models/{repo}/refs",
        f"/api/models/{repo}/tree/{rev}",
        f"/api/models/{repo}/tree/{rev}/{rng.choice(['README.md', '..', 'a/b/c', '%2e%2e'])}",
        f"/api/models/{repo}/discussions",
        f"/api/models/{repo}/discussions/{num}",
        f"/{repo}/resolve/{rev}/{file}",
        f"/api/datasets/{repo}",
        "/_admin/counters",
        "/_admin/faults",
        "/" + "a/" * rng.randrange(1, 2000),
        "/%",
        "//",
        "/?" + "&".join(f"k{i}=v" for i in range(rng.randrange(1, 500))),
        "*",
        "http://evil.example/api/models",
    ]
    path = rng.choice(paths)
    if rng.random() < 0.1:
        path += rng.choice(["?", "#frag", "?revision=..", "%", "%zz", ";x", "?a=%ff"])
    return path


def _headers(rng: random.Random, token: str) -> dict[str, str]:
    headers: dict[str, str] = {}
    auth = rng.randrange(6)
    if auth == 0:
        headers["Authorization"] = f"Bearer {token}"
    elif auth == 1:
        headers["Authorization"] = rng.choice(
            ["Bearer", "Bearer hf_wrong", "Basic eDp5", "Bearer a b", "x" * 5000]
        )
    elif auth == 2:
        headers["Authorization"] = f"Bearer {token}"
        headers["Content-Type"] = rng.choice(
            ["application/json", "application/x-ndjson", "text/plain", "\u00e6"]
        )
    if rng.random() < 0.3:
        headers["Host"] = rng.choice(
            ["evil.example", "a" * 300, "127.0.0.1:99999", "[::1]", "x y", ""]
        )
    if rng.random() < 0.1:
        headers["X-Weird"] = "\u00ff" * rng.randrange(1, 100)
    return headers


RAW = [
    b"GET /\r\n\r\n",
    b"GET / HTTP/9.9\r\n\r\n",
    b"GET /api/models HTTP/1.1\r\nHost: x\r\nno-colon-header\r\n\r\n",
    b"\x00\x01\x02\x03\r\n\r\n",
    b"GET /" + b"a" * 70000 + b" HTTP/1.1\r\n\r\n",
    b"POST /api/validate-yaml HTTP/1.1\r\nContent-Length: -1\r\n\r\n",
    b"POST /api/validate-yaml HTTP/1.1\r\nContent-Length: abc\r\n\r\n",
    b"POST /api/validate-yaml HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
    b"5\r\nhello\r\n0\r\n\r\n",
    b"GET /api/models HTTP/1.1\r\n" + b"X-A: b\r\n" * 200 + b"\r\n",
    b"GET /api/models HTTP/1.1\r\nX-Long: " + b"b" * 70000 + b"\r\n\r\n",
    b"POST /api/models/NbAiLab/x/commit/main HTTP/1.1\r\nContent-Length: 99999999999\r\n\r\n",
    b"GET /api/models HTTP/1.0\r\n\r\n",
    b"GET  /api/models  HTTP/1.1\r\n\r\n",
    b"\r\n\r\n",
    b"G\xffT / HTTP/1.1\r\n\r\n",
]


def _status_of(raw: bytes) -> int | None:
    if not raw.startswith(b"HTTP/"):
        return None
    parts = raw.split(b" ", 2)
    try:
        return int(parts[1])
    except (IndexError, ValueError):
        return None


def _raw(host: str, port: int, data: bytes, timeout: float) -> int | None:
    with socket.create_connection((host, port), timeout=timeout) as sock:
        try:
            sock.sendall(data)
            sock.shutdown(socket.SHUT_WR)
        except OSError:
            pass
        chunks = b""
        try:
            while len(chunks) < 64:
                chunk = sock.recv(4096)
                if not chunk:
                    break
                chunks += chunk
        except (TimeoutError, OSError):
            pass
    return _status_of(chunks)


def run(url: str, token: str, requests: int, seed: int = 0, timeout: float = 10) -> dict[str, Any]:
    """Send `requests` generated requests; count answers by status class."""
    rng = random.Random(seed)
    parsed = urllib.parse.urlsplit(url)
    host, port = parsed.hostname or "127.0.0.1", parsed.port or 80
    statuses: Counter[str] = Counter()
    five: list[str] = []
    no_answer: list[str] = []
    for _ in range(requests):
        if rng.random() < 0.15:
            data = rng.choice(RAW)
            if rng.random() < 0.3:
                data = bytes(b if rng.random() > 0.05 else rng.randrange(256) for b in data[:2000])
            label = f"raw {data[:60]!r}"
            try:
                status = _raw(host, port, data, timeout)
            except OSError as error:
                status = None
                label += f" ({type(error).__name__})"
            if status is None and not data.strip():
                # Only blank lines: no request was made, so there is nothing to answer.
                statuses["blank, closed"] += 1
                continue
        else:
            method = rng.choice(METHODS)
            path = _path(rng)
            headers = _headers(rng, token)
            body: bytes | None = None
            if method in ("POST", "PUT", "PATCH") or rng.random() < 0.05:
                body = _commit_body(rng) if "/commit/" in path else _json_body(rng)
            # http.client sends ASCII only: other characters go percent-encoded, as clients do.
            path = urllib.parse.quote(path, safe=_SAFE)
            label = f"{method} {path[:120]}"
            connection = http.client.HTTPConnection(host, port, timeout=timeout)
            try:
                connection.putrequest(
                    method, path, skip_host="Host" in headers, skip_accept_encoding=True
                )
                for name, value in headers.items():
                    connection.putheader(name, value.encode("utf-8"))
                if body is not None:
                    connection.putheader("Content-Length", str(len(body)))
                connection.endheaders(body)
                response = connection.getresponse()
                response.read()
                status = response.status
            except (OSError, http.client.HTTPException) as error:
                status = None
                label += f" ({type(error).__name__})"
            except ValueError:
                # http.client refused to send it (e.g. a control character): not a request.
                statuses["not sent"] += 1
                continue
            finally:
                connection.close()
        if status is None:
            statuses["no answer"] += 1
            no_answer.append(label)
        else:
            statuses[f"{status // 100}xx"] += 1
            if status >= 500:
                five.append(f"{status} {label}")
    return {
        "requests": requests,
        "by_class": dict(sorted(statuses.items())),
        "5xx": len(five),
        "5xx_examples": five[:20],
        "no_answer": len(no_answer),
        "no_answer_examples": no_answer[:20],
    }


def healthy(url: str, token: str) -> bool:
    """The Hub still answers whoami and a model read correctly."""
    parsed = urllib.parse.urlsplit(url)
    try:
        connection = http.client.HTTPConnection(parsed.hostname or "", parsed.port, timeout=10)
        connection.request("GET", "/api/whoami-v2", headers={"Authorization": f"Bearer {token}"})
        whoami = connection.getresponse()
        whoami.read()
        connection.request("GET", "/api/models/NbAiLab/nb-llama-3.1-8B")
        info = connection.getresponse()
        info.read()
        connection.close()
        return whoami.status == 200 and info.status == 200
    except (OSError, http.client.HTTPException):
        return False
