"""Fuzz the local Hub over raw HTTP: generated requests, valid-looking and broken.

`python tests/localhub/fuzz.py --requests 2000 [--seed N] [--json]` starts `python -m
pipeline.localhub` on a fresh store, seeds two repos, sends the requests (hypothesis generates
them: methods, paths along the Hub's routes, queries, headers, bodies and JSON shapes, and broken
request lines and headers), then checks that the server still runs, answers a health check, stops
cleanly and leaves a consistent store. It prints one summary line (or one JSON object with
--json) and exits 0 when there was no 5xx, no answer without a status line, no crash and the
health check passed, else 1. `make test` runs a small version (test_localhub_fuzz.py).

Every request goes on a connection of its own, which the fuzzer half-closes after sending, so a
body shorter than its Content-Length ends in EOF, not a wait.
"""

from __future__ import annotations

import argparse
import base64
import json
import socket
import string
import subprocess
import sys
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any
from urllib.parse import urlencode

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import seed as hypothesis_seed
from hypothesis import strategies as st

from pipeline.localhub.auth import Tokens
from pipeline.localhub.store import Store

ROOT = Path(__file__).resolve().parents[2]
REPOS = ("NbAiLab/nb-llama", "NbAiLab/other")
TOKEN = "\x00TOKEN\x00"  # replaced by the served Hub's token when sending
CARD = "---\nlicense: llama3.1\nlanguage:\n- no\n- nb\npipeline_tag: text-generation\n---\n# x\n"

# -- strategies -----------------------------------------------------------------------------------

_ODD = [
    "",
    ".",
    "..",
    "%2E%2E",
    ".git",
    "x.git",
    "%00",
    "%ff",
    "%C2%B2",
    "%ED%A0%80",
    "a b",
    "99999999999999999999999",
    "-1",
    "0",
    "1",
    "9223372036854775808",
    "refs%2Fpr%2F1",
    "refs%2Fheads%2Fmain",
    "a" * 300,
    "\u00e9",
    "%",
    "%zz",
    "?",
    "#",
]
words = st.sampled_from(["NbAiLab", "nb-llama", "other", "main", "README.md", "x", "Other"])
segments = st.one_of(
    words,
    st.sampled_from(_ODD),
    st.sampled_from(["0" * 40, "f" * 40, "abcde"]),
    st.text(alphabet=string.ascii_letters + string.digits + "-_.~%", max_size=12),
    st.text(max_size=6).map(lambda t: "".join(f"%{b:02X}" for b in t.encode("utf-8"))),
)
_TEMPLATES = [
    "/api/whoami-v2",
    "/api/models",
    "/api/repos/create",
    "/api/validate-yaml",
    "/api/models/{}/{}",
    "/api/models/{}/{}/revision/{}",
    "/api/models/{}/{}/preupload/{}",
    "/api/models/{}/{}/commit/{}",
    "/api/models/{}/{}/commits/{}",
    "/api/models/{}/{}/refs",
    "/api/models/{}/{}/tree/{}",
    "/api/models/{}/{}/tree/{}/{}",
    "/api/models/{}/{}/discussions",
    "/api/models/{}/{}/discussions/{}",
    "/{}/{}/resolve/{}/{}",
    "/{}/{}/resolve/{}/{}/{}",
    "/api/datasets/{}/{}",
    "/_admin/counters",
    "/_admin/faults",
    "/_admin/quotas",
    "/_admin/counters/reset",
]


@st.composite
def paths(draw: st.DrawFn) -> str:
    if draw(st.integers(0, 9)) == 0:
        return "/" + "/".join(draw(st.lists(segments, max_size=8)))
    template = draw(st.sampled_from(_TEMPLATES))
    holes = template.count("{}")
    if template.startswith(("/api/models/{}/{}", "/{}/{}/resolve")) and draw(st.booleans()):
        repo = draw(st.sampled_from(REPOS)).split("/")
        values = [*repo, *draw(st.lists(segments, min_size=holes - 2, max_size=holes - 2))]
    else:
        values = draw(st.lists(segments, min_size=holes, max_size=holes))
    return template.format(*values)


