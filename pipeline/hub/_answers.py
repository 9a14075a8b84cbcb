"""What nb-release accepts from the Hub's answers: the checks on the wire, below the Hub client.

A token goes to its Hub's origin only (scheme, host and port), whoever asks the shared client;
a listing follows its `Link: rel="next"` to that origin only, never to a page already read, and
for at most MAX_PAGES requests; every answer has a deadline for the whole of it (the client's
timeouts bound each read, not the answer) and a bounded body; a value of the Hub's JSON of the
wrong type is a `WrongShape`, never a traceback further on. No huggingface_hub here: hub.py
installs these on the client's session and hubcalls.py maps their errors.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import httpx2

from pipeline.errors import HubError

# The Hub refuses a README.md of 10 MiB or more outside Git LFS (templating.py): an answer past
# that is no card of the Hub's, and is not read further.
README_LIMIT = 10 * 1024 * 1024
# Any other answer nb-release asks for is a page of JSON (1,000 repos, 50 commits) or a small
# object, far below this; a body that goes on past it is cut, not held in memory.
MAX_ANSWER = 64 * 1024 * 1024


# The most requests one listing may take. The Hub pages repos 1,000 and commits 50 at a time:
# 2,000 pages are two million repos in a namespace or 100,000 commits on a branch, far beyond the
# namespaces and card repos nb-release publishes, and a Hub that keeps handing out new next links
# is stopped within minutes, not left to run for ever.
MAX_PAGES = 2_000


def origin(url: str) -> tuple[str, str, int | None]:
    """Scheme, host and port (the default port filled in): what a token is bound to."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    port = parts.port or {"http": 80, "https": 443}.get(scheme)
    return scheme, (parts.hostname or "").lower(), port


def plain(text: str, limit: int = 120) -> str:
    """Hub-sourced text fit for a message: printable ASCII on one line, bounded."""
    flat = "".join(ch if ch.isascii() and ch.isprintable() else "?" for ch in text)
    return flat if len(flat) <= limit else flat[: limit - 3] + "..."


@dataclass
class Listing:
    """The pages one attempt of one call has asked for: links are followed to the target's own
    origin only (huggingface_hub re-sends its headers, the token among them, to whatever URL a
    `Link: rel="next"` names), never to a page already read, and at most MAX_PAGES times."""

    doing: str
    target: str
    seen: set[str] = field(default_factory=set)
    requests: int = 0

    def follow(self, url: str) -> None:
        if origin(url) != origin(self.target):
            host = plain(urlsplit(url).netloc or url)
            raise HubError(
                f"{self.doing}: the Hub's answer links its next page to another host ({host}); "
                "nb-release does not follow it",
                hint=f"nb-release sends the token to {self.target} only; check --hub",
            )
        if url in self.seen:
            raise HubError(
                f"{self.doing}: the Hub's answer links its next page to a page already read "
                f"({plain(urlsplit(url).path)}); nb-release stops rather than loop"
            )
        self.seen.add(url)

    def count(self) -> None:
        self.requests += 1
        if self.requests > MAX_PAGES:
            raise HubError(
                f"{self.doing}: the Hub's answer runs past {MAX_PAGES:,} pages; nb-release stops"
            )


LISTING: ContextVar[Listing | None] = ContextVar("nb_release_listing", default=None)


class AnswerTooLarge(httpx2.HTTPError):
    """An answer's body went on past the bytes nb-release reads of it."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"the answer is larger than {limit // (1024 * 1024)} MiB")
        self.limit = limit


# The origins each Hub's token may go to (the targets of this process's Hubs).
TOKEN_ORIGINS: dict[str, set[tuple[str, str, int | None]]] = {}
SENT_AT: ContextVar[float] = ContextVar("nb_release_sent_at", default=0.0)


def guard_token(request: httpx2.Request) -> None:
    """Never send a Hub's token to another origin, whoever asks the shared client (the links
    nb-release follows are checked before this; this is the last line)."""
    authorization = request.headers.get("Authorization", "")
    scheme, _, token = authorization.partition(" ")
    allowed = TOKEN_ORIGINS.get(token) if scheme.lower() == "bearer" else None
    if allowed is not None and origin(str(request.url)) not in allowed:
        del request.headers["Authorization"]


class BoundedBody(httpx2.SyncByteStream):
    """An answer's body, cut at `limit` bytes and at a deadline for the whole answer (httpx's
    timeouts bound each read, so a body trickled a byte at a time would never time out)."""

    def __init__(
        self,
        inner: httpx2.SyncByteStream,
        request: httpx2.Request,
        deadline: float | None,
        limit: int,
    ) -> None:
        self.inner, self.request, self.deadline, self.limit = inner, request, deadline, limit

    def __iter__(self) -> Iterator[bytes]:
        size = 0
        for chunk in self.inner:
            size += len(chunk)
            if size > self.limit:
                raise AnswerTooLarge(self.limit)
            if self.deadline is not None and time.monotonic() > self.deadline:
                raise httpx2.ReadTimeout("the whole answer took too long", request=self.request)
            yield chunk

    def close(self) -> None:
        self.inner.close()


def bound_answers(timeout: float | None) -> Callable[[httpx2.Response], None]:
    """A response hook: every answer's body read within `timeout` of its request (SENT_AT) and
    cut at MAX_ANSWER bytes."""

    def bound(response: httpx2.Response) -> None:
        if isinstance(response.stream, httpx2.SyncByteStream):
            deadline = None if timeout is None else SENT_AT.get() + timeout
            response.stream = BoundedBody(response.stream, response.request, deadline, MAX_ANSWER)

    return bound


class WrongShape(ValueError):
    """A value of the Hub's answer that is not of the type the Hub sends."""


def as_str(value: object, what: str) -> str:
    if not isinstance(value, str):
        raise WrongShape(f"a {what} that is not a string")
    return value


def optional_str(value: object, what: str) -> str | None:
    return None if value is None else as_str(value, what)


def as_int(value: object, what: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise WrongShape(f"a {what} that is not a whole number")
    return value


def read_body(response: httpx2.Response, limit: int, what: str) -> bytes:
    """A streamed answer's body, decoded, refused past `limit` bytes (the whole-answer deadline
    is the session's, see BoundedBody)."""
    chunks: list[bytes] = []
    size = 0
    for chunk in response.iter_bytes():
        size += len(chunk)
        if size > limit:
            raise HubError(f"{what} is larger than {limit // (1024 * 1024)} MiB")
        chunks.append(chunk)
    return b"".join(chunks)
