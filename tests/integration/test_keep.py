"""Keeping a hand edit against a real local Hub (README.md, "Keeping a hand edit"): release, a
hand edit, `keep`, then template changes merged through it or stopped by a conflict."""

from __future__ import annotations

from pathlib import Path

from huggingface_hub import CommitOperationAdd

from pipeline.card.edits import base_path, patch_path
from tests.integration.support import Project

EDITED = "NbAiLab/nb-llama-3.1-8B"
EVAL = "\n## Evaluation\n\n| task | score |\n| --- | --- |\n| NorBench | 71.2 |\n"
OLD_SENTENCE = "It is an auto-regressive language model"
NEW_SENTENCE = "It is an autoregressive language model"


def _hand_edit(project: Project) -> str:
    """A person appends a section to the card on the Hub, as tests/integration/test_sync.py
    does; returns the new card."""
    edited = (project.readme(EDITED) or "") + EVAL
    project.api.create_commit(
        EDITED,
        operations=[CommitOperationAdd("README.md", edited.encode())],
        commit_message="Add evaluation table",
    )
    return edited


def _edit_template(project: Project, old: str, new: str) -> None:
    layout = project.folder / "cards" / "_layout.md.j2"
    text = layout.read_text(encoding="utf-8")
    assert old in text
    layout.write_text(text.replace(old, new), encoding="utf-8")


def test_keep_then_template_changes_merge_or_stop_with_a_located_conflict(
    project: Project,
) -> None:
    assert project.run("release", "--yes").status == 0
    edited = _hand_edit(project)
    assert project.run("sync").status == 4

    kept = project.run("keep", EDITED)
    assert kept.status == 0, kept.out + kept.err
    cards = Path("cards")
    assert f"  wrote {patch_path(cards, EDITED)}\n" in kept.out
    assert "Next: commit cards/edits/ and run `nb-release plan`." in kept.out
    patch = patch_path(project.folder / "cards", EDITED).read_text(encoding="utf-8")
    assert "# commit: " in patch and "by local-user: Add evaluation table" in patch
    assert "+| NorBench | 71.2 |\n" in patch

    project.hub.counters.reset()
    sync = project.run("sync")
    assert sync.status == 0, sync.out + sync.err
    assert project.writes() == 0
    assert project.readme(EDITED) == edited  # byte for byte

    again = project.run("keep", EDITED)  # nothing left to keep
    assert again.status == 0 and "not drifted" in again.out
    assert project.run("validate", hub=False).status == 0

    # A template change far from the edit: both are published in the merged card.
    _edit_template(project, OLD_SENTENCE, NEW_SENTENCE)
    sync = project.run("sync")
    assert sync.status == 0, sync.out + sync.err
    merged = project.readme(EDITED) or ""
    assert merged.endswith(EVAL) and NEW_SENTENCE in merged and OLD_SENTENCE not in merged
    assert project.run("sync").status == 0  # and it stays in sync

    # A template change where the edit is (the card's last lines): a located error, no write.
    _edit_template(
        project,
        "documentation written by {{ model.author }}.\n",
        "documentation written by {{ model.author }}.\n\n## Contact\n\nnb-ai@nb.no\n",
    )
    project.hub.counters.reset()
    sync = project.run("sync")
    assert sync.status == 1, sync.out + sync.err
    assert project.writes() == 0
    assert project.readme(EDITED) == merged
    assert f"{patch_path(cards, EDITED)}:7: " in sync.err  # the hunk's line in the patch
    assert f"conflicts with the new render of {EDITED}/README.md at line" in sync.err
    assert "| ## Contact" in sync.err and "| | NorBench | 71.2 |" in sync.err
    validate = project.run("validate", hub=False)
    assert validate.status == 1 and "conflicts with the new render" in validate.err

    dropped = project.run("keep", "--drop", EDITED)
    assert dropped.status == 0
    assert not patch_path(project.folder / "cards", EDITED).exists()
    assert not base_path(project.folder / "cards", EDITED).exists()
    assert "Next: commit cards/edits/ and run `nb-release plan`." in dropped.out
    again = project.run("keep", "--drop", EDITED)  # nothing left to remove: no next step
    assert again.status == 0
    assert again.out == f"{EDITED}: no kept edit to remove\n"


def test_keep_of_a_repo_in_sync_writes_nothing_and_a_bare_name_gets_a_hint(
    project: Project,
) -> None:
    assert project.run("release", "--yes").status == 0
    result = project.run("keep", EDITED)
    assert result.status == 0
    assert f"{EDITED}: not drifted" in result.out
    assert not (project.folder / "cards" / "edits").exists()
    bare = project.run("keep", "nb-llama-3.1-8B")
    assert bare.status == 64
    assert f"did you mean '{EDITED}'?" in bare.err


def test_a_second_hand_edit_is_kept_on_top_of_the_first(project: Project) -> None:
    assert project.run("release", "--yes").status == 0
    _hand_edit(project)
    assert project.run("keep", EDITED).status == 0
    second = (project.readme(EDITED) or "").replace("## Evaluation", "## Evaluation (2024)")
    project.api.create_commit(
        EDITED,
        operations=[CommitOperationAdd("README.md", second.encode())],
        commit_message="Date the evaluation",
    )
    assert project.run("sync").status == 4
    kept = project.run("keep", EDITED)
    assert kept.status == 0, kept.out + kept.err
    assert "local-user: Date the evaluation" in kept.out
    patch = patch_path(project.folder / "cards", EDITED).read_text(encoding="utf-8")
    assert "+## Evaluation (2024)\n" in patch and "+| NorBench | 71.2 |\n" in patch
    project.hub.counters.reset()
    assert project.run("sync").status == 0
    assert project.writes() == 0
    assert project.readme(EDITED) == second