_QUERY_KEYS = """expand expand[] p limit author search sort direction filter full cardData config
blobs securityStatus create_pr diff recursive type status include_prs formatted cursor""".split()
query_values = st.one_of(
    st.sampled_from(["sha", "lastModified", "cardData", "bogus", "1", "0", "true", "-1", ""]),
    st.sampled_from(_ODD),
    st.text(max_size=8),
)
queries = st.lists(
    st.tuples(st.one_of(st.sampled_from(_QUERY_KEYS), st.text(max_size=5)), query_values),
    max_size=5,
)

json_values = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(),
        st.floats(allow_nan=False),
        st.text(max_size=20),
        st.sampled_from(["yes", "private", "public", "main", "README.md", "x.git", "\ud800"]),
    ),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
_BODY_KEYS = """name organization private visibility type content files title description
pullRequest path sample size gitIgnore summary parentCommit encoding""".split()
json_objects = st.dictionaries(
    st.one_of(st.sampled_from(_BODY_KEYS), st.text(max_size=6)), json_values, max_size=6
)

readmes = st.one_of(
    st.just(CARD),
    st.sampled_from(
        [
            "# no front matter\n",
            "---\n---\n",
            "---\nlicense: [mit\n---\n",
            "---\n- a list\n---\n",
            "---\nlicense: not-a-license\n---\n",
            "---\na: " + "[" * 3000 + "]" * 3000 + "\n---\n",
            "---\na: &a [x, x, x, x]\nb: &b [*a, *a, *a, *a]\nc: [*b, *b, *b, *b]\n---\n",
            "---\nlanguage: zzz\n---\n",
            "---\n!!python/object:os.system x\n---\n",
        ]
    ),
    st.text(max_size=200).map(lambda t: "---\n" + t + "\n---\n"),
)
file_values = st.fixed_dictionaries(
    {
        "path": st.one_of(
            st.sampled_from(["README.md", "a/b.txt", "../x", ".git/x", ""]), st.text(max_size=10)
        ),
        "content": st.one_of(
            readmes.map(lambda t: base64.b64encode(t.encode()).decode()), st.text(max_size=10)
        ),
        "encoding": st.sampled_from(["base64", "utf-8", "hex", 3]),
    }
)
ndjson_lines = st.one_of(
    st.fixed_dictionaries(
        {
            "key": st.just("header"),
            "value": st.fixed_dictionaries(
                {"summary": st.one_of(st.just("Update"), json_values)},
                optional={"description": json_values, "parentCommit": json_values},
            ),
        }
    ),
    st.fixed_dictionaries({"key": st.just("file"), "value": file_values}),
    st.fixed_dictionaries(
        {
            "key": st.sampled_from(["deletedFile", "deletedFolder", "lfsFile", "copyFile", "x"]),
            "value": st.one_of(json_objects, json_values),
        }
    ),
    json_values,
)
ndjson_bodies = st.lists(ndjson_lines, max_size=4).map(
    lambda lines: b"".join(
        json.dumps(line).encode("utf-8", "surrogatepass") + b"\n" for line in lines
    )
)
bodies = st.one_of(
    st.just(b""),
    json_objects.map(lambda d: json.dumps(d).encode("utf-8", "surrogatepass")),
    json_values.map(lambda v: json.dumps(v).encode("utf-8", "surrogatepass")),
    readmes.map(lambda t: json.dumps({"content": t}).encode()),
    ndjson_bodies,
    st.binary(max_size=64),
    st.just(b"[" * 50_000 + b"]" * 50_000),
)

headers = st.dictionaries(
    st.sampled_from(
        ["Authorization", "Content-Type", "Range", "Accept", "Host", "X-Random", "Accept-Encoding"]
    ),
    st.one_of(
        st.sampled_from(
            [
                f"Bearer {TOKEN}",
                "Bearer hf_wrong",
                "Bearer",
                "Basic eDp5",
                "bytes=0-10",
                "bytes=-5",
                "bytes=5-",
                "bytes=9-1",
                "bytes=99999999999999999999-",
                "bytes=a-b",
                "items=1-2",
                "text/plain",
                "application/x-ndjson",
                "evil.example",
            ]
        ),
        st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=255), max_size=20),
    ),
    max_size=5,
)
methods = st.one_of(
    st.sampled_from(["GET", "HEAD", "POST", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "BREW"]),
    st.text(alphabet=string.ascii_uppercase, min_size=1, max_size=8),
)


