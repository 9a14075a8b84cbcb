"""The one retry policy for every Hub request nb-release makes.

A request that fails with 429, a 5xx or a network error is tried again after a jittered
exponential backoff, or after the wait the Hub asks for (`Retry-After`, or the `RateLimit` header
when its bucket is exhausted). Each HTTP request is paced from the `RateLimit` headers of earlier
answers (hooks on the client's session call `before_request` and `after_response`), so a run
waits for a bucket's reset instead of running into 429s. Before any answer to a kind of request
has been seen, its budget is unknown: one request of that kind goes out alone (the probe) and the
others wait for its answer, so parallel publishing sends one request, not one per job, into a
quota that is already spent. A probe that ends without an answer lets the next request be the
probe; an answer without `RateLimit` headers leaves that kind unpaced.

The total time one request may spend waiting and on failed attempts is bounded (`max_wait`). A wait
the Hub asks for that would not fit in what is left of that budget is not slept: `RateLimited` is
raised at once, saying when to resume, so a command can stop cleanly instead of hanging for an
hourly quota. A probe still unanswered after `max_wait` is slow, not refused: the requests waiting
for it then go unpaced (a 429 they meet is retried like any other).

This module knows no HTTP client: it reads a failed request's status and headers from the
exception's `response` attribute, and the caller names which exception types are network errors.
"""

from __future__ import annotations

import logging
import math
import random
import re
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import TypeVar

from pipeline.defaults import DEFAULT_MAX_WAIT as DEFAULT_MAX_WAIT  # re-exported

T = TypeVar("T")

# The CLI shows these on stderr (cli.py installs the printer); the core never prints.
log = logging.getLogger("nb_release.retry")

# Statuses worth trying again: the Hub is busy, overloaded or restarting. Any other 5xx too.
RETRY_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})


@dataclass(frozen=True)
class RateLimit:
    """What a `RateLimit` header says of one bucket: requests left and seconds to its reset."""

    bucket: str
    remaining: int
    reset_s: float
    limit: int | None = None
    window_s: int | None = None


# IETF draft 09, as the Hub sends it: RateLimit: "api";r=0;t=55
_STRUCTURED = re.compile(r'"(?P<bucket>[^"]+)"\s*;\s*r\s*=\s*(?P<r>\d+)\s*;\s*t\s*=\s*(?P<t>\d+)')
# Earlier drafts: RateLimit: limit=500, remaining=0, reset=55
_LISTED = re.compile(r"(?P<key>limit|remaining|reset)\s*=\s*(?P<value>\d+)", re.IGNORECASE)
# RateLimit-Policy: "fixed window";"api";q=500;w=300  (or 500;w=300 in earlier drafts)
_POLICY = re.compile(r"(?:q\s*=\s*)?(?P<q>\d+)\s*;\s*w\s*=\s*(?P<w>\d+)")


def _header(headers: Mapping[str, str], name: str) -> str | None:
    wanted = name.lower()
    for key, value in headers.items():
        if key.lower() == wanted:
            return value
    return None


def parse_rate_limit(headers: Mapping[str, str]) -> RateLimit | None:
    """The rate limit an answer reports, from any of the header forms in use; None if none."""
    limit: int | None = None
    window: int | None = None
    policy = _header(headers, "RateLimit-Policy") or _header(headers, "X-RateLimit-Policy")
    if policy:
        match = _POLICY.search(policy)
        if match:
            limit, window = int(match["q"]), int(match["w"])
    value = _header(headers, "RateLimit")
    if value:
        structured = _STRUCTURED.search(value)
        if structured:
            return RateLimit(
                structured["bucket"], int(structured["r"]), float(structured["t"]), limit, window
            )
        listed = {m["key"].lower(): int(m["value"]) for m in _LISTED.finditer(value)}
        if "remaining" in listed and "reset" in listed:
            return RateLimit(
                "api",
                listed["remaining"],
                float(listed["reset"]),
                listed.get("limit", limit),
                window,
            )
    # Separate headers: RateLimit-Remaining / RateLimit-Reset (or their X- forms).
    for prefix in ("RateLimit-", "X-RateLimit-"):
        remaining = _header(headers, prefix + "Remaining")
        reset = _header(headers, prefix + "Reset")
        if remaining and reset and remaining.strip().isdigit() and reset.strip().isdigit():
            limit_text = _header(headers, prefix + "Limit")
            if limit_text and limit_text.strip().isdigit():
                limit = int(limit_text)
            return RateLimit("api", int(remaining), float(reset), limit, window)
    return None


