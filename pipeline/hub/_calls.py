"""One request to a Hub under the retry policy, and its failure as a HubError (token redacted)."""

from __future__ import annotations

import re
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass
from typing import TypeVar

import httpx2
from huggingface_hub import HfApi
from huggingface_hub.errors import HfHubHTTPError, HFValidationError

from pipeline.errors import AuthError, HubError
from pipeline.hub import _answers as answers
from pipeline.hub import _client_internals as client_internals
from pipeline.hub._retry import RateLimited, RetryPolicy, describe_wait
from pipeline.hub.target import Target
from pipeline.safetext import printable

_T = TypeVar("_T")
_TOKEN_SHAPE = re.compile(r"hf_[A-Za-z0-9_]{8,}")

# One retry policy (retry.py): the client wraps each listing page in its own backoff (5 retries,
# up to 8 s each: 25 s of silence on an unreachable Hub, multiplied by nb-release's retries).
# Inside nb-release's own calls a page gets one attempt and retry.py decides; any other caller
# of huggingface_hub in the process keeps the client's behaviour. Each page's URL is checked first
# (answers.Listing): the client re-sends its headers, the token among them, to any next link.
_ONE_ATTEMPT: ContextVar[bool] = ContextVar("nb_release_one_attempt", default=False)


def _check_page(url: str) -> None:
    listing = answers.LISTING.get()
    if listing is not None:
        listing.follow(url)


client_internals.wrap_listing_pages(_check_page, _ONE_ATTEMPT.get)


def redact(text: str, token: str | None) -> str:
    """Remove the token (and anything shaped like a Hub token) from a message."""
    if token:
        text = text.replace(token, "***")
    return _TOKEN_SHAPE.sub("hf_***", text)


class QuotaError(HubError):
    """The Hub's quota for a kind of request will not reset within --max-wait."""

    def __init__(self, message: str, resume_at: float, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.resume_at = resume_at  # wall-clock time (epoch seconds)


def status_of(exc: BaseException) -> int | None:
    """The HTTP status of the answer a client exception carries, if any."""
    response = getattr(exc, "response", None)
    status = getattr(response, "status_code", None)
    return status if isinstance(status, int) else None


def header_of(exc: BaseException, name: str) -> str | None:
    """A header of the answer a client exception carries, if any."""
    response = getattr(exc, "response", None)
    headers = getattr(response, "headers", None)
    value = headers.get(name) if headers is not None else None
    return value if isinstance(value, str) else None


def first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else ""


@dataclass(frozen=True)
class HubCalls:
    """The client of one target, and the one retry policy its requests go through."""

    target: Target
    policy: RetryPolicy
    api: HfApi

    def error(self, exc: BaseException, doing: str) -> HubError:
        """A HubError for a client exception, with the token redacted."""
        if isinstance(exc, RateLimited):
            return self.quota(exc, doing)
        # The client's message can quote the Hub's error body: Hub text, printed escaped.
        text = printable(redact(first_line(exc), self.target.token))
        if isinstance(exc, answers.AnswerTooLarge):
            return HubError(f"{doing}: the Hub's {exc}")
        status = status_of(exc)
        if status == 401 or "Invalid user token" in text:
            return AuthError(
                f"{doing}: the Hub at {self.target.url} refused the token (401)",
                hint="set HF_TOKEN to a token with write access, or run "
                "`hf auth login`; for the local Hub, see its token file",
            )
        if isinstance(exc, httpx2.TimeoutException):
            return HubError(
                f"{doing}: the Hub at {self.target.url} did not answer in time "
                f"({type(exc).__name__})",
                hint="check the network connection, or raise --timeout",
            )
        if isinstance(exc, httpx2.TransportError):
            return HubError(
                f"{doing}: cannot reach the Hub at {self.target.url} ({type(exc).__name__})",
                hint="check --hub and the network connection",
            )
        kind = f"HTTP {status}" if status else type(exc).__name__
        return HubError(f"{doing}: {kind}: {text}")

    def quota(self, exc: RateLimited, doing: str) -> QuotaError:
        """The stop for a quota that resets later than --max-wait, saying when to resume."""
        duration, when = describe_wait(exc.wait_s, exc.resume_at)
        if when is None:
            return QuotaError(
                f"{doing}: the Hub's rate limit for {exc.bucket} requests resets in "
                f"{duration}, longer than --max-wait",
                resume_at=exc.resume_at,
                hint="a wait that long is more likely a fault of the Hub or of a proxy in front "
                "of it than a quota; run the command again later",
            )
        return QuotaError(
            f"{doing}: the Hub's rate limit for {exc.bucket} requests resets in "
            f"{duration} (at {when}), longer than --max-wait",
            resume_at=exc.resume_at,
            hint=f"run the command again after {when}, or raise --max-wait",
        )

    def call(self, fn: Callable[[], _T], doing: str, kind: str = "api") -> _T:
        """One request under the retry policy; its failure as a HubError."""

        def attempt() -> _T:
            # Each attempt follows the pages afresh (a retry starts the listing over).
            listing = answers.LISTING.set(answers.Listing(doing, self.target.url))
            try:
                return fn()
            finally:
                answers.LISTING.reset(listing)

        one_attempt = _ONE_ATTEMPT.set(True)
        try:
            return self.policy.call(attempt, kind=kind, what=doing)
        except (HfHubHTTPError, httpx2.HTTPError, RateLimited) as exc:
            raise self.error(exc, doing) from None
        finally:
            _ONE_ATTEMPT.reset(one_attempt)

    def ask(self, fn: Callable[[], _T], doing: str) -> _T:
        """A read whose answer is JSON, parsed by the client (and checked by `fn`): an answer
        that is not the JSON expected (an HTML page, items of the wrong types) is a HubError
        naming the request, never a traceback."""
        try:
            return self.call(fn, doing)
        except HFValidationError:
            raise  # an argument the client refused before any request: not the Hub's answer
        except (ValueError, TypeError, KeyError, AttributeError, IndexError) as exc:
            detail = answers.plain(first_line(exc), 100)
            kind = type(exc).__name__ if type(exc) is not answers.WrongShape else ""
            raise HubError(
                f"{doing}: the Hub's answer is not the JSON expected "
                f"({': '.join(part for part in (kind, redact(detail, self.target.token)) if part)})"
            ) from None