@dataclass(frozen=True)
class Sent:
    """One request as bytes; `truncated`: its body is shorter than its Content-Length (the
    server then sees EOF, and closing without an answer is right)."""

    data: bytes
    truncated: bool = False


def _well_formed(
    method: str, path: str, query: list[tuple[str, str]], hdrs: dict[str, str], body: bytes
) -> Sent:
    target = path
    if query:
        target += "?" + urlencode(query)
    if path.startswith("/_admin/") and hdrs.get("Authorization") == f"Bearer {TOKEN}":
        # Admin writes with the real token would turn on faults or quotas: those 5xx/429 are the
        # instrument working, not the server failing.
        hdrs = {**hdrs, "Authorization": "Bearer hf_wrong"}
    lines = [
        f"{method} {target} HTTP/1.1",
        "Host: 127.0.0.1",
        *(f"{k}: {v}" for k, v in hdrs.items()),
    ]
    if body or method in ("POST", "PUT", "PATCH"):
        lines.append(f"Content-Length: {len(body)}")
    head = "\r\n".join(lines) + "\r\n\r\n"
    return Sent(head.encode("utf-8", "surrogateescape") + body)


@st.composite
def broken(draw: st.DrawFn) -> Sent:
    kind = draw(st.integers(0, 9))
    path = draw(paths())
    if kind == 0:
        return Sent(draw(st.binary(max_size=200)))
    if kind == 1:
        return Sent(f"GET {path}\r\n\r\n".encode("utf-8", "surrogateescape"))  # no version
    if kind == 2:
        version = draw(
            st.sampled_from(["HTTP/9.9", "HTTP/1", "HTTP/1.1 x", "http/1.1", "HTTP/", "FTP/1.0"])
        )
        return Sent(f"GET {path} {version}\r\n\r\n".encode("utf-8", "surrogateescape"))
    if kind == 3:
        return Sent(
            f"GET {path} HTTP/1.1\r\nno colon here\r\n\r\n".encode("utf-8", "surrogateescape")
        )
    if kind == 4:
        return Sent(
            f"GET {path} HTTP/1.1\r\nX-Big: {'a' * 70_000}\r\n\r\n".encode(
                "utf-8", "surrogateescape"
            )
        )
    if kind == 5:
        many = "".join(f"X-{i}: y\r\n" for i in range(120))
        return Sent(f"GET {path} HTTP/1.1\r\n{many}\r\n".encode("utf-8", "surrogateescape"))
    if kind == 6:
        length = draw(st.sampled_from(["-1", "x", "\u00b2", "1e3", "99999999999999999999", "5, 5"]))
        return Sent(
            f"POST {path} HTTP/1.1\r\nContent-Length: {length}\r\n\r\n{{}}".encode("latin-1")
        )
    if kind == 7:
        body = draw(bodies)
        cut = draw(st.integers(0, max(len(body) - 1, 0)))
        lines = [f"Authorization: Bearer {TOKEN}", f"Content-Length: {len(body) + 10}"]
        return Sent(_raw("POST", path, lines, body[:cut]), truncated=True)
    if kind == 8:
        chunked = b"2\r\n{}\r\n0\r\n\r\n"
        return Sent(_raw("POST", path, ["Transfer-Encoding: chunked"], chunked))
    return Sent(f"GET {path} HTTP/1.1\nHost: x\n\n".encode("utf-8", "surrogateescape"))  # bare LF


