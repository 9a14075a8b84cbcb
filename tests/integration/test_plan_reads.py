"""A plan's reads for its changed cards: who made each head, the token's user, nb-release's
open pull requests. They do not depend on each other, so the Hub answers them side by side
(seen by the local Hub as requests in flight at once, never timed), and the plan says the same
as before. After an edit of one variant, its repo's pull requests are asked at once, beside the
listing, before the manifest is even validated (manifest/touched.py)."""

from __future__ import annotations

import json
import time

import pytest

from pipeline.localhub import FaultConfig
from tests.integration.support import Project, readme_lookups

EDITED = 'name = "nb-llama-3.2-1B-Q4_K_M-GGUF"\n'


def _edit_one_variant(project: Project) -> None:
    manifest = project.folder / "models.toml"
    text = manifest.read_text(encoding="utf-8")
    assert EDITED in text
    manifest.write_text(
        text.replace(EDITED, EDITED + 'knowledge_cutoff = "June 2024"\n'), encoding="utf-8"
    )


def _plan(project: Project) -> tuple[int, dict[str, object], str]:
    result = project.run("plan", "--format", "json")
    data = json.loads(result.out) if result.out else {}
    data.pop("created_at", None)
    return result.status, data, result.err


def _one_variant_edited(project: Project) -> None:
    """Released, then the cache forgotten (so no head is known as nb-release's own commit and
    ownership asks for the commits, as a clone's would), warmed by one plan, then one variant's
    knowledge_cutoff edited."""
    assert project.run("release", "--yes").status == 0
    assert project.run("cache", "clear", hub=False).status == 0
    assert project.run("plan").status == 0
    _edit_one_variant(project)


def test_the_reads_for_a_changed_card_overlap(project: Project) -> None:
    _one_variant_edited(project)
    project.hub.set_faults(FaultConfig(latency_ms=200))
    project.hub.counters.reset()
    status, slow, _ = _plan(project)
    counted = project.hub.counters.snapshot()
    assert status == 2, counted
    for route in ("list_models", "list_commits", "whoami", "list_discussions", "validate_yaml"):
        assert project.hub.counters.get(route) == 1, counted
    # The edited variant's pull requests (first the token's user) are asked beside the listing.
    assert {"list_models", "whoami"} <= project.hub.counters.overlapped(), counted
    assert project.hub.counters.max_in_flight() >= 2
    project.hub.set_faults(None)
    again, plain, _ = _plan(project)
    assert (again, plain) == (status, slow)


@pytest.mark.parametrize(
    ("route", "doing"),
    [
        ("list_commits", "listing the commits of NbAiLab/nb-llama-3.2-1B-Q4_K_M-GGUF"),
        ("whoami", "checking the token"),
        ("list_discussions", "listing the pull requests of NbAiLab/nb-llama-3.2-1B-Q4_K_M-GGUF"),
    ],
)
def test_a_failed_read_beside_the_others_is_the_error(
    project: Project, route: str, doing: str
) -> None:
    _one_variant_edited(project)
    project.hub.set_faults(FaultConfig(route=route, wrong_shape="html"))
    status, data, err = _plan(project)
    assert status == 1 and data == {}, err
    assert f"error: {doing}: the Hub's answer is not the JSON expected" in err
    assert "Traceback" not in err


def test_a_cold_plan_lists_the_family_while_it_validates_the_manifest(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The cache has never seen this family: the listing, in the namespaces the manifest's raw
    # parse names, goes out before the manifest is validated, and the plan takes it.
    from pipeline.manifest import model

    validate = model.load_manifest_bytes
    listed_before: list[int] = []

    def validating(*args: object, **kwargs: object) -> object:
        deadline = time.monotonic() + 10
        while project.hub.counters.get("list_models") == 0 and time.monotonic() < deadline:
            time.sleep(0.01)
        listed_before.append(project.hub.counters.get("list_models"))
        return validate(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(model, "load_manifest_bytes", validating)
    project.hub.counters.reset()
    assert project.run("plan").status == 2  # every card to create
    assert listed_before and listed_before[0] == 1
    assert project.hub.counters.get("list_models") == 1  # that one listing, taken


def test_a_cold_plan_looks_up_no_card_in_a_cache_that_holds_none(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert project.run("release", "--yes").status == 0
    assert project.run("cache", "clear", hub=False).status == 0
    looked_up = readme_lookups(monkeypatch)
    assert project.run("plan").status == 0
    assert looked_up == []  # every card known by its blob id, none looked for in vain
