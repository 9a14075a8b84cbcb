"""read_owners' waits: every read done, then the error the reads would raise in turn."""

from __future__ import annotations

import threading

import pytest

from pipeline.plan import history


def test_a_settled_read_holds_its_answer_or_its_error() -> None:
    later_failed = threading.Event()

    def first() -> int:
        later_failed.wait()  # fails only after the later one has failed
        raise ValueError("first")

    def later() -> int:
        later_failed.set()
        raise KeyError("later")

    running = history._started(first), history._started(later), history._started(lambda: 3)
    for future in running:
        history._settled(future)
    assert all(future.done() for future in running)
    with pytest.raises(ValueError, match="first"):  # the first in order, though it failed last
        [future.result() for future in running]
    assert running[2].result() == 3
