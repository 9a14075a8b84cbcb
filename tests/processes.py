"""No test leaves a process behind, and Ctrl-C reaches the processes a test sends it to.

`children()` reads the live child processes of this process from Linux's
/proc/self/task/*/children (proc(5)); a zombie (exited, not yet waited for) is not running and
does not count. `adopt_orphans()` makes this process the child subreaper of its descendants
(prctl(2), PR_SET_CHILD_SUBREAPER): a process whose parent dies (a `hub serve` started by a
killed harness) becomes a child of this one, where `children()` finds it, instead of init's.

`ctrl_c()` handles SIGINT as Python does by default while it is active. A POSIX shell starts a
background job (`pytest ... &` in a script) with SIGINT ignored, and an ignored signal stays ignored
across exec (signal(7)), so Python then installs no KeyboardInterrupt handler and the CLI under
test never sees Ctrl-C. A handled signal is reset to the default across exec, so the children
started while `ctrl_c()` is active get Python's usual Ctrl-C too.
"""

from __future__ import annotations

import ctypes
import os
import signal
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

PR_SET_CHILD_SUBREAPER = 36  # <linux/prctl.h>


def adopt_orphans() -> bool:
    """Become the child subreaper of this process's descendants; False where Linux lacks it."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return bool(libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0)
    except (OSError, AttributeError):
        return False


def _state(pid: int) -> str:
    """The process's state letter (proc(5): R, S, D, Z, ...); "" once it is gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii", errors="replace")
    except OSError:
        return ""
    # "pid (comm) state ...": the command name may hold spaces and parentheses.
    return stat[stat.rfind(")") + 2 :][:1]


def children() -> set[int]:
    """The pids of this process's running children (every thread's)."""
    found: set[int] = set()
    try:
        threads = os.listdir("/proc/self/task")
    except OSError:
        return found  # not Linux: nothing to check
    for thread in threads:
        try:
            with open(f"/proc/self/task/{thread}/children", "rb") as listing:
                found.update(int(pid) for pid in listing.read().split())
        except OSError:
            continue  # a thread that ended meanwhile
    return {pid for pid in found if _state(pid) not in ("", "Z")}


def describe(pid: int) -> str:
    try:
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return f"pid {pid}"
    return f"pid {pid}: " + " ".join(a.decode(errors="replace") for a in argv if a)[:200]


def left_behind(before: set[int], grace: float = 2.0) -> set[int]:
    """The children running now that were not in `before`, once those still ending (a browser's
    helpers after the browser) have had `grace` seconds to end."""
    deadline = time.monotonic() + grace
    left = children() - before
    while left and time.monotonic() < deadline:
        time.sleep(0.05)
        left = children() - before
    return left


def kill(pids: set[int], spare: set[int]) -> None:
    """SIGKILL each of `pids` (children of this process) and reap it; then the orphans this
    process adopts from them, sparing the children in `spare`."""
    done: set[int] = set()
    for _ in range(10):  # a process tree ten levels deep at most
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
            except (ProcessLookupError, ChildProcessError):
                continue  # gone already, or reaped by its Popen
        done |= pids
        pids = children() - spare - done
        if not pids:
            return


def fail_if_left(before: set[int], what: str, grace: float = 2.0) -> None:
    """Fail the test if a child not in `before` is still running after `grace` seconds, once it
    is killed."""
    left = left_behind(before, grace)
    if left:
        running = "\n".join(f"  {describe(pid)}" for pid in sorted(left))
        kill(left, spare=before)
        pytest.fail(
            f"{what} left {len(left)} process(es) running (now killed):\n{running}", pytrace=False
        )


@contextmanager
def ctrl_c() -> Iterator[None]:
    """Ctrl-C raises KeyboardInterrupt here, and children started meanwhile get it by default,
    even when this process was started with SIGINT ignored (main thread only)."""
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
