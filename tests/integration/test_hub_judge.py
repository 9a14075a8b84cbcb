"""The target Hub is the judge: its validate-yaml is asked about every card a run would write,
before the first write; a refusal stops the run with nothing written for any repo."""

from __future__ import annotations

import json

from pipeline.localhub import FaultConfig
from tests.integration.support import REPOS, Project

LINE = "pipeline_tag: {{ model.pipeline_tag | yaml_string }}\n"


def _refused_by_the_hub(project: Project) -> None:
    """A front matter key nb-release's own checks accept and the Hub refuses (a thumbnail must
    be a string)."""
    layout = project.folder / "cards" / "_layout.md.j2"
    text = layout.read_text()
    assert LINE in text
    layout.write_text(text.replace(LINE, LINE + "thumbnail: 3\n"))


def test_the_offline_checks_accept_what_the_hub_refuses(project: Project) -> None:
    _refused_by_the_hub(project)
    assert project.run("validate", hub=False).status == 0


def test_plan_stops_on_a_card_the_hub_refuses_and_saves_no_plan(project: Project) -> None:
    _refused_by_the_hub(project)
    made = project.run("plan", "--out", "plan.json")
    assert made.status == 1, made.out + made.err
    assert "refuses the metadata of 4 cards (its validate-yaml, at " in made.err
    for repo_id in REPOS:
        assert f"{repo_id} (variant " in made.err
    assert 'thumbnail: the Hub says: "thumbnail" must be a string' in made.err
    assert "--no-hub-validation" in made.err
    assert "Traceback" not in made.err
    assert not (project.folder / "plan.json").exists()
    assert project.hub.counters.get("validate_yaml", "POST") == len(REPOS)
    assert project.writes() == 0


def test_release_and_sync_publish_nothing_when_the_hub_refuses_one_card(project: Project) -> None:
    # Only the gguf card gets the bad key: the other three cards are fine, and still unwritten.
    layout = project.folder / "cards" / "_layout.md.j2"
    bad = "{% if model.kind == 'gguf' %}thumbnail: 3\n{% endif %}"
    layout.write_text(layout.read_text().replace(LINE, LINE + bad))
    for command in (("release", "--yes"), ("sync",)):
        ran = project.run(*command)
        assert ran.status == 1, ran.out + ran.err
        assert "refuses the metadata of 1 card (its validate-yaml" in ran.err
        assert "NbAiLab/nb-llama-3.2-1B-Q4_K_M-GGUF (variant " in ran.err
        assert project.writes() == 0
    for repo_id in REPOS:
        assert project.readme(repo_id) is None


def test_apply_asks_the_hub_before_writing_a_plan_made_without_it(project: Project) -> None:
    _refused_by_the_hub(project)
    made = project.run("plan", "--no-hub-validation", "--out", "plan.json")
    assert made.status == 2, made.out + made.err
    assert project.hub.counters.get("validate_yaml", "POST") == 0
    applied = project.run("apply", "plan.json")
    assert applied.status == 1, applied.out + applied.err
    assert "refuses the metadata of 4 cards" in applied.err
    assert project.writes() == 0
    assert json.loads((project.folder / "plan.json").read_text())["entries"]


def test_only_cards_to_be_written_are_asked_about(project: Project) -> None:
    assert project.run("release", "--yes").status == 0
    project.hub.counters.reset()
    manifest = project.folder / "models.toml"
    manifest.write_text(
        manifest.read_text().replace(
            'name = "nb-llama-3.1-8B"\n', 'name = "nb-llama-3.1-8B"\nparameters = "8.03 billion"\n'
        )
    )
    planned = project.run("plan")
    assert planned.status == 2, planned.out + planned.err
    assert project.hub.counters.get("validate_yaml", "POST") == 1
    project.hub.counters.reset()
    assert project.run("release", "--yes", "--no-hub-validation").status == 0
    # huggingface_hub's create_commit asks validate-yaml once per commit itself.
    assert project.hub.counters.get("validate_yaml", "POST") == 1
    project.hub.counters.reset()
    assert project.run("plan").status == 0
    assert project.hub.counters.get("validate_yaml", "POST") == 0


def test_the_hubs_answers_are_asked_under_the_retry_policy(project: Project) -> None:
    project.hub.set_faults(
        FaultConfig(fault_rate=1.0, route="validate_yaml", first_n=2, kinds=("500", "503"))
    )
    planned = project.run("plan")
    assert planned.status == 2, planned.out + planned.err
    assert project.hub.counters.get("validate_yaml", "POST") == len(REPOS) + 2
