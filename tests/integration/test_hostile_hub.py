"""A lying Hub on the wire: what nb-release accepts from the answers it reads.

The local Hub's lying-Hub options (FaultConfig: trickle_ms, endless_body, next_link, wrong_shape)
answer 200 with something hostile. A pagination link to another origin must not carry the token
there (a second loopback listener records what reaches it); a link back to a page already read,
a README trickled or without end, and JSON of the wrong shape each end in a located error, and
the first Ctrl-C stops the command. A run that could hang or eat memory on a regression runs in
a subprocess with a time (and memory) bound.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from huggingface_hub.utils import get_session

from pipeline.errors import HubError
from pipeline.hub.client import Hub, Target
from pipeline.localhub import FaultConfig
from tests.integration.support import REPOS, Project

ROOT = Path(__file__).resolve().parents[2]
REPO = REPOS[0]
CARD = "---\nlicense: llama3.2\n---\n# A card\n\n" + "Some text about the model.\n" * 40


# --- a second origin that records what reaches it ---------------------------------------------


class Recorder(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _RecordingHandler)
        self.seen: list[dict[str, str]] = []
        self.url = f"http://127.0.0.1:{self.server_address[1]}"


class _RecordingHandler(BaseHTTPRequestHandler):
    server: Recorder

    def do_GET(self) -> None:
        self.server.seen.append({k.lower(): v for k, v in self.headers.items()})
        body = b"[]"
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def recorder() -> Iterator[Recorder]:
    server = Recorder()
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def _seed(project: Project) -> None:
    for repo_id in REPOS:
        project.hub.seed(repo_id, {"README.md": CARD})
    project.hub.counters.reset()


# --- a subprocess run of the CLI, bounded in time (and memory) ---------------------------------

_CHILD = """\
import resource, signal, sys
# A child started in the background may inherit SIGINT ignored: Ctrl-C must reach it.
signal.signal(signal.SIGINT, signal.default_int_handler)
limit = int(sys.argv[1])
if limit:
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
from pipeline.cli.main import main
sys.exit(main(sys.argv[2:]))
"""


def _spawn(project: Project, *argv: str, memory: int = 0) -> subprocess.Popen[str]:
    args = [*argv, "--hub", project.hub.url, "--hub-root", str(project.hub.root)]
    return subprocess.Popen(
        [sys.executable, "-c", _CHILD, str(memory), *args],
        cwd=project.folder,
        env={**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "200"},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


def _finish(process: subprocess.Popen[str], timeout: float) -> tuple[int, str]:
    try:
        out, err = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        out, err = process.communicate()
        raise AssertionError(f"still running after {timeout} s:\n{out}{err}") from None
    return process.returncode, out + err


# --- the token never follows a link to another origin -------------------------------------------


def test_a_listing_linking_to_another_origin_is_refused_without_a_request(
    project: Project, recorder: Recorder
) -> None:
    _seed(project)
    project.hub.set_faults(
        FaultConfig(route="list_models", next_link=f"{recorder.url}/api/models?p=1")
    )
    run = project.run("plan")
    assert run.status == 1, run.out + run.err
    assert (
        "listing the repos of NbAiLab: the Hub's answer links its next page to another host "
        f"({recorder.url.removeprefix('http://')}); nb-release does not follow it"
    ) in run.err
    assert recorder.seen == []
    assert project.hub.token not in run.out + run.err


def test_a_commit_page_linking_to_another_origin_is_refused_without_a_request(
    project: Project, recorder: Recorder
) -> None:
    _seed(project)
    project.hub.set_faults(FaultConfig(route="list_commits", next_link=f"{recorder.url}/x"))
    run = project.run("history", REPO)
    assert run.status == 1, run.out + run.err
    assert f"listing the commits of {REPO}: the Hub's answer links its next page" in run.err
    assert recorder.seen == []


def test_the_shared_client_never_sends_a_hub_token_to_another_origin(
    project: Project, recorder: Recorder
) -> None:
    """Defence in depth: whatever asks the shared client, a Hub's token goes to that Hub only."""
    Hub(Target(url=project.hub.url, token=project.hub.token))
    answer = get_session().get(
        f"{recorder.url}/api/models", headers={"Authorization": f"Bearer {project.hub.token}"}
    )
    assert answer.status_code == 200
    assert len(recorder.seen) == 1
    assert "authorization" not in recorder.seen[0]
    # The Hub itself still gets it.
    assert Hub(Target(url=project.hub.url, token=project.hub.token)).whoami()


# --- a link back to a page already read -------------------------------------------------------