revisions = st.one_of(
    st.sampled_from(["main", "main", "refs%2Fpr%2F1", "refs%2Fpr%2F2", "refs%2Fheads%2Fmain"]),
    segments,
)
create_bodies = st.fixed_dictionaries(
    {"name": st.one_of(st.sampled_from(["m1", "m2", "x.git", "a--b", ""]), segments)},
    optional={
        "organization": st.sampled_from(["NbAiLab", "Other", None, 3]),
        "private": st.one_of(st.booleans(), json_values),
        "visibility": st.sampled_from(["public", "private", "secret"]),
        "type": st.sampled_from(["model", "dataset"]),
    },
)
commit_bodies = st.tuples(
    st.fixed_dictionaries(
        {"summary": st.sampled_from(["Update card", "", "x"])},
        optional={
            "description": st.text(max_size=10),
            "parentCommit": st.sampled_from(["0" * 40, "abcde", "zz"]),
        },
    ),
    st.lists(
        st.one_of(file_values.map(lambda v: {"key": "file", "value": v}), ndjson_lines), max_size=3
    ),
).map(
    lambda hf: b"".join(
        json.dumps(line).encode("utf-8", "surrogatepass") + b"\n"
        for line in [{"key": "header", "value": hf[0]}, *hf[1]]
    )
)
discussion_bodies = st.fixed_dictionaries(
    {"title": st.one_of(st.just("A title"), json_values)},
    optional={"description": json_values, "pullRequest": st.one_of(st.booleans(), json_values)},
)
comment_bodies = st.fixed_dictionaries(
    {}, optional={"comment": st.one_of(st.just("A comment"), json_values)}
)
status_bodies = st.fixed_dictionaries(
    {"status": st.one_of(st.sampled_from(["open", "closed", "merged"]), json_values)},
    optional={"comment": st.one_of(st.just("A reason"), json_values)},
)
preupload_bodies = st.fixed_dictionaries(
    {
        "files": st.one_of(
            st.lists(
                st.fixed_dictionaries(
                    {
                        "path": file_values.map(lambda v: v["path"]),
                        "sample": st.just(""),
                        "size": st.integers(),
                    }
                ),
                max_size=3,
            ),
            json_values,
        )
    }
)
branch_bodies = st.fixed_dictionaries(
    {}, optional={"startingPoint": st.one_of(st.sampled_from(["main", "abcde", "v1"]), json_values)}
)
tag_bodies = st.fixed_dictionaries(
    {"tag": st.one_of(st.sampled_from(["v1", "bad tag", "refs/x"]), json_values)},
    optional={"message": st.one_of(st.just("A release"), json_values)},
)
settings_bodies = st.fixed_dictionaries(
    {},
    optional={
        "gated": st.one_of(st.sampled_from(["auto", "manual", False, "no"]), json_values),
        "visibility": st.one_of(st.sampled_from(["public", "private", "protected"]), json_values),
    },
)


