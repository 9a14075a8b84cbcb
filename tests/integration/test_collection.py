"""The family's collection as code, against a real local Hub: release creates it in manifest
order, a second release writes nothing, a hand reorder is drift that sync leaves (exit 4) and
`--on-drift overwrite` restores, and a run stopped before the collection converges."""

from __future__ import annotations

import pytest
from huggingface_hub import HfApi

from tests.integration.support import REPOS, Project

TITLE = "NB-Llama 3.x"
COLLECTION = f"""
[[collections]]
owner = "NbAiLab"
title = "{TITLE}"
description = "The family."
items = [
{"".join(f'    {{ variant = "{r.split("/")[1]}" }},{chr(10)}' for r in REPOS)}]
"""


def _with_collection(project: Project) -> None:
    manifest = project.folder / "models.toml"
    manifest.write_text(manifest.read_text() + COLLECTION)


def _items(api: HfApi) -> list[str]:
    (listed,) = api.list_collections(owner="NbAiLab")
    return [i.item_id for i in api.get_collection(listed.slug).items]


def test_release_creates_the_collection_in_order_and_a_second_writes_nothing(
    project: Project,
) -> None:
    _with_collection(project)
    first = project.run("release", "--yes")
    assert first.status == 0, first.out + first.err
    assert _items(project.api) == list(REPOS)
    project.hub.counters.reset()
    second = project.run("release", "--yes")
    assert second.status == 0, second.out + second.err
    assert project.writes() == 0
    # The collection is read once a run: the report's plan is the one the step carries out.
    assert project.hub.counters.get("list_collections") == 1, project.hub.counters.snapshot()
    assert project.hub.counters.get("get_collection") == 1


def test_a_hand_reorder_is_drift_left_by_sync_and_restored_by_overwrite(
    project: Project,
) -> None:
    _with_collection(project)
    assert project.run("release", "--yes").status == 0
    (listed,) = project.api.list_collections(owner="NbAiLab")
    last = project.api.get_collection(listed.slug).items[-1]
    project.api.update_collection_item(listed.slug, last.item_object_id, position=0)
    reordered = _items(project.api)
    project.hub.counters.reset()
    synced = project.run("sync")
    assert synced.status == 4, synced.out + synced.err
    assert "drift NbAiLab/NB-Llama 3.x" in synced.out
    # Read once a run (before this test's own look at the Hub below).
    assert project.hub.counters.get("list_collections") == 1, project.hub.counters.snapshot()
    assert _items(project.api) == reordered
    assert project.writes() == 0
    restored = project.run("sync", "--on-drift", "overwrite")
    assert restored.status == 0, restored.out + restored.err
    assert _items(project.api) == list(REPOS)


def test_a_collection_half_made_is_finished_by_the_next_run(project: Project) -> None:
    assert project.run("release", "--yes").status == 0  # the cards, no collection yet
    made = project.api.create_collection(TITLE, namespace="NbAiLab", description="The family.")
    project.api.add_collection_item(made.slug, REPOS[0], "model")
    _with_collection(project)
    again = project.run("release", "--yes", "--no-cache")
    assert again.status == 0, again.out + again.err
    assert _items(project.api) == list(REPOS)


def test_a_duplicate_never_appears_when_an_item_is_added_twice(project: Project) -> None:
    _with_collection(project)
    assert project.run("release", "--yes").status == 0
    (listed,) = project.api.list_collections(owner="NbAiLab")
    project.api.add_collection_item(listed.slug, REPOS[0], "model", exists_ok=True)
    assert _items(project.api) == list(REPOS)


def test_a_warm_plan_of_a_family_with_a_collection_validates_no_manifest(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The collection's items are named by the plan's own variants (these very bytes rendered
    and validated before): the warm plan loads no manifest model."""
    _with_collection(project)
    assert project.run("release", "--yes").status == 0
    assert project.run("plan").status == 0  # the renders cached

    def refuse(*_: object) -> None:
        raise AssertionError("the manifest was validated again")

    monkeypatch.setattr("pipeline.manifest.model.load_manifest", refuse)
    monkeypatch.setattr("pipeline.manifest.model.load_manifest_bytes", refuse)
    warm = project.run("plan")
    assert warm.status == 0, warm.out + warm.err
    assert f"collection NbAiLab/{TITLE}: unchanged" in warm.out
    # A selection names fewer variants than the collection: the manifest says the rest.
    with pytest.raises(AssertionError, match="validated again"):
        project.run("plan", "--only", "nb-llama-3.2-1B")