def parse_retry_after(headers: Mapping[str, str], now: float | None = None) -> float | None:
    """`Retry-After` in seconds: delay-seconds or an HTTP date (`now` is the wall clock)."""
    value = _header(headers, "Retry-After")
    if value is None:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        return None
    current = time.time() if now is None else now
    return max(0.0, when.timestamp() - current)


def _status(exc: BaseException) -> int | None:
    status = getattr(getattr(exc, "response", None), "status_code", None)
    return status if isinstance(status, int) else None


def _failure(exc: BaseException) -> str:
    """A failure in a few words that can hold no secret: the status, or the error's class."""
    status = _status(exc)
    return f"HTTP {status}" if status is not None else type(exc).__name__


def _headers(exc: BaseException) -> Mapping[str, str]:
    headers = getattr(getattr(exc, "response", None), "headers", None)
    return headers if headers is not None else {}


class RateLimited(Exception):
    """The Hub asked for a wait longer than the run may spend: stop, resume at `resume_at`."""

    def __init__(self, bucket: str, wait_s: float, resume_at: float) -> None:
        super().__init__(f"rate limited ({bucket}): retry in {wait_s:.0f} s")
        self.bucket = bucket
        self.wait_s = wait_s
        self.resume_at = resume_at  # wall-clock time (epoch seconds)


_DAY_S = 86_400
# Past this, a wait the Hub asks for is a fault (of the Hub or a proxy), not a plan to wait for.
LONGEST_WAIT_S = 366 * _DAY_S


