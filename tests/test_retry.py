"""The retry policy on its own: header forms, backoff, the Hub's asked waits, the wait budget.

Time is simulated (a fake clock and sleep), so no test waits and none asserts wall-clock time.
The probe's tests run real threads: a thread that should be held is given SETTLE seconds to go
out wrongly, and every thread must end within PATIENCE seconds (no deadlock).
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime

import pytest

from pipeline.hub._retry import (
    Pacer,
    RateLimit,
    RateLimited,
    RetryPolicy,
    RunOver,
    after_response,
    before_request,
    parse_rate_limit,
    parse_retry_after,
    route_class,
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
    frozen: bool = False  # sleeping records the wait but time stands still (parallel waits)

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        if not self.frozen:
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


def test_the_time_failed_attempts_take_counts_against_max_wait() -> None:
    """An answer that fails only after seconds (a trickled body cut at --timeout) is not tried
    again and again: the attempts' time and the waits together stay within max_wait."""
    clock = Clock()
    calls: list[int] = []

    def slow_failure() -> str:
        calls.append(1)
        clock.now += 4  # the attempt itself took 4 s
        raise NetworkError()

    with pytest.raises(NetworkError):
        policy(clock, max_wait=5, max_attempts=50).call(slow_failure)
    assert len(calls) == 2
    assert clock.now <= 4 + 4 + 1


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


# --- the probe: one request of a kind out until its first answer -----------------------------

COMMIT = "/api/models/a/b/commit/main"
BUDGET = {"RateLimit": '"commits";r=10;t=60'}
SETTLE = 0.2  # real seconds a held thread is given to go out wrongly
PATIENCE = 5.0  # real seconds any thread may take before the test fails (a deadlock)


@dataclass
class Parallel:
    """Calls on threads under one policy, each one HTTP request of kind "commit" whose answer
    (`headers`) arrives once `answer` is set; `fail_first` makes the first request sent raise."""

    retry: RetryPolicy
    headers: dict[str, str]
    fail_first: BaseException | None = None
    answer: threading.Event = field(default_factory=threading.Event)
    arrived: list[str] = field(default_factory=list)  # threads about to make their call
    sent: list[str] = field(default_factory=list)  # threads whose request went out, in order
    errors: list[BaseException] = field(default_factory=list)
    threads: list[threading.Thread] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def request(self) -> str:
        before_request(COMMIT)
        with self.lock:
            self.sent.append(threading.current_thread().name)
            first = len(self.sent) == 1
        assert self.answer.wait(PATIENCE), "the test never answered"
        if first and self.fail_first is not None:
            raise self.fail_first
        after_response(COMMIT, self.headers)
        return "ok"

    def run(self) -> None:
        with self.lock:
            self.arrived.append(threading.current_thread().name)
        try:
            self.retry.call(self.request, kind="commit")
        except BaseException as exc:  # the test reads them
            with self.lock:
                self.errors.append(exc)

    def start(self, count: int) -> None:
        """Start `count` calls and return once all are about to make their request."""
        for _ in range(count):
            thread = threading.Thread(target=self.run, daemon=True)
            self.threads.append(thread)
            thread.start()
        _until(lambda: len(self.arrived) == len(self.threads))

    def join(self) -> None:
        for thread in self.threads:
            thread.join(PATIENCE)
        assert not any(t.is_alive() for t in self.threads), "a call never ended"


def _until(condition: Callable[[], bool]) -> None:
    deadline = time.monotonic() + PATIENCE
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.005)


def _only_the_probe_goes(calls: Parallel) -> None:
    """Of the calls started, exactly one request goes out while no answer has come."""
    _until(lambda: len(calls.sent) >= 1)
    time.sleep(SETTLE)
    assert len(calls.sent) == 1, "requests went out before the first answer"


def test_before_the_first_answer_one_request_goes_and_the_others_wait_for_its_answer() -> None:
    clock = Clock(frozen=True)
    calls = Parallel(policy(clock), BUDGET)
    calls.start(4)
    _only_the_probe_goes(calls)
    calls.answer.set()  # the probe's answer: budget left
    calls.join()
    assert len(calls.sent) == 4 and calls.errors == []
    assert clock.slept == []


@pytest.mark.parametrize("max_wait", [60.0, 5.0])
def test_when_the_probe_finds_the_budget_spent_the_others_wait_for_the_reset(
    max_wait: float,
) -> None:
    clock = Clock(frozen=True)
    calls = Parallel(policy(clock, max_wait=max_wait), {"RateLimit": '"commits";r=0;t=12'})
    calls.start(4)
    _only_the_probe_goes(calls)
    calls.answer.set()
    calls.join()
    if max_wait > 12:
        assert clock.slept == [12, 12, 12]  # each waited for the reset, then went
        assert len(calls.sent) == 4 and calls.errors == []
    else:  # the reset is beyond max_wait: stop, saying when to resume
        assert clock.slept == []
        assert len(calls.sent) == 1
        assert len(calls.errors) == 3
        assert all(isinstance(e, RateLimited) and e.wait_s == 12 for e in calls.errors)


@pytest.mark.parametrize(
    "failure",
    [NetworkError(), FakeHTTPError(429), ValueError("not retried")],
    ids=["network-error", "429", "not-retried"],
)
def test_a_probe_that_fails_lets_the_next_request_be_the_probe(failure: BaseException) -> None:
    clock = Clock(frozen=True)
    calls = Parallel(policy(clock), BUDGET, fail_first=failure)
    calls.start(4)
    _only_the_probe_goes(calls)
    calls.answer.set()  # the probe fails; the next request is answered; the rest follow
    calls.join()
    if isinstance(failure, ValueError):
        assert calls.errors == [failure]
        assert len(calls.sent) == 4
    else:
        assert calls.errors == []
        assert len(calls.sent) == 5  # the failed probe was tried again


