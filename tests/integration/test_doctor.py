"""`nb-release doctor` against the real local Hub: each failing check is one line and exit 1;
a ready set-up exits 0. The token is never printed."""

from __future__ import annotations

import shutil
import socket

import pytest

from tests.integration.support import ROOT, Project, Run


@pytest.fixture
def ready(project: Project) -> Project:
    shutil.copytree(ROOT / ".github", project.folder / ".github")
    return project


def _failures(run: Run) -> list[str]:
    return [line for line in run.out.splitlines() if line.startswith("FAIL")]


def _add_token(project: Project, line: str, monkeypatch: pytest.MonkeyPatch) -> None:
    with project.hub.token_file.open("a", encoding="utf-8") as handle:
        handle.write(line + "\n")
    monkeypatch.setenv("HF_TOKEN", line.split()[0])


def test_a_ready_set_up_passes_every_check(ready: Project) -> None:
    run = ready.run("doctor")
    assert run.status == 0, run.out + run.err
    assert _failures(run) == []
    assert "ok   token: valid, of user local-user (role write)" in run.out
    assert "ok   write access: all 4 repos of NbAiLab" in run.out
    assert run.out.rstrip().endswith("Ready to release.")
    assert ready.hub.token not in run.out + run.err


def test_no_token(ready: Project) -> None:
    run = ready.run("doctor", "--hub", ready.hub.url, hub=False)
    assert run.status == 1
    assert _failures(run) == [
        f"FAIL token: none found for {ready.hub.url}; set HF_TOKEN (a GitHub secret in CI), "
        "or run `hf auth login`"
    ]


def test_a_read_only_token(ready: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    _add_token(ready, "hf_local_reader reader read", monkeypatch)
    run = ready.run("doctor", "--hub", ready.hub.url, hub=False)
    assert run.status == 1
    assert _failures(run) == [
        "FAIL write access: the token is read-only, so it cannot write to NbAiLab; create a "
        "fine-grained token with write access to NbAiLab's repos"
    ]
    assert "ok   token: found in HF_TOKEN" in run.out
    assert "hf_local_reader" not in run.out + run.err


def test_a_fine_grained_token_scoped_to_the_family(
    ready: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    _add_token(ready, "hf_local_fine ci fineGrained org:NbAiLab", monkeypatch)
    run = ready.run("doctor", "--hub", ready.hub.url, hub=False)
    assert run.status == 0, run.out
    assert "ok   token: valid, of user ci (role fineGrained)" in run.out


def test_a_fine_grained_token_missing_a_repo(
    ready: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    _add_token(
        ready,
        "hf_local_fine ci fineGrained model:NbAiLab/nb-llama-3.2-1B model:NbAiLab/nb-llama-3.1-8B "
        "model:NbAiLab/nb-llama-3.1-8B-sft=repo.content.read",
        monkeypatch,
    )
    run = ready.run("doctor", "--hub", ready.hub.url, hub=False)
    assert run.status == 1
    assert _failures(run) == [
        "FAIL write access: the token cannot write to NbAiLab/nb-llama-3.1-8B-sft, "
        "NbAiLab/nb-llama-3.2-1B-Q4_K_M-GGUF; give it write access to NbAiLab's repos (a "
        "fine-grained token: Repositories permissions > write)"
    ]


def test_an_unreachable_target(ready: Project) -> None:
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{closed.getsockname()[1]}"
    run = ready.run("doctor", "--hub", url, "--max-wait", "0.1", hub=False)
    assert run.status == 1
    (failure,) = _failures(run)
    assert failure.startswith("FAIL target: listing the repos of NbAiLab: ")
    assert f"cannot reach the Hub at {url}" in failure


def test_a_missing_workflow(ready: Project) -> None:
    (ready.folder / ".github" / "workflows" / "release.yml").unlink()
    run = ready.run("doctor")
    assert run.status == 1
    assert _failures(run) == [
        "FAIL .github/workflows/release.yml: missing; copy it from nb-release's .github/workflows/"
    ]


def test_a_publishing_job_outside_the_environment(ready: Project) -> None:
    path = ready.folder / ".github" / "workflows" / "nightly-sync.yml"
    path.write_text(path.read_text().replace("    environment: huggingface\n", ""))
    run = ready.run("doctor")
    assert run.status == 1
    assert _failures(run) == [
        "FAIL .github/workflows/nightly-sync.yml: job sync reads secrets.HF_TOKEN outside the "
        "environment 'huggingface'; add `environment: huggingface` to the job"
    ]
