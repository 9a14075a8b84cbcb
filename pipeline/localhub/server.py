"""The HTTP side: a ThreadingHTTPServer whose handler parses, counts, injects faults, checks the
token and hands a `Request` to the route's handler. Bad input is a 4xx, never a crash.
"""

from __future__ import annotations

import contextlib
import json
import logging
import re
import socket
import threading
import time
import traceback
from collections.abc import Iterable, Iterator
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, unquote, urlencode

from pipeline.errors import PipelineError
from pipeline.localhub import problems, routes
from pipeline.localhub.auth import Access
from pipeline.localhub.faults import LISTING_ROUTES, Counters, FaultConfig, FaultPlan
from pipeline.localhub.lfs import CHUNK, MAX_LFS_OBJECT
from pipeline.localhub.problems import HubProblem
from pipeline.localhub.quotas import Quota, QuotaBook, quotas_from_json
from pipeline.localhub.views import Context, commit_at, visible_repo
from pipeline.localhub.wire import (
    Request,
    Response,
    header_safe,
    json_response,
    problem_response,
)

log = logging.getLogger("pipeline.localhub")


def _quota_json(quotas: Iterable[Quota]) -> dict[str, str]:
    return {quota.bucket: f"{quota.limit}/{quota.window_s}" for quota in quotas}


MAX_BODY = 10 * 1024 * 1024  # the Hub's inline-commit bodies are small; bigger ones are 413
# The routes whose body is streamed to the handler (up to MAX_LFS_OBJECT), never held in memory.
STREAMED_ROUTES = frozenset({"lfs_upload"})
_BEARER = re.compile(r"^Bearer\s+(\S+)\s*$", re.IGNORECASE)
# A lying Hub's JSON of the wrong shape: a repo with an id and sha of the wrong types, and items
# that are no objects at all.
WRONG_JSON = b'[{"id": 5, "sha": ["x"]}, "str", null]'


class _BodyStream:
    """A request body read in chunks as the handler consumes it: `length` bytes, or HTTP/1.1
    chunked transfer coding when `length` is None. `done` once the whole body was read."""

    def __init__(self, rfile: Any, length: int | None) -> None:
        self._rfile = rfile
        self._length = length
        self.done = length == 0

    def chunks(self) -> Iterator[bytes]:
        if self._length is None:
            yield from self._chunked()
            return
        left = self._length
        while left > 0:
            chunk = self._rfile.read(min(CHUNK, left))
            if not chunk:
                raise ConnectionError("the client closed the connection mid-body")
            left -= len(chunk)
            yield chunk
        self.done = True

    def _chunked(self) -> Iterator[bytes]:
        total = 0
        while True:
            line = self._rfile.readline(1024).split(b";")[0].strip()
            try:
                size = int(line, 16)
            except ValueError:
                raise problems.bad_request("The chunked body is malformed") from None
            if size == 0:
                while self._rfile.readline(1024) not in (b"\r\n", b"\n", b""):
                    pass  # trailers, ignored
                self.done = True
                return
            total += size
            if total > MAX_LFS_OBJECT:
                raise HubProblem(413, f"The request body is over {MAX_LFS_OBJECT} bytes")
            while size > 0:
                chunk = self._rfile.read(min(CHUNK, size))
                if not chunk:
                    raise ConnectionError("the client closed the connection mid-body")
                size -= len(chunk)
                yield chunk
            self._rfile.readline(16)  # the CRLF after each chunk


