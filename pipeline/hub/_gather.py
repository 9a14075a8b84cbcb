"""Work on a few threads that a Ctrl-C never waits for."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from typing import TypeVar

from pipeline.aside import result_of

_T = TypeVar("_T")
_I = TypeVar("_I")


def gather(
    fn: Callable[[_I], _T],
    items: Sequence[_I],
    workers: int,
    on_done: Callable[[_I, _T], None] | None = None,
) -> list[_T]:
    """`fn` of every item on up to `workers` threads; results in the order of `items`.
    `on_done` hears each item's result as soon as it has it, on the thread that made it (a
    caller may work on the first answers while the rest are on the wire).

    The threads are daemons and the caller waits on their results with a timeout, so Ctrl-C
    reaches the main thread at once and ends the command: a read stuck on a slow answer is left
    behind (it ends at its own deadline), never joined. At the first failure or interrupt, the
    items not yet started are cancelled.
    """
    futures: list[Future[_T]] = [Future() for _ in items]
    queue = list(zip(items, futures, strict=True))
    lock = threading.Lock()

    def work() -> None:
        while True:
            with lock:
                if not queue:
                    return
                item, future = queue.pop(0)
            if not future.set_running_or_notify_cancel():
                continue
            try:
                result = fn(item)
                if on_done is not None:
                    on_done(item, result)
            except BaseException as exc:  # handed to the waiting thread as is
                future.set_exception(exc)
            else:
                future.set_result(result)

    for number in range(min(max(1, workers), len(items))):
        threading.Thread(target=work, name=f"nb-release-read-{number}", daemon=True).start()
    try:
        return [result_of(future) for future in futures]
    except BaseException:
        for future in futures:
            future.cancel()
        raise
