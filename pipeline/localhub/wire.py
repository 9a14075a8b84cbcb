"""Requests and responses as the handlers see them, and the Hub's error and paging shapes."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar
from urllib.parse import urlencode

from pipeline.localhub import problems
from pipeline.localhub.auth import Access
from pipeline.localhub.problems import HubProblem

T = TypeVar("T")

# Bodies the Hub's clients send are a few levels deep; far deeper is an attack on the parser.
MAX_JSON_DEPTH = 64
_ESCAPED_SURROGATE = re.compile(r"\\u[dD][89a-fA-F]")
_DIGITS = re.compile(r"[0-9]{1,18}")  # below 2**63: SQLite's INTEGER and every size here


def whole_number(text: str | None) -> int | None:
    """`text` as a non-negative integer if it is 1-18 ASCII digits, else None.

    str.isdigit() also accepts '²' and other digits int() refuses, and SQLite's INTEGER stops at
    2**63, so a number from a request goes through here.
    """
    return int(text) if text is not None and _DIGITS.fullmatch(text) else None


def load_json(text: str, what: str) -> Any:
    """Parse JSON from a request; raise a 400 naming `what` for anything the Hub would refuse."""
    try:
        data = json.loads(text)
    except RecursionError:
        raise problems.bad_request(f"{what} is nested too deeply") from None
    except ValueError as error:
        raise problems.bad_request(f"{what} is not valid JSON: {error}") from None
    if _depth_over(data, MAX_JSON_DEPTH):
        raise problems.bad_request(f"{what} is nested too deeply (over {MAX_JSON_DEPTH} levels)")
    if _ESCAPED_SURROGATE.search(text):
        try:
            json.dumps(data, ensure_ascii=False).encode("utf-8")
        except UnicodeEncodeError:
            # "\\ud800" alone is valid JSON but no UTF-8 text: it could never be stored or sent.
            raise problems.bad_request(
                f"{what} holds a lone surrogate escape (\\uD800-\\uDFFF)"
            ) from None
    return data


def _depth_over(data: Any, limit: int) -> bool:
    """True if containers nest deeper than `limit` (iterative: no recursion to exhaust)."""
    stack = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict):
            value = list(value.values())
        if isinstance(value, list):
            if depth > limit:
                return True
            stack.extend((item, depth + 1) for item in value)
    return False


@dataclass(frozen=True)
class Request:
    method: str
    raw_path: str  # as sent, still percent-encoded, without the query
    segments: tuple[str, ...]  # split on "/" first, then each segment unquoted
    query: tuple[tuple[str, str], ...]
    headers: dict[str, str]  # lower-case names
    body: bytes
    user: str | None  # the token's user; None without a token
    base_url: str  # "http://host:port", for absolute links and URLs
    # The body, unread, in chunks: for the one route that takes large bodies (an LFS upload),
    # whose `body` is then empty.
    body_stream: Iterator[bytes] | None = None
    access: Access | None = None  # the token's role and scopes (whoami-v2); None without a token

    def param(self, name: str) -> str | None:
        values = self.params(name)
        return values[-1] if values else None

    def params(self, name: str) -> list[str]:
        return [value for key, value in self.query if key == name]

    def flag(self, name: str) -> bool:
        return (self.param(name) or "").lower() in ("1", "true")

    def json(self) -> Any:
        try:
            text = self.body.decode("utf-8")
        except UnicodeDecodeError as error:
            raise problems.bad_request(f"The request body is not valid JSON: {error}") from None
        return load_json(text, "The request body")

    def json_object(self) -> dict[str, Any]:
        data = self.json()
        if not isinstance(data, dict):
            raise problems.bad_request("The request body must be a JSON object")
        return data

    def require_user(self) -> str:
        """The writer's user name; every write needs a valid token, as on the Hub."""
        if self.user is None:
            raise problems.unauthorized("You must be authenticated to do this (no token sent)")
        if self.access is not None and self.access.read_only:
            # As the Hub: a read token is refused every write.
            raise HubProblem(403, "You don't have the rights to do this: the token is read-only")
        return self.user


@dataclass
class Response:
    status: int = 200
    body: bytes = b""
    content_type: str = "application/json; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)
    head_only: bool = False  # HEAD: send Content-Length of the body but not the body
    # A large body (an LFS object) sent in chunks instead of `body`: its length, and the chunks
    # (a generator, so a HEAD never opens the file).
    stream_length: int | None = None
    stream: Iterable[bytes] = ()

    @property
    def length(self) -> int:
        return len(self.body) if self.stream_length is None else self.stream_length


def json_response(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    body = json.dumps(data, ensure_ascii=False).encode("utf-8")
    return Response(status, body, headers=dict(headers or {}))


def text_response(text: str, status: int = 200) -> Response:
    return Response(status, text.encode("utf-8"), content_type="text/plain; charset=utf-8")


def header_safe(text: str) -> str:
    """Header values must be latin-1 and one line; keep the message readable in ASCII."""
    flat = " ".join(text.split())
    return flat.encode("ascii", errors="replace").decode("ascii")[:1000]


def problem_response(problem: HubProblem) -> Response:
    """The Hub's error form: X-Error-Code (when known), X-Error-Message and {"error": ...}."""
    headers = {"X-Error-Message": header_safe(problem.message), **problem.headers}
    if problem.code:
        headers["X-Error-Code"] = problem.code
    return json_response({"error": problem.message}, problem.status, headers)


def paginate(request: Request, items: Sequence[T], page_size: int) -> tuple[list[T], str | None]:
    """One page of `items` (page `p`) and the absolute `Link` to the next one, or None.

    The client follows the link as is, without re-adding its query (utils/_pagination.py), and
    refuses a relative one, so the link is absolute and carries every parameter of this request.
    """
    raw_page = request.param("p") or "0"
    page = whole_number(raw_page)
    if page is None:
        raise problems.bad_request(f"Invalid page number p={raw_page!r}")
    start = page * page_size
    chunk = list(items[start : start + page_size])
    if start + page_size >= len(items):
        return chunk, None
    query = [(key, value) for key, value in request.query if key != "p"] + [("p", str(page + 1))]
    url = f"{request.base_url}{request.raw_path}?{urlencode(query)}"
    return chunk, f'<{url}>; rel="next"'
