"""Work on a thread of its own: a settled read holds its answer or its error, and the first in
order is the error a caller raises (read_owners' rule), though it failed last; answers are
taken as they come, before the work ends."""

from __future__ import annotations

import threading
from queue import SimpleQueue

import pytest

from pipeline.aside import ENDED, Aside, Ended, as_they_come
from pipeline.hub._gather import gather


def test_a_settled_read_holds_its_answer_or_its_error() -> None:
    later_failed = threading.Event()

    def first() -> int:
        later_failed.wait()  # fails only after the later one has failed
        raise ValueError("first")

    def later() -> int:
        later_failed.set()
        raise KeyError("later")

    running = Aside(first), Aside(later), Aside(lambda: 3)
    for read in running:
        read.settle()  # raises nothing
    with pytest.raises(ValueError, match="first"):  # the first in order, though it failed last
        [read.result() for read in running]
    with pytest.raises(KeyError, match="later"):
        running[1].result()
    assert running[2].result() == 3


def test_answers_are_taken_as_they_come_while_the_work_goes_on() -> None:
    # The work's second answer waits until the first has been taken: a consumer that waited for
    # the work to end would wait for ever (the test's timeout ends it).
    taken = threading.Event()
    answers: SimpleQueue[int | Ended] = SimpleQueue()

    def work() -> str:
        try:
            answers.put(1)
            if not taken.wait(timeout=10):
                raise TimeoutError("the first answer was not taken before the work ended")
            answers.put(2)
            return "done"
        finally:
            answers.put(ENDED)

    running = Aside(work)
    seen = []
    for answer in as_they_come(answers, running):
        seen.append(answer)
        taken.set()
    assert seen == [1, 2]
    assert running.result() == "done"


def test_answers_taken_as_they_come_end_with_the_works_failure() -> None:
    answers: SimpleQueue[int | Ended] = SimpleQueue()

    def work() -> None:
        try:
            answers.put(1)
            raise ValueError("the third read failed")
        finally:
            answers.put(ENDED)

    seen = []
    with pytest.raises(ValueError, match="the third read failed"):
        for answer in as_they_come(answers, Aside(work)):
            seen.append(answer)
    assert seen == [1]  # what came before the failure is taken first


def test_gather_tells_each_answer_before_it_returns() -> None:
    # The last item's answer is held until the first two have been told: gather itself returns
    # only once all are in, so the hook must run as each one lands.
    told: list[tuple[int, int]] = []
    two_told = threading.Event()

    def square(item: int) -> int:
        if item == 3 and not two_told.wait(timeout=10):
            raise TimeoutError("the first answers were not told before the last was made")
        return item * item

    def on_done(item: int, result: int) -> None:
        told.append((item, result))
        if len(told) == 2:
            two_told.set()

    assert gather(square, [1, 2, 3], 3, on_done) == [1, 4, 9]
    assert sorted(told) == [(1, 1), (2, 4), (3, 9)]


def test_gather_tells_no_failed_item() -> None:
    told: list[int] = []

    def fail_on_two(item: int) -> int:
        if item == 2:
            raise KeyError(item)
        return item

    with pytest.raises(KeyError):
        gather(fail_on_two, [1, 2], 1, lambda item, _: told.append(item))
    assert told == [1]


def test_the_wait_ends_on_the_works_mark_not_on_a_step(monkeypatch: pytest.MonkeyPatch) -> None:
    # Work that puts nothing and ends: its mark ends the wait, not the next step's check (with
    # a step of an hour, a wait that sat out its step would still be waiting).
    monkeypatch.setattr("pipeline.aside._STEP", 3600.0)
    answers: SimpleQueue[int | Ended] = SimpleQueue()
    start = threading.Event()

    def work() -> None:
        start.wait(10)
        answers.put(ENDED)

    running = Aside(work)
    waited = threading.Thread(target=lambda: list(as_they_come(answers, running)), daemon=True)
    waited.start()
    start.set()
    waited.join(timeout=10)
    assert not waited.is_alive()
