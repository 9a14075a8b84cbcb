"""The retry policy on its own: header forms, backoff, the Hub's asked waits, the wait budget.

Time is simulated (a fake clock and sleep), so no test waits and none asserts wall-clock time.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime

import pytest

from pipeline.retry import (
    Pacer,
    RateLimit,
    RateLimited,
    RetryPolicy,
    after_response,
    before_request,
    parse_rate_limit,
    parse_retry_after,
)

NOW = 1_800_000_000.0


@dataclass
class FakeResponse:
    status_code: int
    headers: dict[str, str] = field(default_factory=dict)


class FakeHTTPError(Exception):
    def __init__(self, status: int, headers: dict[str, str] | None = None) -> None:
        super().__init__(f"HTTP {status}")
        self.response = FakeResponse(status, headers or {})


class NetworkError(Exception):
    pass


@dataclass
class Clock:
    now: float = 0.0
    slept: list[float] = field(default_factory=list)

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds

    def monotonic(self) -> float:
        return self.now

    def wall(self) -> float:
        return NOW + self.now


def policy(clock: Clock, **kwargs: object) -> RetryPolicy:
    return RetryPolicy(
        network_errors=(NetworkError,),
        sleep=clock.sleep,
        clock=clock.monotonic,
        wall=clock.wall,
        rng=random.Random(7),
        pacer=Pacer(clock=clock.monotonic),
        **kwargs,  # type: ignore[arg-type]
    )


def failing(*errors: BaseException, result: str = "ok") -> tuple[list[int], Callable[[], str]]:
    calls: list[int] = []

    def fn() -> str:
        calls.append(1)
        if len(calls) <= len(errors):
            raise errors[len(calls) - 1]
        return result

    return calls, fn


# --- header forms ---------------------------------------------------------------------------


def test_rate_limit_structured_form_with_policy() -> None:
    headers = {
        "RateLimit": '"api";r=0;t=55',
        "RateLimit-Policy": '"fixed window";"api";q=500;w=300',
    }
    assert parse_rate_limit(headers) == RateLimit("api", 0, 55.0, 500, 300)


def test_rate_limit_header_names_are_case_insensitive_and_policy_optional() -> None:
    assert parse_rate_limit({"ratelimit": '"resolvers";r=12;t=3'}) == RateLimit(
        "resolvers", 12, 3.0
    )


def test_rate_limit_listed_and_separate_forms() -> None:
    assert parse_rate_limit({"RateLimit": "limit=100, remaining=4, reset=9"}) == RateLimit(
        "api", 4, 9.0, 100
    )
    separate = {"X-RateLimit-Limit": "60", "X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "30"}
    assert parse_rate_limit(separate) == RateLimit("api", 0, 30.0, 60)


def test_rate_limit_absent_or_garbled_is_none() -> None:
    assert parse_rate_limit({}) is None
    assert parse_rate_limit({"RateLimit": "soon"}) is None
    assert parse_rate_limit({"RateLimit-Remaining": "x", "RateLimit-Reset": "1"}) is None


def test_retry_after_seconds_and_http_date() -> None:
    assert parse_retry_after({"Retry-After": "120"}) == 120.0
    date = format_datetime(datetime.fromtimestamp(NOW + 42, UTC), usegmt=True)
    assert parse_retry_after({"retry-after": date}, now=NOW) == pytest.approx(42.0)
    assert parse_retry_after({"Retry-After": "later"}) is None
    assert parse_retry_after({}) is None


# --- the policy -----------------------------------------------------------------------------


def test_5xx_and_network_errors_are_retried_with_growing_jittered_backoff() -> None:
    clock = Clock()
    calls, fn = failing(FakeHTTPError(503), NetworkError(), FakeHTTPError(500))
    assert policy(clock).call(fn) == "ok"
    assert len(calls) == 4
    assert len(clock.slept) == 3
    assert all(0.25 <= s <= 8.0 for s in clock.slept)
    assert clock.slept[2] <= 1.0 * 2  # attempt 2: at most base * 4


def test_other_client_errors_are_not_retried() -> None:
    clock = Clock()
    calls, fn = failing(FakeHTTPError(404))
    with pytest.raises(FakeHTTPError):
        policy(clock).call(fn)
    assert len(calls) == 1
    assert clock.slept == []


@pytest.mark.parametrize(
    "headers",
    [
        {"Retry-After": "7"},
        {"RateLimit": '"api";r=0;t=7', "RateLimit-Policy": '"fixed window";"api";q=10;w=300'},
        {"RateLimit": '"api";r=0;t=7'},
        {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "7"},
    ],
    ids=["retry-after", "ratelimit+policy", "ratelimit", "x-ratelimit"],
)
def test_429_waits_what_the_hub_asks(headers: dict[str, str]) -> None:
    clock = Clock()
    calls, fn = failing(FakeHTTPError(429, headers))
    assert policy(clock).call(fn) == "ok"
    assert len(calls) == 2
    assert 7.0 <= clock.slept[0] <= 7.25


def test_429_with_an_http_date() -> None:
    clock = Clock()
    date = format_datetime(datetime.fromtimestamp(NOW + 20, UTC), usegmt=True)
    _, fn = failing(FakeHTTPError(429, {"Retry-After": date}))
    assert policy(clock).call(fn) == "ok"
    assert 19.0 <= clock.slept[0] <= 20.5


def test_a_wait_beyond_max_wait_is_not_slept_and_says_when_to_resume() -> None:
    clock = Clock()
    calls, fn = failing(FakeHTTPError(429, {"Retry-After": "3600"}))
    with pytest.raises(RateLimited) as caught:
        policy(clock, max_wait=60).call(fn)
    assert clock.slept == []
    assert caught.value.wait_s == 3600
    assert caught.value.resume_at == NOW + 3600
    assert len(calls) == 1


def test_the_total_wait_is_bounded() -> None:
    clock = Clock()
    _, fn = failing(*[FakeHTTPError(503)] * 50)
    with pytest.raises(FakeHTTPError):
        policy(clock, max_wait=5, max_attempts=50).call(fn)
    assert sum(clock.slept) <= 5


def test_recheck_finds_a_lost_answer_and_the_call_is_not_repeated() -> None:
    clock = Clock()
    calls, fn = failing(NetworkError())
    rechecks: list[int] = []

    def recheck() -> str | None:
        rechecks.append(1)
        return "landed"

    assert policy(clock).call(fn, recheck=recheck) == "landed"
    assert len(calls) == 1 and len(rechecks) == 1


def test_recheck_that_finds_nothing_lets_the_retry_run() -> None:
    clock = Clock()
    calls, fn = failing(NetworkError())
    assert policy(clock).call(fn, recheck=lambda: None) == "ok"
    assert len(calls) == 2


def test_pacing_waits_for_the_reset_of_an_exhausted_bucket() -> None:
    clock = Clock()
    pacer = Pacer(clock=clock.monotonic)
    pacer.observe("api", {"RateLimit": '"api";r=2;t=10'})
    assert pacer.take("api") == 0
    assert pacer.take("api") == 0
    assert pacer.take("api") == 10  # budget spent: wait for the window's reset
    assert pacer.take("resolve") == 0  # a kind not answered from that bucket goes on
    pacer.observe("whoami", {"RateLimit": '"api";r=5;t=10'})
    assert pacer.take("api") == 0  # the bucket is shared: whoami's answer updated it
    clock.now = 10
    assert pacer.take("api") == 0  # a new window


def test_requests_are_paced_from_the_headers_of_earlier_answers() -> None:
    clock = Clock()
    retry = policy(clock)

    def request() -> str:  # what the session hooks do around one HTTP request
        before_request("/api/models/a/b/commit/main")
        after_response("/api/models/a/b/commit/main", {"RateLimit": '"commits";r=0;t=12'})
        return "ok"

    assert retry.call(request) == "ok"
    assert clock.slept == []
    assert retry.call(request) == "ok"
    assert clock.slept == [12]  # the second waited for the bucket's reset
    before_request("/a/b/resolve/main/README.md")  # outside a call: not paced


def test_pacing_beyond_max_wait_stops_instead_of_sleeping() -> None:
    clock = Clock()
    retry = policy(clock, max_wait=60)
    retry.pacer.observe("commit", {"RateLimit": '"commits";r=0;t=3000'})

    def request() -> str:
        before_request("/api/models/a/b/commit/main")
        return "ok"

    with pytest.raises(RateLimited):
        retry.call(request, kind="commit")
    assert clock.slept == []
