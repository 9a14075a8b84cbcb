"""Work on a thread of its own: a settled read holds its answer or its error, and the first in
order is the error a caller raises (read_owners' rule), though it failed last."""

from __future__ import annotations

import threading

import pytest

from pipeline.aside import Aside


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