def test_a_probe_without_an_answer_within_max_wait_no_longer_holds_the_others() -> None:
    """A slow first answer is not a spent quota: after max_wait the others go (unpaced), and
    the run is not stopped with a rate-limit message that nothing on the Hub said."""
    clock = Clock(frozen=True)
    calls = Parallel(policy(clock, max_wait=SETTLE), BUDGET)
    calls.start(2)
    _until(lambda: len(calls.sent) == 2)  # the second stopped waiting for the probe
    assert calls.errors == []
    calls.answer.set()
    calls.join()
    assert calls.errors == []


def test_answers_without_rate_limit_headers_leave_the_kind_unpaced() -> None:
    clock = Clock(frozen=True)
    retry = policy(clock)
    probed = Parallel(retry, {})
    probed.start(4)
    _only_the_probe_goes(probed)
    probed.answer.set()  # no RateLimit header: the kind is known, and unlimited
    probed.join()
    assert len(probed.sent) == 4 and probed.errors == []

    after = Parallel(retry, {})
    after.start(4)
    _until(lambda: len(after.sent) == 4)  # all out at once, none answered yet
    after.answer.set()
    after.join()
    assert after.errors == [] and clock.slept == []


def test_a_new_window_does_not_bring_the_probe_back() -> None:
    clock = Clock(frozen=True)
    retry = policy(clock)
    probed = Parallel(retry, BUDGET)
    probed.start(2)
    _only_the_probe_goes(probed)
    probed.answer.set()
    probed.join()

    clock.now = 61  # the bucket's window has reset
    after = Parallel(retry, BUDGET)
    after.start(4)
    _until(lambda: len(after.sent) == 4)
    after.answer.set()
    after.join()
    assert after.errors == [] and clock.slept == []


def _admit_on_another_thread(pacer: Pacer, kind: str) -> float | None:
    """What `admit` says to a request of `kind` on another thread that will not wait."""
    said: list[float | None] = []
    thread = threading.Thread(target=lambda: said.append(pacer.admit(kind, timeout=0)))
    thread.start()
    thread.join(PATIENCE)
    assert len(said) == 1
    return said[0]


def test_a_kind_waits_only_for_its_own_probe() -> None:
    pacer = Pacer(clock=Clock().monotonic)
    assert pacer.admit("commit", timeout=0) == 0  # this thread sends the commit probe
    assert _admit_on_another_thread(pacer, "commit") is None  # held until its answer
    assert _admit_on_another_thread(pacer, "resolve") == 0  # another kind: its own probe
    pacer.observe("commit", {})
    assert _admit_on_another_thread(pacer, "commit") == 0


def test_a_threads_next_request_ends_the_probe_it_left_unanswered() -> None:
    pacer = Pacer(clock=Clock().monotonic)
    assert pacer.admit("commit", timeout=0) == 0  # the probe; it fails with no answer, and
    assert pacer.admit("api", timeout=0) == 0  # the same thread sends its next request
    assert _admit_on_another_thread(pacer, "commit") == 0  # the commit probe is free again
    pacer.release()  # the call ends: its api probe is free too
    assert _admit_on_another_thread(pacer, "api") == 0


def test_a_closed_run_asks_nothing_more_and_says_nothing(caplog: pytest.LogCaptureFixture) -> None:
    """A read a run left on a thread of its own (its command ended: an error elsewhere) stops
    at its next attempt, with no note on stderr: the notes of the next command are its own."""
    clock = Clock()
    retry = policy(clock)
    retry.closed.set()
    calls, fn = failing()
    with pytest.raises(RunOver):
        retry.call(fn, what="reading a/b")
    assert calls == []

    retry = policy(clock)
    closing = retry.sleep

    def sleep_then_close(seconds: float) -> None:
        closing(seconds)
        retry.closed.set()  # the run ends while this read waits to try again

    retry.sleep = sleep_then_close
    calls, fn = failing(NetworkError("down"), NetworkError("down"))
    with caplog.at_level(logging.WARNING, logger="nb_release"), pytest.raises(RunOver):
        retry.call(fn, what="reading a/b")
    assert calls == [1]  # the one attempt before the run ended
    assert len([r for r in caplog.records if "trying again" in r.getMessage()]) == 1


def test_whoami_is_paced_on_its_own_and_not_held_behind_another_probe() -> None:
    # The Hub limits whoami apart from the other API calls: its first request is a probe of
    # its own, sent while the first listing (the probe of "api") still waits for its answer.
    assert route_class("/api/whoami-v2") == "whoami"
    assert route_class("/api/models") == "api"
    pacer = Pacer()
    assert pacer.admit("api", PATIENCE) is not None  # the probe of "api", unanswered
    went = threading.Event()

    def whoami() -> None:
        if pacer.admit("whoami", PATIENCE) is not None:
            went.set()

    threading.Thread(target=whoami, daemon=True).start()
    assert went.wait(PATIENCE)
    held = threading.Event()

    def another_api_call() -> None:
        if pacer.admit("api", PATIENCE) is not None:
            held.set()

    threading.Thread(target=another_api_call, daemon=True).start()
    assert not held.wait(SETTLE)  # the second "api" request waits for the probe's answer
    pacer.observe("api", {})
    assert held.wait(PATIENCE)
