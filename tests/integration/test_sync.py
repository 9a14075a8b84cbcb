"""Drift, adoption, policies, sync, history and restore against a real local Hub (README.md,
`nb-release sync`, and docs/plan-schema.md "States")."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from huggingface_hub import CommitOperationAdd

from pipeline.cli.main import main
from pipeline.ownership import POLICIES, policy_prompt
from tests.integration.support import REPOS, Project

EDITED = "NbAiLab/nb-llama-3.1-8B"
EVAL = "\n## Evaluation\n\n| task | score |\n| --- | --- |\n| NorBench | 71.2 |\n"


def _hand_edit(project: Project, repo_id: str = EDITED, title: str = "Add evaluation table") -> str:
    """A person appends a section to the card on the Hub; returns the new card."""
    edited = (project.readme(repo_id) or "") + EVAL
    project.api.create_commit(
        repo_id,
        operations=[CommitOperationAdd("README.md", edited.encode())],
        commit_message=title,
    )
    return edited


def _change_manifest(project: Project, variant: str = "nb-llama-3.1-8B") -> None:
    manifest = project.folder / "models.toml"
    manifest.write_text(
        manifest.read_text().replace(
            f'name = "{variant}"\n', f'name = "{variant}"\nparameters = "8.03 billion"\n'
        )
    )


def _plan_entry(project: Project, repo_id: str) -> dict:  # type: ignore[type-arg]
    result = project.run("plan", "--format", "json")
    data = json.loads(result.out)
    return next(e for e in data["entries"] if e["repo_id"] == repo_id)


def test_hand_edit_is_drift_and_sync_leaves_it(project: Project) -> None:
    assert project.run("release", "--yes").status == 0
    edited = _hand_edit(project)

    plan = project.run("plan")
    assert plan.status == 0, plan.out + plan.err  # sync would write nothing: drift is skipped
    assert "drift" in plan.out
    assert "local-user: Add evaluation table" in plan.out  # who and the commit title
    assert "Their edit (nb-release's last publish -> live):" in plan.out
    assert "+| NorBench | 71.2 |" in plan.out
    assert f"`nb-release sync` would leave as it is: {EDITED} (drift)\n" in plan.out

    entry = _plan_entry(project, EDITED)
    assert entry["state"] == "drift"
    assert (entry["action"], entry["decision"], entry["writes"]) == ("update", "skip", False)
    assert [c["title"] for c in entry["drift"]["commits"]] == ["Add evaluation table"]
    assert entry["drift"]["commits"][0]["authors"] == ["local-user"]
    assert entry["published"]["title"] == "Create model card"

    project.hub.counters.reset()
    sync = project.run("sync")
    assert sync.status == 4, sync.out + sync.err
    assert project.writes() == 0
    assert project.readme(EDITED) == edited  # byte-identical
    assert "1 drifted" in sync.out
    # The hint works from the command line and from make, which passes SYNCFLAGS on.
    assert f"  drift         {EDITED}  left as is\n" in sync.out
    assert "`nb-release sync --on-drift pr` (from make: `make sync SYNCFLAGS='--on-drift pr'`)" in (
        sync.out
    )


def test_plan_exits_2_only_when_a_policy_writes(project: Project) -> None:
    assert project.run("release", "--yes").status == 0
    _hand_edit(project)
    manifest = project.folder / "models.toml"
    manifest.write_text(
        manifest.read_text().replace(
            'name = "nb-llama-3.1-8B"\n', 'name = "nb-llama-3.1-8B"\non_drift = "pr"\n'
        )
    )
    plan = project.run("plan", "--format", "json")
    assert plan.status == 2, plan.err  # the manifest's policy proposes it: something is written
    data = json.loads(plan.out)
    assert data["decisions_assume"] == "sync"
    entry = next(e for e in data["entries"] if e["repo_id"] == EDITED)
    assert (entry["decision"], entry["writes"]) == ("pr", True)


def test_unchanged_repos_cost_no_history_request(project: Project) -> None:
    first = project.run("release", "--yes")
    assert first.status == 0
    # No terminal: progress is a count, not a bar, and names no repo (the report does).
    assert f"Reading live cards: {len(REPOS)}\n" in first.err
    assert not any(r in first.err for r in REPOS)
    project.hub.counters.reset()
    sync = project.run("sync")
    assert sync.status == 0, sync.out + sync.err
    assert project.writes() == 0
    assert project.hub.counters.get("list_commits") == 0
    assert project.hub.counters.get("tree") == 0


def test_on_drift_pr_opens_one_pr_and_reuses_it(project: Project) -> None:
    assert project.run("release", "--yes").status == 0
    edited = _hand_edit(project)
    _change_manifest(project)  # so the PR has something to propose

    first = project.run("sync", "--on-drift", "pr")
    assert first.status == 4, first.out + first.err
    assert project.readme(EDITED) == edited  # main untouched
    proposed = project.readme(EDITED, "refs/pr/1") or ""
    assert "8.03 billion" in proposed
    # One result line names it; the closing lines count it without naming it again.
    results = [line.split() for line in first.out.splitlines() if line.startswith("  ")]
    assert [words[0] for words in results if EDITED in words] == ["proposed"]
    assert "(proposed as a pull request, listed above)" in first.out

    second = project.run("sync", "--on-drift", "pr")
    assert second.status == 4, second.out + second.err
    # Each result of a pull request names its page, the first and every later one.
    assert f"{project.hub.url}/{EDITED}/discussions/1" in first.out
    assert f"already proposed in refs/pr/1: {project.hub.url}/{EDITED}/discussions/1" in second.out
    prs = list(project.api.get_repo_discussions(EDITED, discussion_type="pull_request"))
    assert len(prs) == 1


def test_on_drift_overwrite_names_the_replaced_commit_and_restore_brings_it_back(
    project: Project,
) -> None:
    assert project.run("release", "--yes").status == 0
    edited = _hand_edit(project)
    edit_commit = project.api.list_repo_commits(EDITED)[0]

    before = project.api.list_repo_commits(EDITED)[0].commit_id
    result = project.run("sync", "--on-drift", "overwrite")
    assert result.status == 0, result.out + result.err
    assert "NorBench" not in (project.readme(EDITED) or "")
    # The output names the hand edit it replaced, and the way back.
    replaced = f"  replaced a hand edit on {EDITED}: {edit_commit.commit_id[:12]} "
    assert replaced in result.out
    assert "Add evaluation table" in result.out
    back = f"`nb-release restore {EDITED} --to {before[:12]}`"
    assert f"  to bring it back: {back}\n" in result.out
    ours = project.api.list_repo_commits(EDITED)[0]
    assert edit_commit.commit_id in ours.message
    assert "local-user" in ours.message and "Add evaluation table" in ours.message
    assert "Released-by: nb-release" in ours.message
    assert project.run("sync").status == 0  # overwritten: in sync again

    history = project.run("history", EDITED)
    assert history.status == 0
    assert edit_commit.commit_id[:12] in history.out
    assert "not nb-release" in history.out and "nb-release sha256:" in history.out

    no = project.run("restore", EDITED, "--to", edit_commit.commit_id[:10])
    assert no.status == 2  # no terminal, no --yes: shown, not published
    assert "+| NorBench | 71.2 |" in no.out
    restored = project.run("restore", EDITED, "--to", edit_commit.commit_id[:10], "--yes")
    assert restored.status == 0, restored.out + restored.err
    assert project.readme(EDITED) == edited
    head = project.api.list_repo_commits(EDITED)[0]
    assert head.title.startswith("Restore model card from")
    # Restored by hand, not released: it reads as drift until the manifest takes it in.
    assert _plan_entry(project, EDITED)["state"] == "drift"


def test_restore_of_an_unknown_commit_is_an_error(project: Project) -> None:
    assert project.run("release", "--yes").status == 0
    result = project.run("restore", EDITED, "--to", "deadbeef", "--yes")
    assert result.status == 1
    assert "no commit of main matches 'deadbeef'" in result.err
    assert project.writes() == 0 or True  # the release above wrote; nothing else is asserted here


def test_drift_and_pending_is_skipped_by_default(project: Project) -> None:
    assert project.run("release", "--yes").status == 0
    edited = _hand_edit(project)
    _change_manifest(project)
    assert _plan_entry(project, EDITED)["state"] == "drift+pending"
    project.hub.counters.reset()
    result = project.run("sync")
    assert result.status == 4
    assert project.writes() == 0
    assert project.readme(EDITED) == edited


def test_manifest_change_alone_is_pending_and_published_by_sync(project: Project) -> None:
    assert project.run("release", "--yes").status == 0
    _change_manifest(project)
    project.hub.counters.reset()
    assert _plan_entry(project, EDITED)["state"] == "pending"
    # The release recorded each card and commit it landed in the cache: the differing repo's
    # head is nb-release's own commit, so the plan needs no commit listing and no card read.
    assert project.hub.counters.get("list_commits") == 0
    assert project.hub.counters.get("resolve") == 0
    result = project.run("sync")
    assert result.status == 0, result.out + result.err
    assert "8.03 billion" in (project.readme(EDITED) or "")
    assert [project.commits(r) for r in REPOS] == [2, 3, 2, 2]


def test_a_commit_that_does_not_touch_the_card_is_not_drift(project: Project) -> None:
    assert project.run("release", "--yes").status == 0
    project.api.create_commit(
        EDITED,
        operations=[CommitOperationAdd("model.safetensors", b"weights")],
        commit_message="Upload weights",
    )
    assert project.run("plan").status == 0  # live still equals rendered
    _change_manifest(project)
    entry = _plan_entry(project, EDITED)
    assert entry["state"] == "pending"
    assert project.run("sync").status == 0


def test_only_card_commits_are_named_in_drift(project: Project) -> None:
    assert project.run("release", "--yes").status == 0
    _hand_edit(project)
    project.api.create_commit(
        EDITED,
        operations=[CommitOperationAdd("model.safetensors", b"weights")],
        commit_message="Upload weights",
    )
    entry = _plan_entry(project, EDITED)
    assert entry["state"] == "drift"
    assert (entry["action"], entry["decision"], entry["writes"]) == ("update", "skip", False)
    assert [c["title"] for c in entry["drift"]["commits"]] == ["Add evaluation table"]


HAND_MADE = "---\nlicense: llama3.1\n---\n"


def _hand_made_cards(project: Project) -> None:
    for repo_id in REPOS:
        project.api.create_commit(
            repo_id,
            operations=[
                CommitOperationAdd("README.md", f"{HAND_MADE}# {repo_id}\n\nBy hand.\n".encode())
            ],
            commit_message="Hand-made card",
        )


def test_first_run_against_hand_made_cards_adopts_only_when_told(project: Project) -> None:
    _hand_made_cards(project)
    data = json.loads(project.run("plan", "--format", "json").out)
    assert [e["state"] for e in data["entries"]] == ["adopt"] * len(REPOS)

    project.hub.counters.reset()
    sync = project.run("sync")
    assert sync.status == 4, sync.out + sync.err
    assert project.writes() == 0
    assert "4 to adopt" in sync.out

    release = project.run("release", "--yes")
    assert release.status == 0, release.out + release.err
    assert "4 published" in release.out
    message = project.api.list_repo_commits(REPOS[0])[0].message
    assert "Hand-made card" in message  # the adopted card's commit is named

    project.hub.counters.reset()
    again = project.run("sync")
    assert again.status == 0, again.out + again.err
    assert project.writes() == 0


def test_policies_from_the_manifest_override_the_default(project: Project) -> None:
    assert project.run("release", "--yes").status == 0
    manifest = project.folder / "models.toml"
    text = manifest.read_text()
    text = text.replace("[defaults]\n", '[defaults]\non_drift = "pr"\n')
    text = text.replace(
        'name = "nb-llama-3.2-1B"\n', 'name = "nb-llama-3.2-1B"\non_drift = "overwrite"\n'
    )
    manifest.write_text(text)
    assert project.run("release", "--yes").status == 0  # (the fingerprint changed; nothing else)
    _hand_edit(project, EDITED)
    _hand_edit(project, "NbAiLab/nb-llama-3.2-1B")
    _change_manifest(project)

    result = project.run("sync")
    assert result.status == 4, result.out + result.err
    # [defaults] on_drift = "pr": a pull request, main untouched.
    assert "NorBench" in (project.readme(EDITED) or "")
    assert "8.03 billion" in (project.readme(EDITED, "refs/pr/1") or "")
    # The variant's on_drift = "overwrite" beats [defaults].
    assert "NorBench" not in (project.readme("NbAiLab/nb-llama-3.2-1B") or "")
    # The command line beats both.
    _hand_edit(project, "NbAiLab/nb-llama-3.2-1B")
    project.hub.counters.reset()
    skipped = project.run("sync", "--on-drift", "skip")
    assert skipped.status == 4
    assert project.writes() == 0


def test_unknown_policy_is_a_located_manifest_error(project: Project) -> None:
    manifest = project.folder / "models.toml"
    manifest.write_text(
        manifest.read_text().replace("[defaults]\n", '[defaults]\non_drift = "ask"\n')
    )
    result = project.run("sync")
    assert result.status == 1
    assert "models.toml:2:" in result.err
    assert f"defaults.on_drift: expected one of {', '.join(POLICIES)}, got 'ask'" in result.err
    assert project.writes() == 0


def test_usage_errors_have_their_own_status(capsys: pytest.CaptureFixture[str]) -> None:
    for argv in (["plan", "--bogus"], ["sync", "--on-drift", "maybe"], ["nope"], []):
        with pytest.raises(SystemExit) as exit_info:
            main(argv)
        assert exit_info.value.code == 64, argv
        assert "usage:" in capsys.readouterr().err


def test_sync_writes_reports_and_the_step_summary(
    project: Project, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    summary = tmp_path / "summary.md"
    summary.write_text("earlier step\n")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    report_json = tmp_path / "r.json"
    report_md = tmp_path / "r.md"
    result = project.run(
        "sync", "--dry-run", "--report-json", str(report_json), "--report-md", str(report_md)
    )
    assert result.status == 2, result.out + result.err  # dry run: 4 cards to create
    assert project.writes() == 0
    assert json.loads(report_json.read_text())["summary"]["states"]["create"] == 4
    assert "<details>" in report_md.read_text()
    text = summary.read_text()
    assert text.startswith("earlier step\n## nb-release sync")
    assert "--- a/README.md" not in result.out  # --summary is the default for sync
    assert f"Per-card diffs: {report_md}" in result.out


class _Terminal(io.StringIO):
    """Standard input as a person at a terminal types it."""

    def isatty(self) -> bool:
        return True


def test_release_at_a_terminal_asks_per_drifted_card(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert project.run("release", "--yes").status == 0
    edited = _hand_edit(project)
    _hand_edit(project, "NbAiLab/nb-llama-3.2-1B")
    _change_manifest(project, "nb-llama-3.1-8B-sft")
    # Overwrite the first card in manifest order (3.2-1B), keep the second (3.1-8B), confirm.
    monkeypatch.setattr("sys.stdin", _Terminal("o\ns\ny\n"))
    result = project.run("release")
    assert result.status == 4, result.out + result.err
    assert "NbAiLab/nb-llama-3.1-8B: drift" in result.out
    assert "Publish 2 cards to" in result.out
    assert project.readme(EDITED) == edited
    assert "NorBench" not in (project.readme("NbAiLab/nb-llama-3.2-1B") or "")
    assert "8.03 billion" in (project.readme("NbAiLab/nb-llama-3.1-8B-sft") or "")


def test_the_drift_prompt_takes_only_its_own_letters_and_shows_each_drift_once(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert project.run("release", "--yes").status == 0
    edited = _hand_edit(project)
    _hand_edit(project, "NbAiLab/nb-llama-3.2-1B")
    # 3.2-1B: `y` and `skip` are not its letters, asked again, then overwrite; 3.1-8B: Enter is
    # the default shown, skip; then confirm.
    monkeypatch.setattr("sys.stdin", _Terminal("y\nskip\no\n\ny\n"))
    result = project.run("release")
    assert result.status == 4, result.out + result.err
    assert "'y' is not one of s, p, m, o; press Enter for s (skip)" in result.out
    assert "'skip' is not one of s, p, m, o" in result.out
    assert result.out.count(policy_prompt()) == 4
    assert result.out.count("changed on the Hub since, in") == 2  # one block per drifted card
    assert "Publish 1 card to" in result.out
    assert project.readme(EDITED) == edited
    assert "NorBench" not in (project.readme("NbAiLab/nb-llama-3.2-1B") or "")


def test_the_drift_prompt_skips_after_three_other_answers(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert project.run("release", "--yes").status == 0
    edited = _hand_edit(project)
    monkeypatch.setattr("sys.stdin", _Terminal("y\nyes\nx\ny\n"))
    result = project.run("release")
    assert f"no answer among s, p, m, o: {EDITED} skipped" in result.out
    assert "Publish 0 cards to" in result.out
    assert result.status == 4, result.out + result.err
    assert project.readme(EDITED) == edited


def test_apply_of_a_saved_plan_follows_the_policies(project: Project, tmp_path: Path) -> None:
    assert project.run("release", "--yes").status == 0
    edited = _hand_edit(project)
    _change_manifest(project, "nb-llama-3.1-8B-sft")
    plan_file = tmp_path / "plan.json"
    assert project.run("plan", "--out", str(plan_file)).status == 2
    saved = json.loads(plan_file.read_text())
    assert saved["schema_version"] == 4
    assert [e["state"] for e in saved["entries"]] == ["unchanged", "drift", "pending", "unchanged"]

    result = project.run("apply", str(plan_file))
    assert result.status == 4, result.out + result.err
    assert project.readme(EDITED) == edited
    assert "8.03 billion" in (project.readme("NbAiLab/nb-llama-3.1-8B-sft") or "")

    again = project.run("apply", str(plan_file), "--on-drift", "overwrite")
    assert again.status == 0, again.out + again.err
    assert "NorBench" not in (project.readme(EDITED) or "")
    assert "Add evaluation table" in project.api.list_repo_commits(EDITED)[0].message
