"""A data file a card reads is part of what a plan was made from: editing it changes the plan's
fingerprint and content (the render cache serves no stale card), and apply refuses the old plan.
"""

from __future__ import annotations

import json
from pathlib import Path

from tests.integration.support import Project

REPO = "NbAiLab/nb-llama-3.1-8B"
# A template of this test's own (the manifest's `template` key names it): the base card, with
# the text of a data file named after the variant below its kind paragraph.
NOTED = """{% extends "base.md.j2" %}
{%- block kind_paragraph -%}
{{ super() }}{{ data_file("notes/" ~ model.name ~ ".md") }}
{% endblock %}"""


def _plan(project: Project, path: Path) -> tuple[str, str]:
    """Save a plan; its fingerprint and the card it holds for REPO."""
    result = project.run("plan", "--out", str(path))
    assert result.status == 2, result.err
    data = json.loads(path.read_text(encoding="utf-8"))
    (content,) = [e["content"] for e in data["entries"] if e["repo_id"] == REPO]
    return data["fingerprint"], content


def test_editing_a_data_file_changes_the_plan_and_apply_refuses_the_old_one(
    project: Project, tmp_path: Path
) -> None:
    cards = project.folder / "cards"
    (cards / "noted.md.j2").write_text(NOTED, encoding="utf-8")
    (cards / "notes").mkdir()
    notes = cards / "notes/nb-llama-3.1-8B.md"
    notes.write_text("Notes: the first.\n", encoding="utf-8")
    manifest = project.folder / "models.toml"
    one = 'name = "nb-llama-3.1-8B"\n'
    manifest.write_text(
        manifest.read_text().replace(one, one + 'template = "noted.md.j2"\n'), encoding="utf-8"
    )
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
