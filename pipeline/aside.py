"""Work on a thread of its own, and the one way to wait for it: in short steps, so that a Ctrl-C
reaches the main thread at once (a wait without a timeout holds the signal back until it ends).

The threads are daemons: work a run no longer waits for (its command ended on an error) never
keeps the process alive, and what it still asks of a Hub stops there (hub/_retry.py: closed).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from queue import Empty, SimpleQueue
from typing import Generic, TypeVar

_T = TypeVar("_T")
_W = TypeVar("_W")
_STEP = 0.2  # seconds: how long a wait holds Ctrl-C back at the most


def settled(future: Future[_T]) -> None:
    """Wait until `future` has its answer or its exception (raising neither)."""
    while True:
        try:
            future.exception(timeout=_STEP)
            return
        except FutureTimeout:
            continue


def result_of(future: Future[_T]) -> _T:
    """`future`'s answer, or its exception raised, once it has one."""
    settled(future)
    return future.result()


class Aside(Generic[_T]):
    """`work` run on a daemon thread from the moment it is made; its answer when asked."""

    def __init__(self, work: Callable[[], _T], name: str = "nb-release-aside") -> None:
        self._done: Future[_T] = Future()
        self._work = work
        threading.Thread(target=self._run, name=name, daemon=True).start()

    def _run(self) -> None:
        try:
            self._done.set_result(self._work())
        except BaseException as exc:  # handed to the waiting thread as is
            self._done.set_exception(exc)

    def result(self) -> _T:
        """The work's answer, or its exception raised."""
        return result_of(self._done)

    def settle(self) -> None:
        """Wait until the work is done, raising nothing (its failure is the caller's to read or
        to leave: a read whose answer the Hub object keeps is asked again where it is needed)."""
        settled(self._done)

    def done(self) -> bool:
        """Whether the work has ended (with its answer or its failure)."""
        return self._done.done()


class Ended:
    """The mark work puts on its queue of answers once it has put its last (see as_they_come)."""


ENDED = Ended()


def as_they_come(answers: SimpleQueue[_T | Ended], work: Aside[_W]) -> Iterator[_T]:
    """Each item `work` puts on `answers`, as it comes (waiting in short steps), until the work
    puts ENDED (it must, in a `finally`: the last answer is then taken at once, not after a
    step); then the work's failure, if it failed, raised."""
    while True:
        try:
            item = answers.get(timeout=_STEP)
        except Empty:
            if work.done() and answers.empty():
                break  # ended without its mark: nothing more will come
            continue
        if isinstance(item, Ended):
            break
        yield item
    work.result()
