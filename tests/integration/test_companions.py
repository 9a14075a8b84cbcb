"""Companion files against a real local Hub: the NOTICE the manifest declares is published with
the card in one commit per repo, its hand edit is drift, and history and restore take --file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from huggingface_hub import CommitOperationAdd, hf_hub_download

from tests.integration.support import REPOS, Project

EDITED = "NbAiLab/nb-llama-3.1-8B"
FILES = '\n[defaults.files]\n"NOTICE" = { template = "files/NOTICE.j2" }\n'
NOTICE_31 = (
    "Llama 3.1 is licensed under the Llama 3.1 Community License, Copyright © Meta Platforms, "
    "Inc. All Rights Reserved.\n"
)


def _with_notice(project: Project) -> None:
    manifest = project.folder / "models.toml"
    text = manifest.read_text()
    manifest.write_text(text.replace("\n[kinds.gguf]", FILES + "\n[kinds.gguf]", 1))


def _notice(project: Project, repo_id: str = EDITED) -> str:
    path = hf_hub_download(
        repo_id, "NOTICE", endpoint=project.hub.url, token=project.hub.token, force_download=True
    )
    with open(path, encoding="utf-8") as file:
        return file.read()


def _hand_edit_notice(project: Project) -> str:
    edited = _notice(project) + "Thanks to the NB AI-Lab.\n"
    project.api.create_commit(
        EDITED,
        operations=[CommitOperationAdd("NOTICE", edited.encode())],
        commit_message="Thank the lab in NOTICE",
    )
    return edited


def test_release_publishes_card_and_notice_in_one_commit_per_repo(project: Project) -> None:
    _with_notice(project)
    first = project.run("release", "--yes")
    assert first.status == 0, first.out + first.err
    assert project.hub.counters.get("commit") == len(REPOS)
    assert _notice(project) == NOTICE_31
    assert _notice(project, "NbAiLab/nb-llama-3.2-1B").startswith("Llama 3.2 is licensed")
    assert "**Built with Llama**" in (project.readme(EDITED) or "")
    for repo_id in REPOS:
        assert project.commits(repo_id) == 2  # the repo's creation, and one release
    project.hub.counters.reset()
    again = project.run("release", "--yes")
    assert again.status == 0, again.out + again.err
    assert project.writes() == 0


def test_a_new_companion_is_published_to_a_family_released_without_it(project: Project) -> None:
    assert project.run("release", "--yes").status == 0
    _with_notice(project)
    plan = json.loads(project.run("plan", "--format", "json").out)
    entry = next(e for e in plan["entries"] if e["repo_id"] == EDITED)
    assert entry["action"] == "update"
    assert [(f["path"], f["action"]) for f in entry["files"]] == [("NOTICE", "create")]
    project.hub.counters.reset()
    assert project.run("release", "--yes").status == 0
    assert project.hub.counters.get("commit") == len(REPOS)
    assert _notice(project) == NOTICE_31


def test_a_hand_edit_of_notice_is_drift_left_by_sync_and_restored_by_overwrite(
    project: Project,
) -> None:
    _with_notice(project)
    assert project.run("release", "--yes").status == 0
    edited = _hand_edit_notice(project)

    plan = json.loads(project.run("plan", "--format", "json").out)
    entry = next(e for e in plan["entries"] if e["repo_id"] == EDITED)
    assert entry["state"] == "drift"
    assert [(f["path"], f["state"]) for f in entry["files"]] == [("NOTICE", "drift")]
    assert entry["drift"]["edit_diff"].startswith("--- a/NOTICE (nb-release, ")
    assert "+Thanks to the NB AI-Lab." in entry["drift"]["edit_diff"]

    project.hub.counters.reset()
    sync = project.run("sync")
    assert sync.status == 4, sync.out + sync.err
    assert project.writes() == 0
    assert _notice(project) == edited

    overwrite = project.run("sync", "--on-drift", "overwrite")
    assert overwrite.status == 0, overwrite.out + overwrite.err
    assert _notice(project) == NOTICE_31
    # Only NOTICE was changed by hand: the way back names it, and not the card.
    back = f"nb-release restore {EDITED} --to "
    [line] = [x for x in overwrite.out.splitlines() if "to bring it back" in x]
    assert back in line and line.endswith(" --file NOTICE`") and line.count("`") == 2
    assert project.run("sync").status == 0


def test_history_and_restore_take_a_file(project: Project) -> None:
    _with_notice(project)
    assert project.run("release", "--yes").status == 0
    edited = _hand_edit_notice(project)

    history = project.run("history", EDITED, "--file", "NOTICE")
    assert history.status == 0, history.out + history.err
    assert "Thank the lab in NOTICE" in history.out
    card_history = project.run("history", EDITED)
    assert "Thank the lab in NOTICE" not in card_history.out

    commits = project.api.list_repo_commits(EDITED)
    released = commits[1].commit_id  # the release, below the hand edit
    restore = project.run("restore", EDITED, "--to", released, "--file", "NOTICE", "--yes")
    assert restore.status == 0, restore.out + restore.err
    assert _notice(project) == NOTICE_31
    assert edited != NOTICE_31


def test_the_reports_show_a_companion_files_diff(project: Project) -> None:
    assert project.run("release", "--yes").status == 0
    _with_notice(project)
    text = project.run("plan")
    assert text.status == 2, text.out + text.err
    assert "NOTICE: create (+1 -0)" in text.out
    assert "+Llama 3.1 is licensed under the Llama 3.1 Community License" in text.out
    markdown = project.run("plan", "--format", "markdown")
    assert "`NOTICE: create (+1 -0)`" in markdown.out


def test_a_warm_no_change_plan_with_companions_costs_the_listing_only(project: Project) -> None:
    _with_notice(project)
    assert project.run("release", "--yes").status == 0
    project.hub.counters.reset()
    assert project.run("plan").status == 0  # the cache knows every head: the listing only
    assert project.hub.counters.total() == 1, project.hub.counters.snapshot()
    project.hub.counters.reset()
    assert project.run("plan", "--no-cache").status == 0
    # Without the cache: every card is read; every NOTICE is known equal to its render by its
    # blob id (one paths-info request per repo), and none is read.
    assert project.hub.counters.get("resolve") == len(REPOS), project.hub.counters.snapshot()
    assert project.hub.counters.get("paths_info") == len(REPOS)


@pytest.mark.parametrize("cold", ["a new cache", "--no-cache"])
def test_a_cold_plan_reads_only_the_companions_that_differ(
    project: Project, cold: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    _with_notice(project)
    assert project.run("release", "--yes").status == 0
    edited = _notice(project) + "A hand-added line.\n"
    project.api.create_commit(
        EDITED, [CommitOperationAdd("NOTICE", edited.encode())], commit_message="Edit NOTICE"
    )
    monkeypatch.setenv("NB_RELEASE_CACHE", str(project.folder / "cold-cache"))
    project.hub.counters.reset()
    plan = project.run("plan", *(["--no-cache"] if cold == "--no-cache" else []))
    assert plan.status == 0, plan.out + plan.err  # drift alone: `sync` would skip it
    assert f"{EDITED}: drift" in plan.out
    # One paths-info per repo; of the NOTICEs, only the one that differs, and (to tell its
    # drift) the one nb-release last published there. With a cache, each card equal to its
    # render is known by its blob id too; without one, every card is read.
    cards = 0 if cold == "a new cache" else len(REPOS)
    assert project.hub.counters.get("resolve") == cards + 2, project.hub.counters.snapshot()
    assert project.hub.counters.get("paths_info") == len(REPOS)


def test_apply_publishes_a_saved_plans_companions(project: Project, tmp_path: Path) -> None:
    assert project.run("release", "--yes").status == 0
    _with_notice(project)
    plan_file = tmp_path / "plan.json"
    assert project.run("plan", "--out", str(plan_file)).status == 2
    saved = json.loads(plan_file.read_text())
    entry = next(e for e in saved["entries"] if e["repo_id"] == EDITED)
    assert entry["files"][0]["content"] == NOTICE_31
    project.hub.counters.reset()
    applied = project.run("apply", str(plan_file))
    assert applied.status == 0, applied.out + applied.err
    assert project.hub.counters.get("commit") == len(REPOS)
    assert _notice(project) == NOTICE_31


def test_the_review_page_shows_a_companion_files_diff(project: Project, tmp_path: Path) -> None:
    assert project.run("release", "--yes").status == 0
    _with_notice(project)
    assert project.run("preview", "--out", str(tmp_path / "page")).status == 0
    page = (tmp_path / "page" / "index.html").read_text()
    assert "NOTICE <span" in page
    assert "+Llama 3.1 is licensed under the Llama 3.1 Community License" in page
