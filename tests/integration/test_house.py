"""What a first day hits: targets by Hugging Face conventions, a dry run that writes
nothing, globs without case, and the confirmation prompt under a real pseudo-terminal."""

from __future__ import annotations

import os
import pty
import select
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from tests.integration.support import REPOS, ROOT, SMALL_MANIFEST, Project

# --- targets ----------------------------------------------------------------------------------


def test_hf_endpoint_is_the_target_when_no_hub_is_given(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HF_ENDPOINT", project.hub.url)
    result = project.run("plan", "--hub-root", str(project.hub.root), hub=False)
    assert result.status == 2, result.err
    assert f"Plan against {project.hub.url}" in result.out
    assert project.hub.counters.get("resolve") + project.hub.counters.get("list_models") > 0


def test_offline_mode_is_one_line_for_commands_that_need_the_hub(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("huggingface_hub.constants.HF_HUB_OFFLINE", True)
    result = project.run("plan")
    assert result.status == 1
    assert result.err.splitlines()[0].startswith("error: HF_HUB_OFFLINE is set")
    assert "Traceback" not in result.err
    assert project.run("validate", hub=False).status == 0


def test_an_unreachable_hub_says_what_it_retries_under_one_policy(project: Project) -> None:
    """No silence while retrying, and no second backoff inside the client multiplying
    nb-release's (README.md "Commands": one retry policy)."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(64)
    accepted: list[int] = []

    def hang_up() -> None:
        while True:
            try:
                connection, _ = server.accept()
            except OSError:
                return
            accepted.append(1)
            connection.close()  # every request fails as a dropped connection

    threading.Thread(target=hang_up, daemon=True).start()
    port = server.getsockname()[1]
    try:
        result = project.run(
            "plan", "--hub", f"http://127.0.0.1:{port}", "--max-wait", "3", hub=False
        )
    finally:
        server.close()
    assert result.status == 1
    notes = [line for line in result.err.splitlines() if line.startswith("note: ")]
    assert notes and all("trying again" in line for line in notes)
    assert "error: listing the repos of NbAiLab" in result.err
    assert "Traceback" not in result.err
    assert len(accepted) == len(notes) + 1  # one connection per attempt: one retry policy


def test_other_callers_of_the_client_keep_its_own_backoff(project: Project) -> None:
    """nb-release turns the client's page backoff off for its own calls only."""
    import pipeline.hub.client  # noqa: F401  (the module that wraps the client's page backoff)
    from pipeline.localhub import FaultConfig

    project.hub.set_faults(
        FaultConfig(fault_rate=1.0, route="list_models", first_n=1, kinds=("drop",))
    )
    assert [m.id for m in project.api.list_models(author="NbAiLab")]  # retried by the client
    assert project.hub.counters.get("list_models") == 2


# --- a dry run writes nothing -------------------------------------------------------------------


def test_plan_on_a_new_local_hub_creates_nothing(project: Project, tmp_path: Path) -> None:
    root = tmp_path / "new-hub"
    result = project.run("plan", "--hub", "local", "--hub-root", str(root), hub=False)
    assert result.status == 2, result.err
    assert "4 to create" in result.out  # what the first release would do
    assert not root.exists()
    # ...and the release then makes it, with the same plan.
    released = project.run("release", "--yes", "--hub", "local", "--hub-root", str(root), hub=False)
    assert released.status == 0, released.err
    assert "4 published" in released.out
    assert (root / "tokens").exists()


# --- selection ----------------------------------------------------------------------------------


def test_globs_ignore_case(project: Project) -> None:
    result = project.run("plan", "--only", "nbailab/NB-LLAMA-3.1-8b")
    assert result.status == 2, result.err
    assert "NbAiLab/nb-llama-3.1-8B " in result.out
    assert "nb-llama-3.2-1B" not in result.out


def test_an_exclude_that_matches_nothing_is_named(project: Project) -> None:
    result = project.run("plan", "--exclude", "nb-lama-*")
    assert result.status == 1
    assert "error: --exclude 'nb-lama-*' matches no variant of the manifest" in result.err
    assert project.writes() == 0


# --- the prompt, under a pseudo-terminal --------------------------------------------------------


def _spawn_release(folder: Path) -> tuple[subprocess.Popen[bytes], int]:
    leader, follower = pty.openpty()
    env = dict(os.environ, NB_RELEASE_CACHE=str(folder / "cache"), COLUMNS="120")
    env.pop("HF_TOKEN", None)
    process = subprocess.Popen(
        [sys.executable, "-m", "pipeline.cli.main", "release", "--hub-root", str(folder / ".hub")],
        cwd=folder,
        stdin=follower,
        stdout=follower,
        stderr=follower,
        env={**env, "PYTHONPATH": str(ROOT)},
        start_new_session=True,
    )
    os.close(follower)
    return process, leader


def _read_until(leader: int, needle: bytes, timeout: float = 60.0) -> bytes:
    seen = b""
    deadline = time.monotonic() + timeout
    while needle not in seen:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise AssertionError(f"{needle!r} never came; the terminal showed:\n{seen.decode()}")
        ready, _, _ = select.select([leader], [], [], remaining)
        if ready:
            try:
                chunk = os.read(leader, 4096)
            except OSError:
                break
            if not chunk:
                break
            seen += chunk
    return seen


def _drain(leader: int) -> bytes:
    out = b""
    while True:
        ready, _, _ = select.select([leader], [], [], 5)
        if not ready:
            return out
        try:
            chunk = os.read(leader, 4096)
        except OSError:
            return out
        if not chunk:
            return out
        out += chunk


@pytest.fixture
def pty_project(tmp_path: Path) -> Path:
    shutil.copytree(ROOT / "cards", tmp_path / "cards")
    (tmp_path / "models.toml").write_text(SMALL_MANIFEST, encoding="utf-8")
    return tmp_path


@pytest.mark.parametrize(
    ("answer", "status", "published"),
    [(b"y\r", 0, True), (b"n\r", 2, False), (b"\r", 2, False), (b"\x04", 2, False)],
    ids=["yes", "no", "empty", "eof"],
)
def test_the_prompt_under_a_terminal(
    pty_project: Path, answer: bytes, status: int, published: bool
) -> None:
    process, leader = _spawn_release(pty_project)
    try:
        shown = _read_until(leader, b"[y/N] ")
        assert f"Publish {len(REPOS)} cards to".encode() in shown
        os.write(leader, answer)
        rest = _drain(leader)
        assert process.wait(timeout=60) == status, rest.decode()
    finally:
        os.close(leader)
    assert (b"published " in rest) is published
    assert (b"Nothing published." in rest) is not published


@pytest.mark.usefixtures("ctrl_c")
def test_ctrl_c_at_the_prompt_exits_130(pty_project: Path) -> None:
    process, leader = _spawn_release(pty_project)
    try:
        _read_until(leader, b"[y/N] ")
        os.killpg(process.pid, signal.SIGINT)
        rest = _drain(leader)
        assert process.wait(timeout=60) == 130, rest.decode()
    finally:
        os.close(leader)
    assert b"Traceback" not in rest