class HubServer(ThreadingHTTPServer):
    """Holds what handlers share, and tracks connections so `stop` can end idle keep-alives."""

    daemon_threads = False  # server_close() waits for requests in flight
    block_on_close = True

    def __init__(
        self,
        address: tuple[str, int],
        ctx: Context,
        faults: FaultConfig | None,
        ipv6: bool,
        quotas: Iterable[Quota] = (),
    ) -> None:
        self.address_family = socket.AF_INET6 if ipv6 else socket.AF_INET
        super().__init__(address, HubHandler)
        self.ctx = ctx
        self.counters = Counters()
        self.fault_plan = FaultPlan(faults)
        self.quotas = QuotaBook(quotas)
        self._open: set[socket.socket] = set()
        self._open_lock = threading.Lock()
        host, port = str(self.server_address[0]), int(self.server_address[1])
        netloc = f"[{host}]:{port}" if ipv6 else f"{host}:{port}"
        self.base_url = f"http://{netloc}"
        # The names of this very server a client may have used: its address and, on loopback,
        # localhost. The client parses returned URLs against its own endpoint (a repo URL on
        # another host is refused), so a client of http://localhost:P needs localhost URLs.
        self.own_urls = {netloc: self.base_url}
        if host in ("127.0.0.1", "::1"):
            self.own_urls[f"localhost:{port}"] = f"http://localhost:{port}"

    def url_for(self, host_header: str | None) -> str:
        """The server's URL under the name the client used if it is one of the server's own,
        else its address: a Host header is matched, never copied into an answer."""
        return self.own_urls.get((host_header or "").strip().lower(), self.base_url)

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._open_lock:
            self._open.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._open_lock:
            self._open.discard(request)
        super().shutdown_request(request)

    def end_idle_connections(self) -> None:
        """Wake handlers blocked reading the next keep-alive request; answers in flight still go."""
        with self._open_lock:
            for sock in self._open:
                with contextlib.suppress(OSError):  # already closed by the client
                    sock.shutdown(socket.SHUT_RD)

    def handle_error(self, request: Any, client_address: Any) -> None:
        log.debug("connection error from %s:\n%s", client_address, traceback.format_exc())


