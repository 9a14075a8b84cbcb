"""The guard that no test leaves a process running (tests/processes.py, tests/conftest.py)."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from tests import processes


def _sleeper() -> subprocess.Popen[bytes]:
    """`sleep 60`, once its command line is readable: Popen returns as the exec begins, and
    /proc/PID/cmdline reads empty until the kernel has set up the new program."""
    child = subprocess.Popen(["sleep", "60"])
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if Path(f"/proc/{child.pid}/cmdline").read_bytes():
            break
        time.sleep(0.01)
    return child


def test_a_child_left_running_fails_the_test_and_is_killed() -> None:
    before = processes.children()
    child = _sleeper()
    try:
        assert child.pid in processes.children()
        with pytest.raises(pytest.fail.Exception) as failed:
            processes.fail_if_left(before, "the test", grace=0)
        message = str(failed.value)
        assert message.startswith("the test left 1 process(es) running (now killed):\n"), message
        assert f"\n  pid {child.pid}: sleep 60" in message
        assert child.pid not in processes.children()
        assert processes.left_behind(before, grace=0) == set()
    finally:
        child.kill()  # a no-op when the check killed it; a failed check must not leave it
        child.wait()  # reaped already, or now; its Popen learns it either way


def test_the_children_of_before_are_spared() -> None:
    older = _sleeper()
    try:
        before = processes.children()
        newer = _sleeper()
        with pytest.raises(pytest.fail.Exception):
            processes.fail_if_left(before, "the test", grace=0)
        assert newer.pid not in processes.children()
        assert older.poll() is None
        newer.wait()
    finally:
        older.kill()
        older.wait()


def test_an_orphan_of_a_child_is_adopted_and_killed() -> None:
    before = processes.children()
    # The shell starts `sleep` in the background and exits: its child is an orphan.
    shell = subprocess.run(
        ["sh", "-c", "sleep 60 >/dev/null 2>&1 & echo $!"], capture_output=True, text=True
    )
    orphan = int(shell.stdout)
    assert orphan in processes.children(), "adopted (PR_SET_CHILD_SUBREAPER in pytest_configure)"
    with pytest.raises(pytest.fail.Exception, match=f"pid {orphan}: sleep 60"):
        processes.fail_if_left(before, "the test", grace=0)
    assert orphan not in processes.children()


def test_a_child_that_ended_is_not_left_behind() -> None:
    before = processes.children()
    child = subprocess.Popen(["true"])
    deadline = time.monotonic() + 10
    while child.pid in processes.children() and time.monotonic() < deadline:
        time.sleep(0.01)
    # Ended, not yet waited for (a zombie): not running, so not left behind.
    assert processes.left_behind(before, grace=0) == set()
    assert child.wait() == 0


def test_a_child_still_ending_is_given_time() -> None:
    before = processes.children()
    child = subprocess.Popen(["sleep", "0.3"])
    assert processes.left_behind(before, grace=5) == set()
    assert child.wait() == 0


def test_ctrl_c_is_handled_inside_and_restored_after() -> None:
    previous = signal.getsignal(signal.SIGINT)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # as in a background job of a script
    try:
        with processes.ctrl_c(), pytest.raises(KeyboardInterrupt):
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(5)  # the handler runs at the latest when the sleep is interrupted
        assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN
    finally:
        signal.signal(signal.SIGINT, previous)


def test_a_child_started_under_ctrl_c_gets_sigint_by_default() -> None:
    previous = signal.getsignal(signal.SIGINT)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        ignored = subprocess.run(["grep", "SigIgn", "/proc/self/status"], capture_output=True)
        with processes.ctrl_c():
            handled = subprocess.run(["grep", "SigIgn", "/proc/self/status"], capture_output=True)
    finally:
        signal.signal(signal.SIGINT, previous)

    def sigint_ignored(status: bytes) -> bool:
        return bool(int(status.split()[1], 16) & (1 << (signal.SIGINT - 1)))

    assert sigint_ignored(ignored.stdout)
    assert not sigint_ignored(handled.stdout)
