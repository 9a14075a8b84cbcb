"""The store and the in-process API, without HTTP."""

from __future__ import annotations

import datetime as dt
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from pipeline.errors import PipelineError
from pipeline.localhub import LocalHub
from pipeline.localhub.cardcheck import card_data, json_safe, validate
from pipeline.localhub.problems import HubProblem
from pipeline.localhub.store import GITATTRIBUTES, Op, Store, blob_oid


def test_blob_oid_is_gits() -> None:
    # `git hash-object` of "hello\n".
    assert blob_oid(b"hello\n") == "ce013625030ba8dba906f756967f9e9ca394464a"


def test_repo_ids_are_case_insensitive_and_persist(tmp_path: Path) -> None:
    store = Store(tmp_path)
    repo, created = store.create_repo("NbAiLab/Model", private=True)
    assert created
    again, created = store.create_repo("nbailab/model", private=False)
    assert not created and again == repo
    head = store.head(repo)
    assert store.commit_info(head).author == "system"
    assert store.blob(store.files(head)[0].oid) == GITATTRIBUTES
    store.close()
    reopened = Store(tmp_path)
    assert reopened.get_repo("NBAILAB/MODEL") == repo
    assert reopened.check() == []
    reopened.close()


def test_a_file_and_a_folder_of_one_name_are_refused(tmp_path: Path) -> None:
    store = Store(tmp_path)
    store.seed("a/b", {"x": "1"})
    repo = store.get_repo("a/b")
    assert repo is not None
    with pytest.raises(HubProblem, match="both a file and a folder"):
        store.commit(repo, "main", [Op("put", "x/y", b"2")], title="t", description="", author="u")
    store.close()


def test_history_and_refs(tmp_path: Path) -> None:
    store = Store(tmp_path)
    first = store.seed("a/b", {"x": "1"})
    second = store.seed("a/b", {"x": "2"})
    repo = store.get_repo("a/b")
    assert repo is not None
    assert [c.oid for c in store.history(second)][:2] == [second, first]
    assert [c.oid for c in store.history(second, stop=first)] == [second]
    assert store.resolve(repo, "refs/heads/main") == second
    assert store.resolve(repo, first) == first
    assert store.resolve(repo, "0" * 40) is None
    assert store.refs(repo) == [("main", second)]
    store.close()


def test_card_data_uses_yaml_1_2_and_json_values() -> None:
    readme = b"---\nlanguage: [no, nb]\ndate: 2024-05-01\nn: .nan\n1: one\n---\n# x\n"
    assert card_data(readme) == {
        "language": ["no", "nb"],
        "date": "2024-05-01T00:00:00.000Z",
        "n": None,
        "1": "one",
    }
    assert card_data(b"# no front matter\n") is None
    assert card_data(b"---\n[unclosed\n---\n") is None
    moment = dt.datetime(2024, 5, 1, 12, 0, 0, 250000, tzinfo=dt.UTC)
    assert json_safe(moment) == "2024-05-01T12:00:00.250Z"


def test_validate_collects_every_problem() -> None:
    errors, warnings = validate("---\nlicense: x\npipeline_tag: y\nlanguage: 3\n---\n")
    assert len(errors) == 3 and warnings == []
    assert validate("---\n---\n") == ([], ["empty or missing yaml metadata in repo card"])
    assert validate("---\n- a list\n---\n")[0] == [
        "README.md metadata must be a YAML mapping (key: value)"
    ]


def test_non_loopback_needs_permission(tmp_path: Path) -> None:
    with pytest.raises(PipelineError, match="loopback"):
        LocalHub(tmp_path, host="0.0.0.0")
    LocalHub(tmp_path, host="localhost")  # fine, not started


def test_url_and_store_need_a_started_hub(tmp_path: Path) -> None:
    hub = LocalHub(tmp_path)
    with pytest.raises(PipelineError, match="not started"):
        _ = hub.url
    with hub:
        assert hub.url.startswith("http://127.0.0.1:")
    hub.stop()  # stopping twice is harmless


@pytest.mark.usefixtures("ctrl_c")
@pytest.mark.parametrize("stop_signal", [signal.SIGINT, signal.SIGTERM])
def test_serve_forever_announces_the_token_file_not_the_token(
    tmp_path: Path, stop_signal: signal.Signals
) -> None:
    # In its own process (python -m pipeline.localhub calls serve_forever): signals stay there.
    process = subprocess.Popen(
        [sys.executable, "-m", "pipeline.localhub", "--root", str(tmp_path)],
        cwd=Path(__file__).resolve().parents[2],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        first = process.stdout.readline()
        second = process.stdout.readline()
        process.send_signal(stop_signal)
        out, err = process.communicate(timeout=20)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 0, err
    token = (tmp_path / "tokens").read_text(encoding="utf-8").split()[-2]
    assert first.startswith("Local Hub serving at http://127.0.0.1:")
    assert str(tmp_path / "tokens") in second
    assert token not in first + second + out + err