class HubHandler(BaseHTTPRequestHandler):
    server: HubServer
    protocol_version = "HTTP/1.1"  # keep-alive, as the client's connection pool expects
    server_version = "nb-release-localhub"
    sys_version = ""
    timeout = 120  # an idle or stalled connection does not hold a thread forever
    _headers_buffer: list[bytes]  # http.server's own, undeclared in its stubs; _send uses it

    def setup(self) -> None:
        super().setup()
        # Without TCP_NODELAY a response written after the client's last small packet waits for
        # its delayed ACK (Nagle): about 40 ms on every answer with a body, on loopback too.
        with contextlib.suppress(OSError):  # not a TCP socket (never, but harmless)
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def __getattr__(self, name: str) -> Any:
        # Every method reaches the router, so an odd one is a 405 rather than http.server's 501.
        if name.startswith("do_"):
            return self._serve
        raise AttributeError(name)

    def log_message(self, format: str, *args: Any) -> None:
        # The request line holds no token (tokens travel in a header, which is never logged).
        log.debug("%s %s", self.address_string(), format % args)

    def parse_request(self) -> bool:
        # RFC 9112 section 2.2: a server SHOULD ignore at least one empty line before the
        # request line (left over from a previous request); http.server closes without a word.
        first: bytes = getattr(self, "raw_requestline", b"")  # set by handle_one_request
        if first in (b"\r\n", b"\n"):
            self.raw_requestline = self.rfile.readline(65537)
        return super().parse_request()

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """http.server's own errors (bad request line, headers too long) as JSON 4xx.

        Its 505 (bad HTTP version) and 501 are the client's mistake here, so they become 400.
        """
        status = 400 if code >= 500 else code
        if self.request_version == "HTTP/0.9":
            # An unparsable version leaves http.server at 0.9, which sends no status line at all.
            self.request_version = "HTTP/1.0"
        text = message or HTTPStatus(status).phrase
        self.close_connection = True
        self._send(json_response({"error": text}, status, {"X-Error-Message": header_safe(text)}))

    def _serve(self) -> None:
        if self.request_version == "HTTP/0.9":
            # `GET /path` with no version: http.server would answer with a bare body, no status
            # line. The Hub (HTTP/1.1 and 2 only) refuses it, with a status line the client reads.
            self.send_error(400, "The request line needs an HTTP version (HTTP/0.9 is not served)")
            return
        try:
            self._serve_one()
        except (ConnectionError, TimeoutError):
            self.close_connection = True
        except Exception:
            # A bug, not bad input: say so (500) rather than hide it, and keep serving.
            log.exception("local Hub bug while serving %s %s", self.command, self.path)
            self.close_connection = True
            self._send(json_response({"error": "Internal error in the local Hub"}, 500))

    def _serve_one(self) -> None:
        method = self.command
        raw_path, _, query = self.path.partition("?")
        raw_path = raw_path.partition("#")[0]
        if not raw_path.startswith("/"):
            self._send(problem_response(problems.bad_request("The path must start with '/'")))
            return
        segments = tuple(unquote(segment) for segment in raw_path.split("/")[1:])
        if segments and segments[0] == "_admin":
            self._send(self._admin(method, segments, raw_path, query))
            return
        found = routes.match(method, segments)
        self.server.counters.count(found.route, method)
        self.server.counters.enter(found.route)
        try:
            self._serve_route(found, method, raw_path, segments, query)
        finally:
            self.server.counters.leave(found.route)

    def _serve_route(
        self, found: routes.Match, method: str, raw_path: str, segments: tuple[str, ...], query: str
    ) -> None:
        refusal, rate_headers = self.server.quotas.take(found.route)
        if refusal is not None:
            self.close_connection = True  # the body is not read
            self._send(problem_response(HubProblem(429, refusal.message, headers=rate_headers)))
            return
        if self._inject(found.route):
            return
        request: Request | None = None
        body: _BodyStream | None = None
        try:
            if found.route in STREAMED_ROUTES and found.handler is not None:
                body = self._body_stream()
            request = self._request(method, raw_path, segments, query, body)
            response = self._lying_commit(found, request) or self._dispatch(found, request)
        except HubProblem as problem:
            response = problem_response(problem)
        if body is not None and not body.done:
            self.close_connection = True  # the rest of the body was not read
        response = self._lie(found.route, response)
        response.headers.update(rate_headers)
        if (
            request is not None
            and response.status == 200
            and self._lie_wire(found.route, request, response)
        ):
            return
        self._send(response)

    def _dispatch(self, found: routes.Match, request: Request) -> Response:
        if found.handler is None:
            if found.route == "unknown":
                where = " ".join(request.segments[:2])
                if where in ("api datasets", "api spaces"):
                    raise HubProblem(404, "The local Hub serves model repos only")
                raise HubProblem(404, f"Not found: {request.method} {request.raw_path}")
            allowed = ", ".join(found.allowed)
            raise HubProblem(
                405, f"{request.method} is not allowed here", headers={"Allow": allowed}
            )
        return routes.call(found.handler, self.server.ctx, request, found.args)

    def _request(
        self,
        method: str,
        raw_path: str,
        segments: tuple[str, ...],
        query: str,
        stream: _BodyStream | None = None,
    ) -> Request:
        body = self._body() if stream is None else b""
        headers = {name.lower(): value for name, value in self.headers.items()}
        access = self._access(headers.get("authorization"))
        return Request(
            method=method,
            raw_path=raw_path,
            segments=segments,
            query=tuple(parse_qsl(query, keep_blank_values=True)),
            headers=headers,
            body=body,
            user=access.user if access else None,
            # One of the server's own URLs, never the Host header as sent: a client must not be
            # able to make the Hub hand out links to another host.
            base_url=self.server.url_for(headers.get("host")),
            body_stream=None if stream is None else stream.chunks(),
            access=access,
        )

    def _body_stream(self) -> _BodyStream:
        """The body of a streamed route: by Content-Length or chunked, up to MAX_LFS_OBJECT."""
        chunked = (self.headers.get("Transfer-Encoding") or "").strip().lower()
        if chunked:
            if chunked != "chunked":
                self.close_connection = True
                raise problems.bad_request(f"Unsupported Transfer-Encoding {chunked!r}")
            return _BodyStream(self.rfile, None)
        length = (self.headers.get("Content-Length") or "0").strip()
        if not (length.isascii() and length.isdigit()):
            self.close_connection = True
            raise problems.bad_request(f"Invalid Content-Length {length!r}")
        if int(length) > MAX_LFS_OBJECT:
            self.close_connection = True
            raise HubProblem(413, f"The request body is over {MAX_LFS_OBJECT} bytes")
        return _BodyStream(self.rfile, int(length))

    def _body(self) -> bytes:
        if self.headers.get("Transfer-Encoding"):
            self.close_connection = True
            raise HubProblem(411, "Send the body with a Content-Length (chunked is not supported)")
        length = (self.headers.get("Content-Length") or "0").strip()
        if not (length.isascii() and length.isdigit()):
            self.close_connection = True
            raise problems.bad_request(f"Invalid Content-Length {length!r}")
        size = int(length)
        if size > MAX_BODY:
            # The body is not read, so the connection cannot be reused.
            self.close_connection = True
            raise HubProblem(413, f"The request body is over {MAX_BODY // (1024 * 1024)} MiB")
        body = self.rfile.read(size)
        if len(body) != size:
            raise ConnectionError("the client closed the connection mid-body")
        return body

    def _access(self, authorization: str | None) -> Access | None:
        if authorization is None:
            return None
        found = _BEARER.match(authorization)
        access = self.server.ctx.tokens.access(found.group(1)) if found else None
        if access is None:
            # As the Hub: a bad token is refused even where no token is needed.
            raise problems.unauthorized()
        return access

    def _inject(self, route: str) -> bool:
        """Sleep the configured latency; answer with an injected fault if one is drawn."""
        plan = self.server.fault_plan
        decision = plan.decide(route)
        if decision.delay_s:
            time.sleep(decision.delay_s)
        if decision.fault is None:
            return False
        self.server.counters.count_fault(decision.fault)
        self.close_connection = True  # the body is not read
        if decision.fault == "drop":
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)
            return True
        status = int(decision.fault)
        message = f"Injected fault: {status} {HTTPStatus(status).phrase}"
        headers = {"X-Error-Message": message}
        if status == 429:
            headers["Retry-After"] = plan.config.retry_after_date or str(plan.config.retry_after)
        self._send(json_response({"error": message}, status, headers))
        return True

    # --- lying answers (FaultConfig.drop_headers, commit_answer, frozen_listing) -------------

    def _lying_commit(self, found: routes.Match, request: Request) -> Response | None:
        """commit_answer = "parent": nothing is committed; the answer names the current head."""
        config = self.server.fault_plan.config
        if found.route != "commit" or config.commit_answer != "parent" or len(found.args) != 3:
            return None
        namespace, name, revision = found.args
        repo = visible_repo(self.server.ctx, request, namespace, name)
        head = commit_at(self.server.ctx, repo, revision)
        base = f"{request.base_url}/{repo.repo_id}"
        return json_response(
            {
                "success": True,
                "commitOid": head,
                "commitUrl": f"{base}/commit/{head}",
                "hookOutput": "",
                "pullRequestUrl": None,
            }
        )

    def _lie(self, route: str, response: Response) -> Response:
        """The answer as a lying proxy or Hub would give it (unchanged without those options)."""
        plan = self.server.fault_plan
        config = plan.config
        if route == "resolve" and config.drop_headers:
            dropped = {name.lower() for name in config.drop_headers}
            response.headers = {
                k: v for k, v in response.headers.items() if k.lower() not in dropped
            }
        if route == "commit" and config.commit_answer == "html" and response.status == 200:
            page = b"<!DOCTYPE html><html><body><h1>Committed</h1></body></html>"
            return Response(200, page, "text/html; charset=utf-8")
        if route == "list_models" and config.frozen_listing and response.status == 200:
            items = json.loads(response.body)
            for item in items:
                if isinstance(item, dict) and "sha" in item:
                    item["sha"] = plan.frozen.sha(str(item["id"]), str(item["sha"]))
            response.body = json.dumps(items, ensure_ascii=False).encode("utf-8")
        return response

    # --- a lying Hub (FaultConfig's trickle_ms, endless_body, next_link, wrong_shape) -------

    def _lie_wire(self, route: str, request: Request, response: Response) -> bool:
        """Make a 200 answer hostile as configured; True when it was sent here."""
        config = self.server.fault_plan.config
        if config.route is not None and route != config.route:
            return False
        if config.next_link and route in LISTING_ROUTES:
            url = config.next_link
            if url == "self":
                query = f"?{urlencode(request.query)}" if request.query else ""
                url = f"{request.base_url}{request.raw_path}{query}"
            response.headers["Link"] = f'<{url}>; rel="next"'
        if config.wrong_shape and response.content_type.startswith("application/json"):
            if config.wrong_shape == "html":
                response.content_type = "text/html; charset=utf-8"
                response.body = b"<!DOCTYPE html><html><body><h1>Service notice</h1></body></html>"
            else:
                response.body = WRONG_JSON
        if route == "resolve" and request.method == "GET" and response.stream_length is None:
            if config.endless_body:
                self._send_endless(response)
                return True
            if config.trickle_ms:
                self._send_trickled(response, config.trickle_ms / 1000)
                return True
        return False

    def _send_head(self, response: Response, length: int | None) -> None:
        self.close_connection = True
        self.send_response(response.status)
        self.send_header("Content-Type", response.content_type)
        if length is not None:
            self.send_header("Content-Length", str(length))
        for name, value in response.headers.items():
            self.send_header(name, value)
        self.send_header("Connection", "close")
        self.end_headers()

    def _send_trickled(self, response: Response, pause_s: float) -> None:
        """The body one byte at a time, `pause_s` apart, until it ends or the client leaves."""
        self._send_head(response, len(response.body))
        with contextlib.suppress(OSError):
            for offset in range(len(response.body)):
                self.wfile.write(response.body[offset : offset + 1])
                self.wfile.flush()
                time.sleep(pause_s)

    def _send_endless(self, response: Response) -> None:
        """A body without a length that never ends (until the client leaves)."""
        self._send_head(response, None)
        chunk = (response.body or b"x") * (65536 // max(1, len(response.body)) + 1)
        with contextlib.suppress(OSError):
            while True:
                self.wfile.write(chunk)

    def _admin(self, method: str, segments: tuple[str, ...], raw_path: str, query: str) -> Response:
        """/_admin/counters (GET: requests, faults and quota use), /_admin/counters/reset (POST),
        /_admin/faults and /_admin/quotas (GET; POST to replace, null to turn off)."""
        server = self.server
        try:
            where = "/".join(segments[1:])
            if method == "GET" and where == "counters":
                return json_response(
                    {**server.counters.to_json(), "quotas": server.quotas.to_json()}
                )
            if method == "GET" and where == "faults":
                return json_response(server.fault_plan.config.to_json())
            if method == "GET" and where == "quotas":
                return json_response(_quota_json(server.quotas.quotas()))
            if method != "POST" or where not in ("counters/reset", "faults", "quotas"):
                raise HubProblem(404, f"Not found: {method} {raw_path}")
            request = self._request(method, raw_path, segments, query)
            request.require_user()  # changing counters, faults or quotas is a write
            if where == "counters/reset":
                server.counters.reset()
                return json_response({"ok": True})
            data = request.json()
            try:
                if where == "quotas":
                    server.quotas.set(() if data is None else quotas_from_json(data))
                    return json_response(_quota_json(server.quotas.quotas()))
                config = None if data is None else FaultConfig.from_json(data)
            except (PipelineError, TypeError) as error:
                raise problems.bad_request(str(error)) from None
            server.fault_plan = FaultPlan(config)
            return json_response(server.fault_plan.config.to_json())
        except HubProblem as problem:
            return problem_response(problem)

    def _send(self, response: Response) -> None:
        self.send_response(response.status)
        self.send_header("Content-Type", response.content_type)
        self.send_header("Content-Length", str(response.length))
        for name, value in response.headers.items():
            self.send_header(name, value)
        if self.close_connection:
            self.send_header("Connection", "close")
        # One write for the status line, headers and body (end_headers() would send the headers
        # alone): with TCP_NODELAY, two writes are two packets and the client waits on both.
        self._headers_buffer.append(b"\r\n")
        sends_body = self.command != "HEAD" and not response.head_only
        if sends_body:
            self._headers_buffer.append(response.body)
        self.wfile.write(b"".join(self._headers_buffer))
        self._headers_buffer = []
        if sends_body and response.stream_length is not None:
            for chunk in response.stream:
                self.wfile.write(chunk)
