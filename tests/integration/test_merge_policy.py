"""The `merge` drift policy against a real local Hub: a hand edit and a change of the manifest or
the templates both reach main when they merge cleanly; a conflict goes to nb-release's pull
request and main keeps the hand's card (README.md, "What happens to a drifted or adopted card")."""

from __future__ import annotations

from pathlib import Path

from huggingface_hub import CommitOperationAdd

from tests.integration.support import Project

EDITED = "NbAiLab/nb-llama-3.1-8B"
OTHER = "NbAiLab/nb-llama-3.2-1B"
EVAL = "\n## Evaluation\n\n| task | score |\n| --- | --- |\n| NorBench | 71.2 |\n"
CITING = "The model was trained and documentation written by"


def _commit_card(project: Project, card: str, title: str) -> str:
    project.api.create_commit(
        EDITED, operations=[CommitOperationAdd("README.md", card.encode())], commit_message=title
    )
    return project.api.list_repo_commits(EDITED)[0].commit_id


def _add_evaluation(project: Project) -> str:
    """A person appends a section to the card on the Hub; returns the commit id."""
    return _commit_card(project, (project.readme(EDITED) or "") + EVAL, "Add evaluation table")


def _change_manifest(project: Project) -> None:
    manifest = project.folder / "models.toml"
    manifest.write_text(
        manifest.read_text().replace(
            'name = "nb-llama-3.1-8B"\n', 'name = "nb-llama-3.1-8B"\nparameters = "8.03 billion"\n'
        )
    )


def _set_default_policy(project: Project, policy: str) -> None:
    manifest = project.folder / "models.toml"
    text = manifest.read_text()
    manifest.write_text(text.replace("[defaults]\n", f'[defaults]\non_drift = "{policy}"\n', 1))


def _change_template_line(folder: Path, new: str) -> None:
    layout = folder / "cards" / "_layout.md.j2"
    text = layout.read_text()
    assert CITING in text
    layout.write_text(text.replace(CITING, new))


def _result_line(out: str, repo_id: str) -> list[str]:
    return next(line.split() for line in out.splitlines() if f" {repo_id} " in f"{line} ")


def test_a_clean_merge_publishes_both_the_hand_edit_and_the_change(project: Project) -> None:
    assert project.run("release", "--yes").status == 0
    edit = _add_evaluation(project)
    _change_manifest(project)

    sync = project.run("sync", "--on-drift", "merge")
    assert sync.status == 0, sync.out + sync.err
    card = project.readme(EDITED) or ""
    assert card.endswith(EVAL) and "8.03 billion" in card
    assert _result_line(sync.out, EDITED)[:2] == ["merged", EDITED]
    assert "(1 hand commit kept)" in sync.out
    assert "1 published (1 merged with a hand edit)" in sync.out
    head = project.api.list_repo_commits(EDITED)[0]
    assert head.title == "Update model card, keeping a hand edit"
    assert f"{edit} " in head.message
    assert "by local-user: Add evaluation table" in head.message
    assert "The hand edit was merged, not replaced" in head.message
    assert list(project.api.get_repo_discussions(EDITED, discussion_type="pull_request")) == []

    # The merge is no release: the card still reads as drift, so a plain sync leaves it and a
    # merge again finds nothing to write. The hand edit is never lost.
    project.hub.counters.reset()
    again = project.run("sync", "--on-drift", "merge")
    assert again.status == 0, again.out + again.err
    assert project.writes() == 0
    plain = project.run("sync")
    assert plain.status == 4, plain.out + plain.err
    assert project.readme(EDITED) == card


def test_a_conflict_proposes_the_render_and_leaves_main_as_is(project: Project) -> None:
    assert project.run("release", "--yes").status == 0
    hand = (project.readme(EDITED) or "").replace(CITING, "The model was trained and documented by")
    _commit_card(project, hand, "Shorten the credits")
    _change_template_line(project.folder, "The model was trained, and its card written, by")

    sync = project.run("sync", "--on-drift", "merge")
    assert sync.status == 4, sync.out + sync.err
    assert project.readme(EDITED) == hand  # main untouched
    proposed = project.readme(EDITED, "refs/pr/1") or ""
    assert "and its card written, by" in proposed
    line = " ".join(_result_line(sync.out, EDITED))
    assert line.startswith(f"proposed {EDITED} ")
    assert "not merged: the hand edit and the new render conflict at line " in line
    assert line.endswith("main left as is)")
    assert "(proposed as a pull request, listed above)" in sync.out
    # The card without a hand edit is published as any pending card.
    assert _result_line(sync.out, OTHER)[0] == "published"
    assert "and its card written, by" in (project.readme(OTHER) or "")


def test_on_drift_merge_in_the_manifests_defaults_works_the_same(project: Project) -> None:
    assert project.run("release", "--yes").status == 0
    _set_default_policy(project, "merge")
    edit = _add_evaluation(project)
    _change_manifest(project)

    sync = project.run("sync")
    assert sync.status == 0, sync.out + sync.err
    card = project.readme(EDITED) or ""
    assert card.endswith(EVAL) and "8.03 billion" in card
    assert edit in project.api.list_repo_commits(EDITED)[0].message

    hand = card.replace(CITING, "The model was trained and documented by")
    _commit_card(project, hand, "Shorten the credits")
    _change_template_line(project.folder, "The model was trained, and its card written, by")
    conflict = project.run("sync")
    assert conflict.status == 4, conflict.out + conflict.err
    assert project.readme(EDITED) == hand
    assert "not merged:" in conflict.out


def test_a_card_nb_release_never_published_has_nothing_to_merge_and_goes_to_a_pr(
    project: Project,
) -> None:
    hand = "---\nlicense: llama3.1\n---\n# By hand\n\nA card nb-release never published.\n"
    _commit_card(project, hand, "Hand-made card")

    sync = project.run("sync", "--on-adopt", "merge")
    assert sync.status == 4, sync.out + sync.err
    assert project.readme(EDITED) == hand  # main untouched
    assert "nb-llama-3.1-8B" in (project.readme(EDITED, "refs/pr/1") or "")
    assert "not merged: nb-release never published this card" in sync.out


def test_a_dry_run_says_what_a_merge_would_do(project: Project) -> None:
    """A dry run exits as the real run would: 4 when a merge would conflict (the real run
    proposes it and leaves main as it is), 2 when it would merge cleanly."""
    assert project.run("release", "--yes").status == 0
    hand = (project.readme(EDITED) or "").replace(CITING, "The model was trained and documented by")
    _commit_card(project, hand, "Shorten the credits")
    layout = project.folder / "cards" / "_layout.md.j2"
    original = layout.read_text()
    _change_template_line(project.folder, "The model was trained, and its card written, by")
    writes = project.writes()
    conflicting = project.run("sync", "--dry-run", "--on-drift", "merge")
    assert conflicting.status == 4, conflicting.out + conflicting.err
    assert (
        f"  {EDITED}: would not merge (the hand edit and the new render conflict at line "
        in conflicting.out
    )
    assert "a real run proposes it as nb-release's pull request" in conflicting.out
    # The template change moved away from the hand's line: the merge is clean.
    layout.write_text(original)
    _change_manifest(project)
    clean = project.run("sync", "--dry-run", "--on-drift", "merge")
    assert clean.status == 2, clean.out + clean.err
    assert "would not merge" not in clean.out
    assert project.writes() == writes
