"""nb-release's own pull requests tracked across runs on a real local Hub: a card waiting in one
reads `proposed (PR #N)` in every report and the JSON; publishing the card to main closes it
with a comment saying why; so does a card that no longer needs it."""

from __future__ import annotations

import json
import secrets

from huggingface_hub import CommitOperationAdd

from tests.integration.support import Project

REPO = "NbAiLab/nb-llama-3.1-8B"


def _change_manifest(project: Project) -> None:
    manifest = project.folder / "models.toml"
    manifest.write_text(
        manifest.read_text().replace(
            'name = "nb-llama-3.1-8B"\n', 'name = "nb-llama-3.1-8B"\nparameters = "8.03 billion"\n'
        )
    )


def _propose(project: Project) -> int:
    """Release, change one card in the manifest, and propose it as nb-release's pull request."""
    assert project.run("release", "--yes").status == 0
    _change_manifest(project)
    proposed = project.run("release", "--yes", "--create-pr")
    assert proposed.status == 0, proposed.out + proposed.err
    discussions = project.api.get_repo_discussions(REPO)
    [pr] = [d for d in discussions if d.is_pull_request and d.status == "open"]
    return pr.num


def _other_user_token(project: Project) -> str:
    token = f"hf_local_{secrets.token_hex(16)}"
    with project.hub.token_file.open("a", encoding="utf-8") as tokens:
        tokens.write(f"{token} bob\n")
    return token


def _last_status_change(project: Project, number: int) -> dict[str, str]:
    details = project.api.get_discussion_details(REPO, number)
    events = [e for e in details.events if e.type == "status-change"]
    assert events, details.events
    data: dict[str, str] = events[-1]._event["data"]
    return data


def test_a_proposed_card_reads_proposed_in_every_report(project: Project) -> None:
    number = _propose(project)
    url = f"{project.hub.url}/{REPO}/discussions/{number}"

    plan = project.run("plan")
    assert plan.status == 2
    assert f"proposed (PR #{number})" in plan.out
    assert "1 to update (1 proposed in nb-release's pull requests)" in plan.out
    markdown = project.run("plan", "--format", "markdown")
    assert f"proposed (PR #{number})" in markdown.out
    data = json.loads(project.run("plan", "--format", "json").out)
    [entry] = [e for e in data["entries"] if e["repo_id"] == REPO]
    assert entry["state"] == "proposed"
    assert entry["pull_request"] == {"number": number, "url": url}
    assert entry["decision"] == "publish"
    assert data["summary"]["states"]["proposed"] == 1
    others = [e for e in data["entries"] if e["repo_id"] != REPO]
    assert all(e["pull_request"] is None for e in others)
    preview = project.run("preview", "--out", str(project.folder / "preview"))
    assert preview.status in (0, 2), preview.err
    assert f"proposed (PR #{number})" in (project.folder / "preview" / "index.html").read_text()
    # A saved plan keeps it, and applying it publishes to main and closes the pull request.
    saved = project.folder / "plan.json"
    assert project.run("plan", "--out", str(saved)).status == 2
    [saved_entry] = [e for e in json.loads(saved.read_text())["entries"] if e["repo_id"] == REPO]
    assert saved_entry["state"] == "proposed"
    assert saved_entry["pull_request"]["number"] == number
    applied = project.run("apply", str(saved))
    assert applied.status == 0, applied.out + applied.err
    assert f"closed     {REPO}  pull request #{number}, no longer needed: {url}" in applied.out
    assert project.api.get_discussion_details(REPO, number).status == "closed"
    reason = _last_status_change(project, number)["reason"]
    assert reason.startswith("nb-release published this card to main in commit ")
    assert project.run("plan").status == 0


def test_publishing_to_main_closes_nb_releases_pull_request_with_a_comment(
    project: Project,
) -> None:
    number = _propose(project)
    writes = project.hub.counters.get("commit")
    released = project.run("release", "--yes")
    assert released.status == 0, released.out + released.err
    assert project.hub.counters.get("commit") == writes + 1  # the card, to main
    assert project.api.get_discussion_details(REPO, number).status == "closed"
    head = project.api.list_repo_commits(REPO)[0].commit_id
    assert _last_status_change(project, number) == {
        "status": "closed",
        "reason": f"nb-release published this card to main in commit {head[:12]}, so this pull "
        "request is no longer needed.",
    }
    assert f"pull request #{number}, no longer needed" in released.out
    # Nothing is left to close: the next run neither lists nor touches it.
    again = project.run("release", "--yes")
    assert again.status == 0
    assert "no longer needed" not in again.out


def test_a_pull_request_someone_else_opened_is_neither_shown_nor_closed(project: Project) -> None:
    assert project.run("release", "--yes").status == 0
    _change_manifest(project)
    project.api.create_commit(
        REPO,
        [CommitOperationAdd("README.md", b"---\nlicense: mit\n---\nA card.\n")],
        commit_message="Update model card (nb-release)",  # the same title, another user
        create_pr=True,
        token=_other_user_token(project),
    )
    plan = project.run("plan", "--format", "json")
    [entry] = [e for e in json.loads(plan.out)["entries"] if e["repo_id"] == REPO]
    assert entry["state"] == "pending"
    assert entry["pull_request"] is None
    assert project.run("release", "--yes").status == 0
    assert project.api.get_discussion_details(REPO, 1).status == "open"


def test_a_kept_hand_edit_closes_the_pull_request_it_made_moot(project: Project) -> None:
    """The nightly loop: a hand edit, proposed over by nb-release's pull request, is then kept
    in the project; the next sync finds main already holds the card and closes the proposal."""
    assert project.run("release", "--yes").status == 0
    hand = (project.readme(REPO) or "") + "\n## Evaluation\n\nNorBench: see the paper.\n"
    project.api.create_commit(
        REPO, [CommitOperationAdd("README.md", hand.encode())], commit_message="Add evaluation"
    )
    proposed = project.run("sync", "--on-drift", "pr")
    assert proposed.status == 4, proposed.out + proposed.err
    [pr] = [d for d in project.api.get_repo_discussions(REPO) if d.is_pull_request]
    assert project.run("keep", REPO).status == 0
    plan = project.run("plan")
    assert plan.status == 0, plan.out
    assert f"unchanged, PR #{pr.num} open" in plan.out
    synced = project.run("sync")
    assert synced.status == 0, synced.out + synced.err
    assert project.readme(REPO) == hand  # the hand edit stays, byte for byte
    assert project.api.get_discussion_details(REPO, pr.num).status == "closed"
    assert _last_status_change(project, pr.num)["reason"].startswith(
        "The card on main is already the one nb-release renders"
    )
    assert f"pull request #{pr.num}, no longer needed" in synced.out
    # A card equal to its render with no kept edit costs no listing of pull requests.
    listings = project.hub.counters.get("list_discussions")
    assert project.run("plan", "--only", "nb-llama-3.2-1B").status == 0
    assert project.hub.counters.get("list_discussions") == listings


def test_a_dry_run_closes_nothing(project: Project) -> None:
    number = _propose(project)
    dry = project.run("sync", "--dry-run")
    assert dry.status == 2
    assert f"proposed (PR #{number})" in dry.out
    assert project.api.get_discussion_details(REPO, number).status == "open"