@pytest.mark.parametrize(
    ("route", "argv", "doing"),
    [
        ("list_models", ("plan",), "listing the repos of NbAiLab"),
        ("list_commits", ("history", REPO), f"listing the commits of {REPO}"),
    ],
)
def test_a_listing_linking_back_to_a_page_already_read_stops(
    project: Project, route: str, argv: tuple[str, ...], doing: str
) -> None:
    _seed(project)
    project.hub.set_faults(FaultConfig(route=route, next_link="self"))
    status, output = _finish(_spawn(project, *argv), timeout=60)
    assert status == 1, output
    assert f"{doing}: the Hub's answer links its next page to a page already read" in output
    assert project.hub.counters.get(route) <= 3


# --- a README trickled byte by byte -----------------------------------------------------------


def test_a_trickled_readme_ends_at_the_timeout(project: Project) -> None:
    _seed(project)
    project.hub.set_faults(FaultConfig(route="resolve", trickle_ms=100))
    started = time.monotonic()
    status, output = _finish(
        _spawn(project, "plan", "--no-cache", "--timeout", "1", "--max-wait", "1"), timeout=30
    )
    assert status == 1, output
    assert f"reading {REPOS[0]}" in output or "reading NbAiLab/" in output
    assert "did not answer in time" in output
    assert time.monotonic() - started < 30


def test_the_first_ctrl_c_stops_a_plan_stuck_in_reads(project: Project) -> None:
    _seed(project)
    project.hub.set_faults(FaultConfig(route="resolve", trickle_ms=200))
    process = _spawn(project, "plan", "--no-cache", "--timeout", "120", "--max-wait", "120")
    deadline = time.monotonic() + 30
    while project.hub.counters.get("resolve") < len(REPOS) and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.5)  # the workers are in the middle of their trickled answers
    process.send_signal(signal.SIGINT)
    status, output = _finish(process, timeout=10)
    assert status == 130, output
    assert "interrupted" in output


# --- a README answer without end --------------------------------------------------------------


def test_an_endless_readme_is_cut_at_the_hubs_limit(project: Project) -> None:
    _seed(project)
    project.hub.set_faults(FaultConfig(route="resolve", endless_body=True))
    status, output = _finish(_spawn(project, "plan", "--no-cache", memory=2 << 30), timeout=60)
    assert status == 1, output
    assert "the README answer is larger than 10 MiB" in output
    assert "Traceback" not in output and "MemoryError" not in output


# --- answers of the wrong shape ----------------------------------------------------------------


@pytest.mark.parametrize("shape", ["html", "json"])
def test_a_listing_of_the_wrong_shape_is_a_located_error(project: Project, shape: str) -> None:
    _seed(project)
    project.hub.set_faults(FaultConfig(route="list_models", wrong_shape=shape))
    run = project.run("plan")
    assert run.status == 1, run.out + run.err
    assert "error: listing the repos of NbAiLab: the Hub's answer is not the JSON expected" in (
        run.err
    )
    assert "Traceback" not in run.err


@pytest.mark.parametrize("shape", ["html", "json"])
def test_commits_of_the_wrong_shape_are_a_located_error(project: Project, shape: str) -> None:
    _seed(project)
    project.hub.set_faults(FaultConfig(route="list_commits", wrong_shape=shape))
    run = project.run("history", REPO)
    assert run.status == 1, run.out + run.err
    assert f"error: listing the commits of {REPO}: the Hub's answer is not the JSON expected" in (
        run.err
    )


@pytest.mark.parametrize("shape", ["html", "json"])
@pytest.mark.parametrize(
    ("route", "doing"),
    [
        ("whoami", "checking the token"),
        ("model_info", f"reading the head of {REPO}"),
        ("tree", f"listing the files of {REPO} at"),
        ("list_discussions", f"listing the pull requests of {REPO}"),
    ],
)
def test_every_json_answer_of_the_wrong_shape_is_a_located_error(
    project: Project, shape: str, route: str, doing: str
) -> None:
    _seed(project)
    hub = Hub(Target(url=project.hub.url, token=project.hub.token))
    head = hub.read_card(REPO).head_sha
    assert head is not None
    if route != "whoami":
        hub.whoami()  # asked once per run: before the faults
    project.hub.set_faults(FaultConfig(route=route, wrong_shape=shape))
    calls: dict[str, Callable[[], object]] = {
        "whoami": hub.whoami,
        "model_info": lambda: hub._head_sha(REPO, "main"),
        "tree": lambda: hub.readme_blob_id(REPO, head),
        "list_discussions": lambda: hub.find_own_pr(REPO, "a title"),
    }
    with pytest.raises(HubError) as caught:
        calls[route]()
    assert caught.value.message.startswith(doing)
    assert "the Hub's answer is not the JSON expected" in caught.value.message