def _json_body(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[bytes]:
    return strategy.map(lambda d: json.dumps(d).encode("utf-8", "surrogatepass"))


# (method, path template over {repo} and {rev}, body) as the client sends them.
_ROUTES: list[tuple[str, str, st.SearchStrategy[bytes]]] = [
    ("GET", "/api/whoami-v2", st.just(b"")),
    ("GET", "/api/models", st.just(b"")),
    ("POST", "/api/repos/create", _json_body(create_bodies)),
    ("POST", "/api/validate-yaml", readmes.map(lambda t: json.dumps({"content": t}).encode())),
    ("GET", "/api/models/{repo}", st.just(b"")),
    ("GET", "/api/models/{repo}/revision/{rev}", st.just(b"")),
    ("POST", "/api/models/{repo}/preupload/{rev}", _json_body(preupload_bodies)),
    ("POST", "/api/models/{repo}/commit/{rev}", commit_bodies),
    ("GET", "/api/models/{repo}/commits/{rev}", st.just(b"")),
    ("GET", "/api/models/{repo}/refs", st.just(b"")),
    ("POST", "/api/models/{repo}/branch/{rev}", _json_body(branch_bodies)),
    ("DELETE", "/api/models/{repo}/branch/{rev}", st.just(b"")),
    ("POST", "/api/models/{repo}/tag/{rev}", _json_body(tag_bodies)),
    ("DELETE", "/api/models/{repo}/tag/{rev}", st.just(b"")),
    ("PUT", "/api/models/{repo}/settings", _json_body(settings_bodies)),
    ("GET", "/api/models/{repo}/tree/{rev}", st.just(b"")),
    ("GET", "/api/models/{repo}/discussions", st.just(b"")),
    ("POST", "/api/models/{repo}/discussions", _json_body(discussion_bodies)),
    ("GET", "/api/models/{repo}/discussions/{num}", st.just(b"")),
    ("POST", "/api/models/{repo}/discussions/{num}/comment", _json_body(comment_bodies)),
    ("POST", "/api/models/{repo}/discussions/{num}/status", _json_body(status_bodies)),
    ("POST", "/api/models/{repo}/discussions/{num}/merge", _json_body(comment_bodies)),
    ("GET", "/{repo}/resolve/{rev}/README.md", st.just(b"")),
    ("HEAD", "/{repo}/resolve/{rev}/README.md", st.just(b"")),
]


@st.composite
def plausible(draw: st.DrawFn) -> Sent:
    """What the client would send, with the odd value: the paths that reach the store."""
    method, template, body = draw(st.sampled_from(_ROUTES))
    path = template.format(
        repo=draw(st.sampled_from([*REPOS, "NbAiLab/m1", "Other/missing"])),
        rev=draw(revisions),
        num=draw(st.one_of(st.sampled_from(["1", "2", "3"]), segments)),
    )
    hdrs = draw(headers)
    if draw(st.integers(0, 4)):
        hdrs["Authorization"] = f"Bearer {TOKEN}"
    query = draw(queries) if draw(st.booleans()) else []
    if "/commit/" in path and draw(st.booleans()):
        query.append(("create_pr", "1"))
    return _well_formed(method, path, query, hdrs, draw(body))


@st.composite
def requests(draw: st.DrawFn) -> Sent:
    kind = draw(st.integers(0, 4))
    if kind == 0:
        return draw(broken())
    if kind in (1, 2):
        return draw(plausible())
    return _well_formed(draw(methods), draw(paths()), draw(queries), draw(headers), draw(bodies))


# -- the server and the run -----------------------------------------------------------------------


@dataclass
class Report:
    requests: int = 0
    statuses: dict[str, int] = field(default_factory=dict)  # "2xx", "4xx", ... and "closed"
    server_errors: int = 0  # 5xx answers
    no_status_line: int = 0  # an answer that does not start with a status line
    unanswered: int = 0  # closed without an answer though the request was whole
    timeouts: int = 0
    crashed: bool = False
    health_ok: bool = False
    store_problems: list[str] = field(default_factory=list)
    seconds: float = 0.0
    first_failures: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return (
            self.requests > 0
            and not (self.server_errors or self.no_status_line or self.unanswered or self.timeouts)
            and not self.crashed
            and self.health_ok
            and not self.store_problems
        )

    def line(self) -> str:
        counts = ", ".join(f"{k} {v}" for k, v in sorted(self.statuses.items()))
        verdict = "ok" if self.ok else "FAILED"
        crashed = "yes" if self.crashed else "no"
        health = "ok" if self.health_ok else "FAILED"
        store = "INCONSISTENT" if self.store_problems else "consistent"
        return (
            f"local Hub fuzz: {verdict}: {self.requests} requests in {self.seconds:.1f} s"
            f" ({counts}); 5xx {self.server_errors}, no status line {self.no_status_line},"
            f" unanswered {self.unanswered}, timeouts {self.timeouts}, crashed {crashed},"
            f" health check {health}, store {store}"
        )

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "ok": self.ok}