def describe_wait(wait_s: float, resume_at: float) -> tuple[str, str | None]:
    """A wait the Hub asked for, in words: how long, and when it ends (UTC, wall clock).

    On the day it starts: `("3600 s", "18:00:00 UTC")`. On a later day, the date too (rounded
    up to the minute) and days and hours past a day: `("11 days 13 h", "2026-12-15 07:10 UTC")`.
    Past LONGEST_WAIT_S, or a time no clock can hold: `("more than a year", None)`.
    """
    if not (math.isfinite(wait_s) and math.isfinite(resume_at)) or wait_s > LONGEST_WAIT_S:
        return "more than a year", None
    wait_s = max(0.0, wait_s)
    start = datetime.fromtimestamp(resume_at - wait_s, UTC)
    end = datetime.fromtimestamp(resume_at, UTC)
    if end.date() == start.date():
        return f"{wait_s:.0f} s", end.strftime("%H:%M:%S UTC")
    minute = datetime.fromtimestamp(math.ceil(resume_at / 60) * 60, UTC)
    when = minute.strftime("%Y-%m-%d %H:%M UTC")
    if wait_s < _DAY_S:
        return f"{wait_s:.0f} s", when
    days, hours = int(wait_s // _DAY_S), int(wait_s % _DAY_S // 3600)
    return f"{days} day{'s' if days != 1 else ''} {hours} h", when


@dataclass
class _Bucket:
    remaining: int
    reset_at: float  # monotonic


@dataclass
class Pacer:
    """Request budgets learnt from `RateLimit` headers, per bucket of the Hub (thread-safe).

    A bucket ("api", "resolvers", "commits") is shared by several kinds of call, and one kind
    may spend several buckets (a commit spends "api" requests for its pre-checks and a
    "commits" one), so the pacer learns which buckets each kind of call has been answered from,
    and a call waits for the latest reset among those that are spent. Each call takes one from
    its buckets as it starts (so parallel calls do not all spend the last one), and every
    answer's header replaces the estimate with the Hub's own count.

    Until a kind has had an answer, its budget is unknown, so `admit` lets one request of it go
    out (the probe) and holds the others until the probe's answer is observed. A probe that
    ends without an answer (an error) is released by `release`, and the next request of that
    kind becomes the probe. Once a kind has had an answer it is never probed again, not even in
    a bucket's new window; an answer without `RateLimit` headers leaves the kind unpaced.
    """

    clock: Callable[[], float] = time.monotonic
    _buckets: dict[str, _Bucket] = field(default_factory=dict)
    _uses: dict[str, set[str]] = field(default_factory=dict)
    _answered: set[str] = field(default_factory=set)  # kinds with an observed answer
    _probes: dict[str, int] = field(default_factory=dict)  # kind: the thread of its probe
    _changed: threading.Condition = field(default_factory=threading.Condition)

    def observe(self, kind: str, headers: Mapping[str, str]) -> None:
        """Learn from an answer to a request of `kind`: its budget, and that it was answered."""
        limit = parse_rate_limit(headers)
        with self._changed:
            self._answered.add(kind)
            if limit is not None:
                self._uses.setdefault(kind, set()).add(limit.bucket)
                self._buckets[limit.bucket] = _Bucket(limit.remaining, self.clock() + limit.reset_s)
            if self._probes.pop(kind, None) is not None:
                self._changed.notify_all()

    def admit(self, kind: str, timeout: float) -> float | None:
        """Wait until a request of `kind` may go out on this thread; the seconds waited, or
        None if the probe of `kind` had no answer within `timeout` seconds.

        A kind that has had an answer goes at once. Otherwise, when no probe of it is out, this
        request becomes the probe; else it waits for the probe's answer or its release. A probe
        this thread still holds is released first: a thread sends one request at a time, so
        that request has ended without an answer.
        """
        thread = threading.get_ident()

        def may_go() -> bool:
            return kind in self._answered or self._probes.get(kind, thread) == thread

        with self._changed:
            self._release(thread)
            start = self.clock()
            if not self._changed.wait_for(may_go, timeout):
                return None
            if kind not in self._answered:
                self._probes[kind] = thread
            return self.clock() - start

    def release(self) -> None:
        """End the probe this thread holds, if any, without an answer: the next request of its
        kind becomes the probe. `RetryPolicy.call` calls this after each run of its function."""
        with self._changed:
            self._release(threading.get_ident())

    def _release(self, thread: int) -> None:
        held = [kind for kind, holder in self._probes.items() if holder == thread]
        for kind in held:
            del self._probes[kind]
        if held:
            self._changed.notify_all()

    def take(self, kind: str) -> float:
        """Take one request from the budgets; the seconds to wait first (0 when there is budget)."""
        with self._changed:
            now = self.clock()
            wait = 0.0
            for name in sorted(self._uses.get(kind, ())):
                bucket = self._buckets.get(name)
                if bucket is None:
                    continue
                if bucket.reset_at <= now:
                    del self._buckets[name]  # a new window: the next answer says what is left
                elif bucket.remaining > 0:
                    bucket.remaining -= 1
                else:
                    wait = max(wait, bucket.reset_at - now)
            return wait


def route_class(path: str) -> str:
    """The kind of an HTTP request for pacing: the Hub counts file reads ("resolvers") and
    commits apart from the other API calls, and limits whoami on its own (a stricter budget):
    its first request is a probe of its own, not held behind the listing's."""
    if "/resolve/" in path:
        return "resolve"
    if "/commit/" in path:
        return "commit"
    if path.rstrip("/").endswith(("/api/whoami-v2", "/api/whoami")):
        return "whoami"
    return "api"


# The policy of the call in flight on this thread, so that hooks on the client's shared HTTP
# session pace each request (a commit is three) and learn from each answer's headers.
_IN_FLIGHT: ContextVar[RetryPolicy | None] = ContextVar("nb_release_in_flight", default=None)


def before_request(path: str) -> None:
    """Wait for the answer to the first request of the request's kind if it is still out, then
    until the request's buckets have budget (a session hook); RateLimited if that is longer than
    the policy's max_wait."""
    policy = _IN_FLIGHT.get()
    if policy is None:
        return
    kind = route_class(path)
    waited = policy.pacer.admit(kind, policy.max_wait)
    if waited is None:
        # The probe is slow, not refused: nothing says a quota is spent, so this request goes
        # unpaced (a 429 it may meet is retried like any other) rather than stop the run. Its
        # kind has no budget to take from yet.
        return
    pause = policy.pacer.take(kind)
    if waited + pause > policy.max_wait:
        raise RateLimited(kind, pause, policy.wall() + pause)
    if pause > 0:
        policy.sleep(pause)


def after_response(path: str, headers: Mapping[str, str]) -> None:
    """Feed an answer's rate-limit headers to the pacer of the call in flight (a session hook)."""
    policy = _IN_FLIGHT.get()
    if policy is not None:
        policy.pacer.observe(route_class(path), headers)


@contextmanager
def _in_flight(policy: RetryPolicy) -> Iterator[None]:
    token = _IN_FLIGHT.set(policy)
    try:
        yield
    finally:
        _IN_FLIGHT.reset(token)
        policy.pacer.release()  # a probe left unanswered (its request failed) lets another go


class RunOver(Exception):
    """A request asked after its run's Hub was closed (RetryPolicy.closed): never sent. Only a
    thread the run has stopped waiting for meets it, and no user sees it."""


@dataclass
class RetryPolicy:
    """How every request is tried: bounded, jittered, and as patient as the Hub asks."""

    max_wait: float = DEFAULT_MAX_WAIT
    base_s: float = 0.25
    cap_s: float = 8.0
    max_attempts: int = 8
    network_errors: tuple[type[BaseException], ...] = ()
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.monotonic
    wall: Callable[[], float] = time.time
    rng: random.Random = field(default_factory=random.Random)
    pacer: Pacer = field(default_factory=Pacer)
    # Set when the run's Hub is closed: a read still on a thread of its own (one the run no
    # longer waits for, its command having ended) asks nothing more and says nothing more.
    closed: threading.Event = field(default_factory=threading.Event)

    def retryable(self, exc: BaseException) -> bool:
        if self.network_errors and isinstance(exc, self.network_errors):
            return True
        status = _status(exc)
        return status is not None and (status in RETRY_STATUSES or status >= 500)

    def backoff(self, attempt: int) -> float:
        """Full jitter: uniform in [base, base * 2**attempt], capped."""
        ceiling = min(self.cap_s, self.base_s * (2**attempt))
        return self.rng.uniform(min(self.base_s, ceiling), ceiling)

    def asked_wait(self, exc: BaseException) -> float | None:
        """The wait the Hub asked for in a failed answer, if it asked."""
        headers = _headers(exc)
        limit = parse_rate_limit(headers)
        if limit is not None and limit.remaining == 0:
            return limit.reset_s
        return parse_retry_after(headers, self.wall())

    def call(
        self,
        fn: Callable[[], T],
        *,
        kind: str = "api",
        recheck: Callable[[], T | None] | None = None,
        what: str = "a request to the Hub",
    ) -> T:
        """Run `fn` under the policy.

        `recheck` runs before each retry of a request that may have taken effect though its
        answer was lost (a commit): when it returns a result, that is the result, and `fn` is
        not run again.
        """
        waited = 0.0
        attempt = 0
        while True:
            if self.closed.is_set():
                raise RunOver(f"{what}: not asked, the run is over")
            started = self.clock()
            try:
                with _in_flight(self):
                    return fn()
            except BaseException as exc:
                # The attempts' own time counts too: a request whose answers each take up to
                # --timeout (a trickled body) is not tried again once max_wait is spent.
                waited += self.clock() - started
                if not self.retryable(exc) or attempt + 1 >= self.max_attempts:
                    raise
                asked = self.asked_wait(exc)
                delay = self.backoff(attempt)
                if asked is not None:
                    # The Hub's own wait, plus a little jitter so parallel runs do not stampede.
                    delay = asked + self.rng.uniform(0, self.base_s)
                if waited + delay > self.max_wait or self.closed.is_set():
                    if asked is not None and _status(exc) == 429:
                        raise RateLimited(kind, asked, self.wall() + asked) from exc
                    raise
                # Never silent: an unreachable Hub says, on stderr, what is being tried again.
                log.warning(
                    "%s failed (%s); trying again in %.1f s (attempt %d of %d)",
                    what,
                    _failure(exc),
                    delay,
                    attempt + 2,
                    self.max_attempts,
                )
                self.sleep(delay)
                waited += delay
                attempt += 1
            if recheck is not None:
                found = recheck()
                if found is not None:
                    return found
