"""A data file a card reads is part of what a plan was made from: editing it changes the plan's
fingerprint and content (the render cache serves no stale card), and apply refuses the old plan.
"""

from __future__ import annotations

import json
from pathlib import Path

from tests.cards.card_context import NOTED_REPO, add_notes
from tests.integration.support import Project


def _plan(project: Project, path: Path) -> tuple[str, str]:
    """Save a plan; its fingerprint and the card it holds for NOTED_REPO."""
    result = project.run("plan", "--out", str(path))
    assert result.status == 2, result.err
    data = json.loads(path.read_text(encoding="utf-8"))
    (content,) = [e["content"] for e in data["entries"] if e["repo_id"] == NOTED_REPO]
    return data["fingerprint"], content


def test_editing_a_data_file_changes_the_plan_and_apply_refuses_the_old_one(
    project: Project, tmp_path: Path
) -> None:
    notes = add_notes(project.folder)
    first_fingerprint, first = _plan(project, tmp_path / "first.json")
    assert "Notes: the first." in first

    notes.write_text("Notes: the second.\n", encoding="utf-8")
    second_fingerprint, second = _plan(project, tmp_path / "second.json")  # the cache is warm
    assert second_fingerprint != first_fingerprint
    assert "Notes: the second." in second and "the first" not in second

    refused = project.run("apply", str(tmp_path / "first.json"))
    assert refused.status == 1
    assert "the plan was made from other contents" in refused.err
    assert project.writes() == 0
