"""Settings every test needs before huggingface_hub is first imported (it reads them then), and
the split between unit and integration tests.

Integration tests (marker `integration`) start a local Hub, a server in a subprocess or a browser:
every test under INTEGRATION_DIRS is marked here, and a test elsewhere that needs one carries
`@pytest.mark.integration` itself. Every other test is a unit test and may not open a socket:
`make unit` (pytest -m "not integration") runs them alone, fast; `make test` runs everything.
"""

import os

# No request to huggingface.co for the client's agent-harness registry (see pipeline/hub/client.py).
os.environ["HF_HUB_DISABLE_TELEMETRY"] = "1"

from collections.abc import Generator, Iterator  # after the settings above
from pathlib import Path

import huggingface_hub.constants
import pytest

from tests import processes
from tests.golden_files import Golden, assert_golden
from tests.sockets import no_sockets

TESTS = Path(__file__).resolve().parent
INTEGRATION_DIRS = frozenset({"contract", "integration", "localhub", "preview"})


@pytest.hookimpl(tryfirst=True)  # before `-m` selects on the markers
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        parts = item.path.resolve().relative_to(TESTS).parts
        if len(parts) > 1 and parts[0] in INTEGRATION_DIRS:
            item.add_marker(pytest.mark.integration)
    # The tests marked `slow` first: pytest-xdist hands tests out in this order, so a long test
    # never starts last while the other worker has nothing left to run.
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item: pytest.Item) -> Generator[None, object, object]:
    """A unit test runs with sockets refused, its fixtures of every scope included."""
    if item.get_closest_marker("integration"):
        return (yield)
    with no_sockets(item.nodeid):
        return (yield)


def pytest_configure(config: pytest.Config) -> None:
    # An orphan of a test's process becomes this process's child, where _no_process_left sees it.
    processes.adopt_orphans()


@pytest.fixture(autouse=True)
def _no_xet(monkeypatch: pytest.MonkeyPatch) -> None:
    """The local Hub speaks the LFS protocol, not Xet, as the README says: huggingface_hub's own
    uploads in tests (weights beside a card) go through LFS, as with HF_HUB_DISABLE_XET=1."""
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_DISABLE_XET", True)


@pytest.fixture(autouse=True, scope="session")
def _no_process_left_by_a_fixture() -> Iterator[None]:
    """What a module's or the session's fixtures started is ended by the end of the run."""
    before = processes.children()
    yield
    processes.fail_if_left(before, "the session's fixtures")


@pytest.fixture(autouse=True)
def _no_process_left() -> Iterator[None]:
    """A test that leaves a process it started running fails, and the process is killed. The
    fixtures of wider scope are set up before this one, so what they started is spared."""
    before = processes.children()
    yield
    processes.fail_if_left(before, "the test")


@pytest.fixture
def ctrl_c() -> Iterator[None]:
    """Ctrl-C (SIGINT) reaches this test's process and the subprocesses it starts, even under a
    pytest started with SIGINT ignored (a background job of a script; tests/processes.py)."""
    with processes.ctrl_c():
        yield


@pytest.fixture
def golden(request: pytest.FixtureRequest) -> Golden:
    """`golden(name, actual)`: `actual` is golden/<name> beside the test module
    (tests/golden_files.py; NB_RELEASE_UPDATE_GOLDEN=1 rewrites it)."""
    folder = request.path.parent / "golden"

    def check(name: str, actual: str) -> None:
        assert_golden(folder / name, actual)

    return check


@pytest.fixture(autouse=True)
def _own_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """nb-release's cache in a folder of each test's own, never the user's ~/.cache."""
    monkeypatch.setenv("NB_RELEASE_CACHE", str(tmp_path_factory.mktemp("nb-release-cache")))
