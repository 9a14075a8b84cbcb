"""The collection in what plan, preview and a dry run report, and in their exit statuses; apply
makes it so after the cards. Against a real local Hub."""

from __future__ import annotations

import json
from pathlib import Path

from huggingface_hub import HfApi

from tests.integration.support import REPOS, Project
from tests.integration.test_collection import COLLECTION, TITLE

LABEL = f"NbAiLab/{TITLE}"


def _with_collection(project: Project, text: str = COLLECTION) -> None:
    manifest = project.folder / "models.toml"
    manifest.write_text(manifest.read_text() + text)


def _slug(api: HfApi) -> str:
    (listed,) = api.list_collections(owner="NbAiLab")
    return listed.slug


def _released_without_collection(project: Project) -> None:
    assert project.run("release", "--yes").status == 0
    _with_collection(project)
    project.hub.counters.reset()


def test_plan_shows_a_collection_to_create_and_exits_2_for_it_alone(project: Project) -> None:
    _released_without_collection(project)
    text = project.run("plan")
    assert text.status == 2, text.out + text.err
    assert "Collections:" in text.out
    assert f"collection {LABEL}: create (5 changes)" in text.out
    assert f"add {REPOS[3]} at position 3" in text.out
    as_json = project.run("plan", "--format", "json")
    assert as_json.status == 2
    report = json.loads(as_json.out)
    assert report["schema_version"] == 8
    (collection,) = report["collections"]
    assert collection["state"] == "create" and collection["writes"] is True
    assert [c["kind"] for c in collection["changes"]] == ["create", "add", "add", "add", "add"]
    markdown = project.run("plan", "--format", "markdown")
    assert "### Collections" in markdown.out
    assert f"| `{LABEL}` | create | 5 |" in markdown.out
    assert project.writes() == 0


def test_plan_is_0_once_made_and_2_when_the_manifest_changes_a_note(project: Project) -> None:
    _with_collection(project)
    assert project.run("release", "--yes").status == 0
    made = project.run("plan")
    assert made.status == 0, made.out + made.err
    assert f"collection {LABEL}: unchanged" in made.out
    manifest = project.folder / "models.toml"
    first = REPOS[0].split("/")[1]
    manifest.write_text(
        manifest.read_text().replace(
            f'{{ variant = "{first}" }}', f'{{ variant = "{first}", note = "The small one." }}'
        )
    )
    changed = project.run("plan")
    assert changed.status == 2, changed.out + changed.err
    assert f"collection {LABEL}: pending (1 change)" in changed.out
    assert f"note of {REPOS[0]}: 'The small one.'" in changed.out
    project.hub.counters.reset()
    assert project.run("sync").status == 0
    assert project.run("plan").status == 0
    assert project.api.get_collection(_slug(project.api)).items[0].note == "The small one."


def test_a_hand_reorder_is_drift_in_plan_and_a_dry_run(project: Project) -> None:
    _with_collection(project)
    assert project.run("release", "--yes").status == 0
    slug = _slug(project.api)
    last = project.api.get_collection(slug).items[-1]
    project.api.update_collection_item(slug, last.item_object_id, position=0)
    project.hub.counters.reset()
    planned = project.run("plan")
    assert planned.status == 0, planned.out + planned.err  # drift left by sync: not pending
    assert f"collection {LABEL}: drift" in planned.out
    assert f"move {REPOS[3]} 0 -> 3" in planned.out
    report = json.loads(project.run("plan", "--format", "json").out)
    assert report["collections"][0]["state"] == "drift"
    assert report["collections"][0]["writes"] is False
    assert project.run("sync", "--dry-run").status == 4
    assert project.run("sync", "--dry-run", "--on-drift", "overwrite").status == 2
    assert project.writes() == 0


def test_without_the_cache_a_manifest_reorder_reads_as_drift(project: Project) -> None:
    _with_collection(project)
    assert project.run("release", "--yes").status == 0
    manifest = project.folder / "models.toml"
    text = manifest.read_text()
    lines = [f'    {{ variant = "{r.split("/")[1]}" }},' for r in REPOS]
    manifest.write_text(text.replace(lines[0] + "\n" + lines[1], lines[1] + "\n" + lines[0]))
    cached = project.run("plan")
    assert f"collection {LABEL}: pending" in cached.out, cached.out
    assert cached.status == 2
    uncached = project.run("plan", "--no-cache")
    assert f"collection {LABEL}: drift" in uncached.out, uncached.out
    assert uncached.status == 0


def test_preview_has_a_collections_section(project: Project, tmp_path: Path) -> None:
    _released_without_collection(project)
    result = project.run("preview", "--out", str(tmp_path / "page"))
    assert result.status == 0, result.out + result.err
    page = (tmp_path / "page" / "index.html").read_text()
    assert '<section id="collections"><h2>Collections</h2>' in page
    assert 'data-state="create"' in page
    assert f"add {REPOS[1]} at position 1" in page


def test_apply_makes_the_collection_after_the_cards(project: Project, tmp_path: Path) -> None:
    _with_collection(project)
    saved = tmp_path / "plan.json"
    assert project.run("plan", "--out", str(saved)).status == 2
    applied = project.run("apply", str(saved))
    assert applied.status == 0, applied.out + applied.err
    assert [i.item_id for i in project.api.get_collection(_slug(project.api)).items] == list(REPOS)
    # Only the collection left to make: a plan of no card still makes it.
    project.api.delete_collection(_slug(project.api))
    again = tmp_path / "again.json"
    assert project.run("plan", "--out", str(again)).status == 2
    assert project.run("apply", str(again)).status == 0
    assert [i.item_id for i in project.api.get_collection(_slug(project.api)).items] == list(REPOS)