class Served:
    """`python -m pipeline.localhub` on `root`, in a process of its own (a crash is visible)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.process = subprocess.Popen(
            [sys.executable, "-m", "pipeline.localhub", "--root", str(root), "--port", "0"],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if "serving at" not in line:
            self.stop()
            raise RuntimeError(f"the local Hub did not start: {line!r}")
        host_port = line.split()[-1].removeprefix("http://")
        host, port = host_port.rsplit(":", 1)
        self.address = (host, int(port))
        self.token = Tokens(root / "tokens").first()

    def send(self, data: bytes, timeout: float = 30) -> bytes | None:
        """The whole answer (until the server closes), or None on a timeout."""
        data = data.replace(TOKEN.encode(), self.token.encode())
        with socket.create_connection(self.address, timeout=timeout) as sock:
            try:
                sock.sendall(data)
                sock.shutdown(socket.SHUT_WR)
            except OSError:
                pass  # the server answered and closed before reading everything: read the answer
            chunks = []
            try:
                while chunk := sock.recv(65536):
                    chunks.append(chunk)
            except TimeoutError:
                return None
            except ConnectionResetError:
                pass
        return b"".join(chunks)

    def alive(self) -> bool:
        return self.process.poll() is None

    def stop(self) -> int:
        self.process.terminate()
        try:
            return self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            return self.process.wait()
        finally:
            if self.process.stdout is not None:
                self.process.stdout.close()


def _raw(method: str, target: str, header_lines: list[str], body: bytes = b"") -> bytes:
    head = "\r\n".join([f"{method} {target} HTTP/1.1", *header_lines]) + "\r\n\r\n"
    return head.encode("utf-8", "surrogateescape") + body


def json_request(method: str, path: str, body: object = None) -> bytes:
    data = b"" if body is None else json.dumps(body).encode()
    lines = ["Host: x", f"Authorization: Bearer {TOKEN}", f"Content-Length: {len(data)}"]
    return _raw(method, path, lines, data)


def status_of(answer: bytes) -> int | None:
    first = answer.split(b"\r\n", 1)[0].split(b" ")
    if len(first) >= 2 and first[0] in (b"HTTP/1.0", b"HTTP/1.1") and first[1].isdigit():
        return int(first[1])
    return None


def _seed(server: Served) -> None:
    for repo in REPOS:
        namespace, name = repo.split("/")
        server.send(
            json_request("POST", "/api/repos/create", {"name": name, "organization": namespace})
        )
        commit = [
            {"key": "header", "value": {"summary": "Seed", "description": ""}},
            {"key": "file", "value": {"path": "README.md", "content": CARD, "encoding": "utf-8"}},
        ]
        data = b"".join(json.dumps(line).encode() + b"\n" for line in commit)
        lines = [f"Authorization: Bearer {TOKEN}", f"Content-Length: {len(data)}"]
        server.send(_raw("POST", f"/api/models/{repo}/commit/main", lines, data))


def _healthy(server: Served) -> bool:
    """Reads and a write still work after the fuzz."""
    checks = [
        json_request("GET", "/api/whoami-v2"),
        json_request("GET", f"/api/models/{REPOS[0]}"),
        json_request("GET", "/api/models?expand=sha"),
        json_request("POST", "/api/repos/create", {"name": "health-check", "organization": "Fuzz"}),
        json_request("GET", "/api/models/Fuzz/health-check"),
    ]
    return all(status_of(server.send(check, timeout=10) or b"") == 200 for check in checks)


def run(requests_wanted: int, seed: int = 0, *, strict: bool = False) -> Report:
    """Fuzz a fresh served local Hub with `requests_wanted` generated requests.

    strict: fail at the first bad answer (inside hypothesis, which then shrinks the request).
    """
    report = Report()
    statuses: Counter[str] = Counter()
    with TemporaryDirectory(prefix="localhub-fuzz-") as tmp:
        root = Path(tmp) / "hub"
        server = Served(root)
        started = time.monotonic()
        try:
            _seed(server)

            @settings(
                max_examples=requests_wanted,
                deadline=None,
                database=None,
                phases=[Phase.generate, Phase.shrink] if strict else [Phase.generate],
                suppress_health_check=list(HealthCheck),
            )
            @hypothesis_seed(seed)
            @given(requests())
            def one(sent: Sent) -> None:
                if report.crashed:
                    return
                report.requests += 1
                answer = server.send(sent.data)
                problem = None
                if answer is None:
                    report.timeouts += 1
                    problem = "timeout"
                elif not answer:
                    statuses["closed"] += 1
                    # A blank request has nothing to answer; http.server closes, as servers do.
                    if not sent.truncated and sent.data.strip():
                        report.unanswered += 1
                        problem = "closed without an answer"
                else:
                    status = status_of(answer)
                    if status is None:
                        report.no_status_line += 1
                        problem = "no status line"
                    else:
                        statuses[f"{status // 100}xx"] += 1
                        if status >= 500:
                            report.server_errors += 1
                            problem = f"status {status}"
                if not server.alive():
                    report.crashed = True
                    problem = "the server process died"
                if problem is not None:
                    if len(report.first_failures) < 5:
                        report.first_failures.append(f"{problem}: {sent.data[:300]!r}")
                    if strict:
                        raise AssertionError(f"{problem} for {sent.data[:500]!r}")

            one()
            report.health_ok = server.alive() and _healthy(server)
        finally:
            report.crashed = report.crashed or not server.alive()
            server.stop()
            report.seconds = time.monotonic() - started
        store = Store(root)
        try:
            report.store_problems = store.check()
        finally:
            store.close()
    report.statuses = dict(statuses)
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--requests", type=int, default=2000, help="how many (default 2000)")
    parser.add_argument("--seed", type=int, default=0, help="hypothesis seed (default 0)")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead")
    args = parser.parse_args(argv)
    report = run(args.requests, args.seed)
    print(json.dumps(report.to_json()) if args.json else report.line())
    if not args.json:
        for failure in report.first_failures:
            print(f"  {failure}")
    return 0 if report.ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
