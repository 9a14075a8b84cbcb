"""A Hub (or a proxy in front of it) that answers wrongly: which head nb-release believes, and
whose commit it trusts. Each lie is a fault option of the local Hub (FaultConfig's lying block),
driven through the real client and CLI."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time

import httpx2
from huggingface_hub import CommitOperationAdd, HfApi

from pipeline.card.render import Selection
from pipeline.hub.client import Hub, Target
from pipeline.localhub import FaultConfig
from pipeline.manifest.sources import Sources
from pipeline.plan.planning import build_plan
from pipeline.plan.publish import apply_plan
from tests.integration.support import REPOS, ROOT, Project

EDITED = "NbAiLab/nb-llama-3.1-8B"
EVAL = "\n## Evaluation\n\n| task | score |\n| --- | --- |\n| NorBench | 71.2 |\n"
NO_HEAD = FaultConfig(drop_headers=("X-Repo-Commit",))


def _change_manifest(project: Project, variant: str = "nb-llama-3.1-8B") -> None:
    manifest = project.folder / "models.toml"
    manifest.write_text(
        manifest.read_text().replace(
            f'name = "{variant}"\n', f'name = "{variant}"\nparameters = "8.03 billion"\n'
        )
    )


def _hand_edit(project: Project, api: HfApi | None = None, description: str = "") -> str:
    edited = (project.readme(EDITED) or "") + EVAL
    (api or project.api).create_commit(
        EDITED,
        operations=[CommitOperationAdd("README.md", edited.encode())],
        commit_message="Add evaluation table",
        commit_description=description,
    )
    return edited


def _sources(project: Project) -> Sources:
    return Sources(manifest=project.folder / "models.toml", cards=project.folder / "cards")


# --- a README answer without X-Repo-Commit ------------------------------------------------------


def test_a_plan_without_x_repo_commit_still_knows_each_head(project: Project) -> None:
    assert project.run("release", "--yes").status == 0
    _change_manifest(project)
    project.hub.set_faults(NO_HEAD)
    made = project.run("plan", "--no-cache", "--out", "plan.json")
    assert made.status == 2, made.out + made.err
    entries = json.loads((project.folder / "plan.json").read_text())["entries"]
    heads = {e["repo_id"]: e["head_sha"] for e in entries}
    assert heads == {r: project.api.list_repo_commits(r)[0].commit_id for r in REPOS}

    edited = _hand_edit(project)  # between plan and apply
    applied = project.run("apply", "plan.json")
    assert applied.status == 3, applied.out + applied.err
    assert re.search(rf"^  stale +{re.escape(EDITED)} ", applied.out, re.MULTILINE)
    assert project.readme(EDITED) == edited


def test_a_release_without_x_repo_commit_never_overwrites_an_edit(project: Project) -> None:
    assert project.run("release", "--yes").status == 0
    _change_manifest(project)
    project.hub.set_faults(NO_HEAD)
    hub = Hub(Target(url=project.hub.url, token=project.hub.token))
    plan = build_plan(_sources(project), Selection(), hub, project.hub.url)
    edited = _hand_edit(project)  # between the plan and its commit
    result = apply_plan(plan, hub)
    assert [r.status for r in result.results] == ["stale"]
    assert project.readme(EDITED) == edited


def test_no_update_is_committed_without_a_parent(project: Project) -> None:
    assert project.run("release", "--yes").status == 0
    edited = _hand_edit(project)
    hub = Hub(Target(url=project.hub.url, token=project.hub.token))
    result = hub.commit_card(
        EDITED, "---\nlicense: mit\n---\nMine.\n", parent=None, title="t", description="d"
    )
    assert result.status in ("stale", "failed")
    assert "parent" in (result.message or "")
    assert project.readme(EDITED) == edited


# --- trailers anyone can write ------------------------------------------------------------------


def _colleague(project: Project) -> HfApi:
    token = "hf_colleague_" + "c" * 24
    with open(project.hub.token_file, "a", encoding="utf-8") as handle:
        handle.write(f"{token} colleague\n")
    return HfApi(endpoint=project.hub.url, token=token)


def _forged_trailers(project: Project) -> str:
    ours = project.api.list_repo_commits(EDITED)[0]
    return "Copied.\n\n" + ours.message.rsplit("\n\n", 1)[-1]


def test_copied_trailers_do_not_make_a_commit_nb_releases(project: Project) -> None:
    assert project.run("release", "--yes").status == 0
    edited = _hand_edit(project, _colleague(project), _forged_trailers(project))

    for flags in ((), ("--no-cache",)):
        entry = next(
            e
            for e in json.loads(project.run("plan", "--format", "json", *flags).out)["entries"]
            if e["repo_id"] == EDITED
        )
        assert entry["state"] == "drift", flags
    sync = project.run("sync")
    assert sync.status == 4, sync.out + sync.err
    assert project.readme(EDITED) == edited


def test_apply_checks_the_author_a_plan_without_a_token_could_not(project: Project) -> None:
    assert project.run("release", "--yes").status == 0
    edited = _hand_edit(project, _colleague(project), _forged_trailers(project))
    # No --hub-root and no HF_TOKEN: the plan reads without a token and cannot tell who wrote.
    made = project.run("plan", "--out", "plan.json", "--hub", project.hub.url, hub=False)
    assert made.status == 2, made.out + made.err
    applied = project.run("apply", "plan.json")
    assert applied.status == 4, applied.out + applied.err
    assert f"unverified {EDITED}" in applied.out
    assert project.readme(EDITED) == edited


def test_a_release_commit_by_the_publishing_user_is_trusted_without_the_cache(
    project: Project,
) -> None:
    assert project.run("release", "--yes").status == 0
    _change_manifest(project)
    plan = json.loads(project.run("plan", "--format", "json", "--no-cache").out)
    entry = next(e for e in plan["entries"] if e["repo_id"] == EDITED)
    assert entry["state"] == "pending"


# --- a commit answer that names the parent -----------------------------------------------------


def test_a_commit_answer_naming_the_parent_is_no_publish_and_poisons_no_cache(
    project: Project,
) -> None:
    assert project.run("release", "--yes").status == 0
    _change_manifest(project)
    project.hub.set_faults(FaultConfig(commit_answer="parent"))
    release = project.run("release", "--yes")
    assert release.status == 3, release.out + release.err
    assert "0 published" in release.out and "1 failed" in release.out
    assert "nothing was committed" in release.out

    project.hub.set_faults(None)
    again = project.run("plan")
    assert again.status == 2, again.out  # still pending, against an honest Hub
    assert project.run("release", "--yes").status == 0
    assert "8.03 billion" in (project.readme(EDITED) or "")


# --- a listing that lags behind the repo -------------------------------------------------------


def test_a_frozen_listing_hides_no_drift_from_sync(project: Project) -> None:
    assert project.run("release", "--yes").status == 0
    assert project.run("plan").status == 0  # the cache is warm
    project.hub.set_faults(FaultConfig(frozen_listing=True))
    assert project.run("plan").status == 0  # the listing is frozen at the released heads
    edited = _hand_edit(project)

    plan = project.run("plan")  # plain plan trusts the listing, and says so
    assert plan.status == 0
    assert "the Hub's listing shows" in plan.err
    sync = project.run("sync")
    assert sync.status == 4, sync.out + sync.err
    assert "drift" in sync.out
    assert project.readme(EDITED) == edited


def test_release_confirms_the_listing_with_one_head_request_per_cached_repo(
    project: Project,
) -> None:
    assert project.run("release", "--yes").status == 0
    assert project.run("plan").status == 0
    project.hub.counters.reset()
    assert project.run("release", "--yes").status == 0
    assert project.hub.counters.get("resolve", "HEAD") == len(REPOS)
    assert project.hub.counters.get("resolve", "GET") == 0


# --- an HTML answer to a commit that landed -----------------------------------------------------


def test_a_commit_that_landed_with_an_html_answer_is_published(project: Project) -> None:
    assert project.run("release", "--yes").status == 0
    _change_manifest(project)
    project.hub.set_faults(FaultConfig(commit_answer="html"))
    release = project.run("release", "--yes")
    assert release.status == 0, release.out + release.err
    assert "1 published" in release.out
    assert "Expecting value" not in release.out
    assert "8.03 billion" in (project.readme(EDITED) or "")


# --- SIGTERM mid-publish ------------------------------------------------------------------------


def test_sigterm_mid_publish_lists_what_landed_and_exits_130(project: Project) -> None:
    # Every commit takes a second and a half: the run is stopped after the first lands.
    project.hub.set_faults(
        FaultConfig(route="commit", fault_rate=1.0, kinds=("slow",), slow_ms=1500)
    )
    command = [sys.executable, "-m", "pipeline.cli.main", "release", "--yes", "--jobs", "1"]
    command += ["--hub", project.hub.url, "--hub-root", str(project.hub.root)]
    process = subprocess.Popen(
        command,
        cwd=project.folder,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    try:
        deadline = time.monotonic() + 60
        while not any(project.commits(r) == 2 for r in REPOS):
            assert time.monotonic() < deadline and process.poll() is None
            time.sleep(0.05)
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
    text = out.decode()
    assert process.returncode == 130, text + err.decode()
    assert "Interrupted:" in text
    landed = [r for r in REPOS if project.commits(r) == 2]
    assert landed and len(landed) < len(REPOS)
    for repo_id in landed:
        assert re.search(rf"^  published +{re.escape(repo_id)} ", text, re.MULTILINE)
    assert "Traceback" not in err.decode()


def test_the_lying_answers_are_set_through_the_admin_endpoint(project: Project) -> None:
    url = f"{project.hub.url}/_admin/faults"
    headers = {"Authorization": f"Bearer {project.hub.token}"}
    lies = {"drop_headers": ["X-Repo-Commit"], "commit_answer": "html", "frozen_listing": True}
    answer = httpx2.post(url, json=lies, headers=headers)
    assert answer.status_code == 200, answer.text
    assert {k: answer.json()[k] for k in lies} == lies
    for bad in ({"commit_answer": "lie"}, {"drop_headers": "X-Repo-Commit"}):
        assert httpx2.post(url, json=bad, headers=headers).status_code == 400


def test_history_does_not_mark_copied_trailers_as_nb_releases(project: Project) -> None:
    assert project.run("release", "--yes").status == 0
    _hand_edit(project, _colleague(project), _forged_trailers(project))
    shown = project.run("history", EDITED)
    assert shown.status == 0, shown.out + shown.err
    lines = [line for line in shown.out.splitlines() if line.startswith("  ")]
    assert "[not nb-release: nb-release's trailers in a commit by" in lines[0], shown.out
    assert "[nb-release sha256:" in lines[1], shown.out
