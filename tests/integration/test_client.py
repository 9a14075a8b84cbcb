"""The client side against the local Hub: retries on every route, per-repo outcomes, quota stops,
parallel publishing, plan integrity, races, targets, offline mode and listings of many pages."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import httpx2
import pytest
from huggingface_hub import CommitInfo, CommitOperation, HfApi

from pipeline.card.render import Selection
from pipeline.hub._retry import RunOver
from pipeline.hub.client import Hub, Target, open_hub
from pipeline.localhub import FaultConfig, LocalHub
from pipeline.localhub.quotas import Quota
from pipeline.manifest.sources import Sources
from pipeline.plan.planning import build_plan
from pipeline.plan.publish import ApplyResult, apply_plan
from tests.integration.support import REPOS, ROOT, Project

NEW_REPO = "NbAiLab/nb-llama-3.1-70B"
HAND_EDIT = "---\nlicense: mit\n---\nWritten by hand.\n"


def _add_creatable_variant(project: Project) -> None:
    manifest = project.folder / "models.toml"
    manifest.write_text(
        manifest.read_text()
        + '\n[[models]]\nname = "nb-llama-3.1-70B"\nkind = "base"\nllama_version = "3.1"\n'
        'size = "70B"\nbase_model = "meta-llama/Llama-3.1-70B"\nallow_create = true\n'
    )


def _summary_repos(out: str) -> list[str]:
    return [line.split()[1] for line in out.splitlines() if line.startswith("  published")]


def _squeezed(out: str) -> str:
    """The output with each run of spaces as one: result lines are padded into columns."""
    return "\n".join(" ".join(line.split()) for line in out.splitlines())


# --- one retry policy for every request ------------------------------------------------------


@pytest.mark.parametrize(
    "route",
    ["whoami", "create_repo", "resolve", "validate_yaml", "preupload", "commit", "model_info"],
)
@pytest.mark.parametrize("kind", ["429", "503", "drop"])
def test_every_route_is_retried(project: Project, route: str, kind: str) -> None:
    _add_creatable_variant(project)
    project.hub.set_faults(FaultConfig(fault_rate=1.0, route=route, first_n=2, kinds=(kind,)))
    result = project.run("release", "--yes")
    assert result.status == 0, result.out + result.err
    assert "5 published" in result.out
    if route != "model_info":  # only read when a README is missing on a repo with commits
        assert project.hub.counters.faults() == {kind: 2}
    project.hub.set_faults(None)
    assert project.run("plan").status == 0
    assert all(project.commits(r) == 2 for r in REPOS)  # no duplicate commit


def test_whoami_once_per_run_and_not_when_nothing_is_published(project: Project) -> None:
    assert project.run("release", "--yes", "--jobs", "4").status == 0
    assert project.hub.counters.get("whoami") == 1
    project.hub.counters.reset()
    assert project.run("release", "--yes").status == 0
    assert project.run("plan").status == 0
    assert project.hub.counters.get("whoami") == 0


def test_a_commit_quota_beyond_max_wait_stops_cleanly_and_a_rerun_resumes(
    project: Project,
) -> None:
    # One card is published; then the commit quota is spent for an hour.
    assert project.run("release", "--yes", "--only", "*1B").status == 0
    project.hub.set_faults(
        FaultConfig(fault_rate=1.0, route="commit", kinds=("429",), retry_after=3600)
    )
    project.hub.counters.reset()
    result = project.run("release", "--yes", "--max-wait", "5", "--jobs", "1")
    assert result.status == 3, result.out + result.err
    assert "3 repos left to publish" in result.out
    assert "resets in 3600 s" in result.out
    assert "run the command again after" in result.out
    assert project.hub.counters.get("commit") == 1  # stopped at the first refusal
    assert project.hub.counters.faults() == {"429": 1}
    # The verify step reads back only what this run meant to be on main: not the repos the
    # quota left unstarted.
    assert "(0 mismatches)" in result.out, result.out

    project.hub.set_faults(None)
    again = project.run("release", "--yes")
    assert again.status == 0, again.out + again.err
    assert "3 published" in again.out
    assert all(project.commits(r) == 2 for r in REPOS)


def test_a_lost_commit_answer_is_rechecked_and_never_committed_twice(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The local Hub cannot lose an answer after committing; the client's call is wrapped so the
    # first commit lands and its answer is then lost on the way back.
    hub = Hub(Target(url=project.hub.url, token=project.hub.token))
    real = hub.api.create_commit
    lost: list[str] = []

    def commit_then_lose_answer(
        repo_id: str, operations: Iterable[CommitOperation], **kwargs: Any
    ) -> CommitInfo:
        info: CommitInfo = real(repo_id, operations, **kwargs)
        if not lost:
            lost.append(repo_id)
            raise httpx2.ReadError("connection reset by peer")
        return info

    monkeypatch.setattr(hub.api, "create_commit", commit_then_lose_answer)
    repo_id = REPOS[0]
    head = hub.read_card(repo_id).head_sha
    result = hub.commit_card(
        repo_id, "---\nlicense: mit\n---\nhi\n", parent=head, title="t", description="d"
    )
    assert lost == [repo_id]
    assert result.status == "published"
    assert project.commits(repo_id) == 2  # the Hub's initial commit + one of ours


# --- per-repo outcomes ---------------------------------------------------------------------------


def test_a_lasting_failure_on_one_repo_is_that_repos_failure(project: Project) -> None:
    _add_creatable_variant(project)
    project.hub.set_faults(FaultConfig(fault_rate=1.0, route="create_repo", kinds=("503",)))
    result = project.run("release", "--yes", "--max-wait", "2")
    assert result.status == 3, result.out + result.err
    assert "4 published" in result.out and "1 failed" in result.out
    assert f"failed {NEW_REPO} creating {NEW_REPO}: HTTP 503" in _squeezed(result.out)
    project.hub.set_faults(None)
    again = project.run("release", "--yes")
    assert again.status == 0 and "1 published" in again.out


def test_parallel_results_are_reported_in_manifest_order(project: Project) -> None:
    result = project.run("release", "--yes", "--jobs", "4")
    assert result.status == 0, result.err
    assert _summary_repos(result.out) == list(REPOS)
    assert all(project.commits(r) == 2 for r in REPOS)


def test_parallel_publishing_uses_at_most_three_requests_per_card(project: Project) -> None:
    plan_file = project.folder / "p.json"
    assert project.run("plan", "--out", str(plan_file)).status == 2
    project.hub.counters.reset()
    assert project.run("apply", str(plan_file), "--jobs", "4").status == 0
    counts = project.hub.counters.snapshot()
    # The Hub's validate-yaml, before any write; the upload check; the commit. The client does
    # not ask validate-yaml again about a card the run had accepted.
    per_card = sum(n for (route, _), n in counts.items() if route not in ("whoami", "list_models"))
    assert per_card <= 3 * len(REPOS), counts
    assert project.hub.counters.get("validate_yaml") == len(REPOS), counts
    assert project.hub.counters.get("list_models") == 1, counts  # the verify step, per namespace
    assert project.hub.counters.get("resolve") == 0  # no re-read


# --- races ----------------------------------------------------------------------------------


def test_create_repo_race_keeps_a_readme_written_after_the_plan(project: Project) -> None:
    _add_creatable_variant(project)
    plan_file = project.folder / "p.json"
    assert project.run("plan", "--out", str(plan_file)).status == 2
    project.api.create_repo(NEW_REPO)
    project.api.upload_file(
        path_or_fileobj=HAND_EDIT.encode(), path_in_repo="README.md", repo_id=NEW_REPO
    )
    result = project.run("apply", str(plan_file))
    assert result.status == 3, result.out + result.err
    assert f"\nstale {NEW_REPO} " in _squeezed(result.out)
    assert project.readme(NEW_REPO) == HAND_EDIT


def test_content_another_run_wrote_is_already_up_to_date(project: Project) -> None:
    plan_file = project.folder / "p.json"
    assert project.run("plan", "--out", str(plan_file)).status == 2
    assert project.run("release", "--yes").status == 0  # another run publishes the same cards
    project.hub.counters.reset()
    result = project.run("apply", str(plan_file))
    assert result.status == 0, result.out + result.err
    assert "0 published" in result.out and "4 already up to date" in result.out
    assert project.hub.counters.get("commit") == 0
    again = project.run("apply", str(plan_file))  # re-applying an applied plan
    assert "4 already up to date" in again.out
    assert all(project.commits(r) == 2 for r in REPOS)


# --- plan integrity ---------------------------------------------------------------------------


@pytest.mark.parametrize("tamper", ["repo_id", "content", "action"])
def test_a_tampered_plan_is_refused_before_any_write(project: Project, tamper: str) -> None:
    plan_file = project.folder / "p.json"
    assert project.run("plan", "--out", str(plan_file)).status == 2
    data = json.loads(plan_file.read_text())
    entry = data["entries"][0]
    if tamper == "repo_id":
        entry["repo_id"] = "Evil/elsewhere"
        entry["action"] = entry["state"] = "create-repo"
        entry["head_sha"] = None
        expected = "the manifest has no such repo"
    elif tamper == "content":
        entry["content"] = entry["content"] + "\n<script>x</script>\n"
        expected = "content is not the card the manifest renders now"
    else:
        entry["action"] = entry["state"] = "create-repo"
        entry["head_sha"] = None
        expected = "the manifest does not allow it"
    plan_file.write_text(json.dumps(data))
    project.hub.counters.reset()
    result = project.run("apply", str(plan_file))
    assert result.status == 1, result.out + result.err
    assert expected in result.err
    assert project.writes() == 0


# --- targets and tokens -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "suffix", ["user:{token}@", "?token={token}", "#{token}"], ids=["userinfo", "query", "fragment"]
)
def test_a_hub_url_carrying_a_token_is_refused_and_never_echoed(
    project: Project, suffix: str
) -> None:
    token = project.hub.token
    host = project.hub.url.removeprefix("http://")
    if suffix.startswith("user"):
        url = "http://" + suffix.format(token=token) + host
    else:
        url = project.hub.url + "/" + suffix.format(token=token)
    for argv in (("plan",), ("release", "--yes")):
        result = project.run(*argv, "--hub", url, hub=False)
        assert result.status == 1, result.out + result.err
        assert "refuses URLs that could hold a token" in result.err
        assert token not in result.out + result.err
    assert project.hub.counters.total() == 0


def test_the_local_token_file_goes_only_to_loopback(
    project: Project, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HF_TOKEN_PATH", str(tmp_path / "no-token"))
    with open_hub("https://huggingface.co", project.hub.root) as hub:
        assert hub.target.token is None
    with open_hub(project.hub.url, project.hub.root) as hub:
        assert hub.target.token == project.hub.token
    localhost = project.hub.url.replace("127.0.0.1", "localhost")
    with open_hub(localhost, project.hub.root) as hub:
        assert hub.target.token == project.hub.token


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_convergence_within_three_runs_at_30_percent_faults(project: Project, seed: int) -> None:
    _add_creatable_variant(project)
    # Every route, every fault kind but "slow" (a 3 s stall adds time, not a new failure mode).
    faults = FaultConfig(
        fault_rate=0.3, fault_seed=seed, kinds=("500", "502", "503", "429", "drop")
    )
    project.hub.set_faults(faults)
    statuses: list[int] = []
    while len(statuses) < 3 and 0 not in statuses:
        statuses.append(project.run("release", "--yes").status)
    assert statuses[-1] == 0, statuses
    assert project.hub.counters.faults()  # faults did happen
    project.hub.set_faults(None)
    assert project.run("plan").status == 0
    assert [project.commits(r) for r in REPOS] == [2, 2, 2, 2]  # no duplicate commit


def test_a_create_repo_fault_at_a_low_rate_is_retried_to_the_end(project: Project) -> None:
    _add_creatable_variant(project)
    project.hub.set_faults(FaultConfig(fault_rate=0.08, fault_seed=101, route="create_repo"))
    result = project.run("release", "--yes")
    assert result.status == 0, result.out + result.err
    assert "5 published" in result.out


@pytest.mark.usefixtures("ctrl_c")
def test_ctrl_c_starts_no_new_commit_and_reports_what_landed(project: Project) -> None:
    sources = Sources(manifest=project.folder / "models.toml", cards=project.folder / "cards")
    hub = Hub(Target(url=project.hub.url, token=project.hub.token))
    plan = build_plan(sources, Selection(), hub, project.hub.url)
    interrupted: list[str] = []

    def ctrl_c(repo_id: str) -> None:
        if not interrupted:
            interrupted.append(repo_id)
            os.kill(os.getpid(), signal.SIGINT)  # a real Ctrl-C, delivered to the main thread

    result = apply_plan(plan, hub, jobs=1, on_done=ctrl_c)
    assert result.interrupted
    assert result.left, "the commits not yet started were not started"
    landed = {r.repo_id for r in result.with_status("published")}
    assert interrupted[0] in landed
    assert {r.repo_id for r in result.results} | set(result.left) == set(REPOS)
    for repo_id in REPOS:  # the report says exactly what landed
        assert project.commits(repo_id) == (2 if repo_id in landed else 1)


# --- the local Hub's quotas (429 with Retry-After, RateLimit and RateLimit-Policy) ---------------


@pytest.mark.parametrize("jobs", ["1", "4"])
def test_an_hourly_commit_quota_stops_cleanly_and_a_rerun_finishes(
    project: Project, jobs: str
) -> None:
    project.hub.set_quotas([Quota("commits", 2, 3600)])
    result = project.run("release", "--yes", "--jobs", jobs, "--max-wait", "5")
    assert result.status == 3, result.out + result.err
    assert "2 published" in result.out
    assert "2 repos left to publish" in result.out
    assert "commit requests resets in" in result.out
    published = [r for r in REPOS if project.commits(r) == 2]
    assert len(published) == 2

    project.hub.set_quotas([])
    again = project.run("release", "--yes", "--jobs", jobs)
    assert again.status == 0, again.out + again.err
    assert "2 published" in again.out
    assert [project.commits(r) for r in REPOS] == [2, 2, 2, 2]  # no duplicate commit


def test_a_short_api_window_is_waited_for_not_failed(project: Project) -> None:
    project.hub.set_quotas([Quota("api", 4, 1), Quota("resolvers", 3, 1)])
    result = project.run("release", "--yes", "--jobs", "4")
    assert result.status == 0, result.out + result.err
    assert "4 published" in result.out
    project.hub.set_quotas([])
    assert project.run("plan").status == 0


def test_concurrent_applies_of_one_plan_report_each_commit_once(project: Project) -> None:
    sources = Sources(manifest=project.folder / "models.toml", cards=project.folder / "cards")
    planner = Hub(Target(url=project.hub.url, token=project.hub.token))
    plan = build_plan(sources, Selection(), planner, project.hub.url)
    results: list[ApplyResult] = []
    start = threading.Barrier(3)

    def run() -> None:
        hub = Hub(Target(url=project.hub.url, token=project.hub.token))
        start.wait()
        results.append(apply_plan(plan, hub, jobs=4))

    threads = [threading.Thread(target=run) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    published = [r.repo_id for result in results for r in result.with_status("published")]
    already = [r.repo_id for result in results for r in result.with_status("already")]
    assert sorted(published) == sorted(REPOS)  # each card published once, by one of the runs
    assert len(already) == 2 * len(REPOS)  # the others say "already up to date"
    assert [project.commits(r) for r in REPOS] == [2, 2, 2, 2]


def test_a_hung_request_times_out_and_is_retried(project: Project) -> None:
    project.hub.set_faults(
        FaultConfig(fault_rate=1.0, route="resolve", first_n=1, kinds=("slow",), slow_ms=3000)
    )
    result = project.run("plan", "--no-cache", "--timeout", "0.5")
    assert result.status == 2, result.out + result.err
    assert project.hub.counters.get("resolve") == len(REPOS) + 1


def test_re_applying_a_plan_stopped_by_the_commit_quota_resumes_it(project: Project) -> None:
    plan_file = project.folder / "p.json"
    assert project.run("plan", "--out", str(plan_file)).status == 2
    project.hub.set_quotas([Quota("commits", 2, 3600)])
    first = project.run("apply", str(plan_file), "--jobs", "1", "--max-wait", "5")
    assert first.status == 3, first.out + first.err
    assert "2 repos left to publish" in first.out
    project.hub.set_quotas([])
    again = project.run("apply", str(plan_file))
    assert again.status == 0, again.out + again.err
    assert "2 published" in again.out and "2 already up to date" in again.out
    assert [project.commits(r) for r in REPOS] == [2, 2, 2, 2]


# --- listings of many pages ------------------------------------------------------------------


def test_a_listing_of_many_pages_is_read_to_its_end(tmp_path: Path) -> None:
    """Each next link is checked with its own query (the cursor): pages 2 and 3 of a listing
    differ only there, and neither is 'a page already read'."""
    with LocalHub(root=tmp_path / "hub", page_size=2) as server:
        api = HfApi(endpoint=server.url, token=server.token)
        repo_id = REPOS[0]
        api.create_repo(repo_id)
        for n in range(6):
            api.upload_file(
                path_or_fileobj=f"{n}\n".encode(), path_in_repo="f.txt", repo_id=repo_id
            )
        for name in ("a", "b", "c", "d"):
            api.create_repo(f"NbAiLab/{name}")
        hub = Hub(Target(url=server.url, token=server.token))
        assert len(hub.list_commits(repo_id)) == 7  # the initial commit and six: four pages
        assert len(hub.list_heads("NbAiLab")) == 5  # three pages


# --- huggingface_hub's offline mode (HF_HUB_OFFLINE) ---------------------------------------------


def test_offline_mode_allows_the_embedded_local_hub(project: Project, tmp_path: Path) -> None:
    """The embedded local Hub is a server nb-release starts on loopback: no network. The
    variable is read when huggingface_hub is imported, so the run is a process of its own."""
    env = {k: v for k, v in os.environ.items() if k not in ("HF_TOKEN", "NB_RELEASE_HUB")}
    env.update(HF_HUB_OFFLINE="1", PYTHONPATH=str(ROOT), NB_RELEASE_CACHE=str(tmp_path / "c"))
    argv = [sys.executable, "-m", "pipeline.cli.main", "--hub", "local", "--hub-root", "new-hub"]
    released = subprocess.run(
        [*argv[:3], "release", "--yes", *argv[3:]],
        cwd=project.folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert released.returncode == 0, released.stdout + released.stderr
    assert "4 published" in released.stdout
    again = subprocess.run(
        [*argv[:3], "plan", *argv[3:]],
        cwd=project.folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert again.returncode == 0, again.stdout + again.stderr


def test_offline_mode_refuses_a_hub_url_in_one_line(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("huggingface_hub.constants.HF_HUB_OFFLINE", True)
    for argv in (("plan",), ("release", "--yes"), ("history",)):
        result = project.run(*argv, "--hub", "https://huggingface.co", hub=False)
        assert result.status == 1, result.out + result.err
        assert result.err.splitlines() == [
            "error: HF_HUB_OFFLINE is set, and this command reads the Hub at "
            "https://huggingface.co",
            "hint: unset HF_HUB_OFFLINE to reach it; the embedded local Hub (--hub local), "
            "`nb-release validate` and `nb-release render` work offline",
        ]
    assert project.hub.counters.total() == 0


# --- a quota that resets later than --max-wait --------------------------------------------------


@pytest.mark.parametrize(
    "argv", [("plan",), ("preview",), ("release", "--yes"), ("sync",), ("history",)]
)
def test_a_read_quota_that_resets_later_stops_before_any_write_with_status_1(
    project: Project, argv: tuple[str, ...]
) -> None:
    """Nothing was written, so the status is the error's (1), not 'partly done' (3); the
    message says when to run again. A stop while publishing is 3 (the commit quota tests)."""
    project.hub.set_quotas([Quota("resolvers", 1, 3600), Quota("api", 1, 3600)])
    result = project.run(*argv, "--no-cache", "--max-wait", "2")
    assert result.status == 1, result.out + result.err
    error, hint = result.err.splitlines()[-2:]
    assert error.startswith("error: ") and "requests resets in" in error, result.err
    assert "longer than --max-wait" in error
    assert hint.startswith("hint: run the command again after ")
    assert project.writes() == 0


def test_a_closed_hub_sends_nothing_more(project: Project) -> None:
    """Once a run's Hub is closed, what the run left on threads of its own (reads it no longer
    waits for) sends no request: the Hub it asked may be gone, and the next run's notes are
    its own."""
    with open_hub(project.hub.url, project.hub.root) as hub:
        assert hub.list_heads("NbAiLab")
    project.hub.counters.reset()
    with pytest.raises(RunOver):
        hub.list_heads("NbAiLab")
    assert project.hub.counters.total() == 0
