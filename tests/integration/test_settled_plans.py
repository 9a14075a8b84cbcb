"""A warm plan reads only the cards it compares: a repo whose head, as the listing shows it, is
the one an earlier run found holding this very card is planned from the cache's note of it (its
face and the rules it failed), and the plan is the one a plan without the cache makes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from pipeline.hub.cache import Cache
from tests.integration.support import REPOS, Project


def _plan(project: Project, *extra: str) -> tuple[int, dict[str, Any]]:
    """The plan's status and its JSON report, less its time and its collections (without the
    cache a collection's difference reads as drift: collection.py)."""
    result = project.run("plan", "--format", "json", *extra)
    report = json.loads(result.out)
    for key in ("created_at", "collections"):
        report.pop(key, None)
    return result.status, report


def _plan_counting_card_reads(project: Project) -> tuple[int, dict[str, Any], list[str]]:
    """_plan, and the cards it read from the cache."""
    read: list[str] = []
    real = Cache.card

    def counted(self: Cache, key: str, shared: dict[str, str] | None = None) -> Any:
        read.append(key)
        return real(self, key, shared)

    with pytest.MonkeyPatch.context() as patched:
        patched.setattr(Cache, "card", counted)
        status, report = _plan(project)
    return status, report, read


@pytest.fixture
def released(project: Project, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Project:
    monkeypatch.setenv("NB_RELEASE_CACHE", str(tmp_path / "cache"))
    assert project.run("release", "--yes").status == 0
    assert project.run("plan").status == 0  # notes each head that holds its card
    return project


def test_a_warm_no_change_plan_reads_no_card(released: Project) -> None:
    status, warm, read = _plan_counting_card_reads(released)
    assert read == []
    assert status == 0
    assert (status, warm) == _plan(released, "--no-cache")
    assert warm["rules"]  # the small family's advisory findings, taken from the note
    requests = released.hub.counters
    requests.reset()
    released.run("plan")
    assert requests.total() == 1  # the listing, and nothing per repo


def test_after_a_one_variant_edit_only_that_card_is_read(released: Project) -> None:
    manifest = released.folder / "models.toml"
    text = manifest.read_text(encoding="utf-8")
    edited = text.replace(
        'name = "nb-llama-3.1-8B"\nkind = "base"',
        'name = "nb-llama-3.1-8B"\nkind = "base"\nknowledge_cutoff = "June 2024"',
    )
    assert edited != text
    manifest.write_text(edited, encoding="utf-8")
    # The first plan after the edit renders the cards whose inputs changed and reads no other:
    # the rest are known by their faces, and their repos hold them at the noted heads.
    released.hub.counters.reset()
    status, first, read = _plan_counting_card_reads(released)
    # One listing, on the wire while the manifest was validated (listing.warm_start).
    assert released.hub.counters.get("list_models") == 1
    assert (status, first) == _plan(released, "--no-cache")
    changed = [e["repo_id"] for e in first["entries"] if e["action"] != "unchanged"]
    # The edited card, and the fine-tune whose card names its parent's facts: nothing else.
    assert changed == ["NbAiLab/nb-llama-3.1-8B", "NbAiLab/nb-llama-3.1-8B-sft"]
    assert len(read) == len(changed)  # each looked up under its new key (a miss), no other
    # The next plan, from these bytes, reads the two it compares and no other.
    status, warm, read = _plan_counting_card_reads(released)
    assert (status, warm) == (2, first)
    assert len(read) == len(changed)


def test_a_hand_edit_on_the_hub_moves_the_head_and_is_compared(released: Project) -> None:
    repo = REPOS[1]
    card = released.readme(repo)
    assert card is not None
    released.api.upload_file(
        path_or_fileobj=(card + "\nA line added by hand.\n").encode(),
        path_in_repo="README.md",
        repo_id=repo,
        commit_message="a hand edit",
    )
    released.hub.counters.reset()
    status, warm, read = _plan_counting_card_reads(released)
    assert len(read) == 1  # the moved repo alone
    # A listing of the heads alone, and the moved repo's file names (for the rules) read apart.
    assert released.hub.counters.get("list_models") == 1
    assert released.hub.counters.get("model_info") == 1
    released.hub.counters.reset()
    assert _plan(released)[1] == warm
    assert released.hub.counters.get("model_info") == 0  # a commit's files are read once
    assert (status, warm) == _plan(released, "--no-cache")
    entries = {e["repo_id"]: e for e in warm["entries"]}
    assert entries[repo]["action"] == "update"
    assert entries[repo]["state"] == "drift"


def test_a_template_edit_that_changes_no_card_reads_no_live_card(released: Project) -> None:
    """cards/ changed: every card is rendered again; each one equal to the card noted at its
    repo's head is settled, and no live card is read."""
    template = released.folder / "cards" / "base.md.j2"
    template.write_bytes(template.read_bytes().rstrip(b"\n") + b"{# a comment #}\n")
    released.hub.counters.reset()
    live: list[str] = []
    real = Cache.readme

    def counted(self: Cache, endpoint: str, repo_id: str, sha: str) -> tuple[bool, str | None]:
        live.append(repo_id)
        return real(self, endpoint, repo_id, sha)

    with pytest.MonkeyPatch.context() as patched:
        patched.setattr(Cache, "readme", counted)
        status, plan = _plan(released)
    assert status == 0
    assert live == []  # no live card read, from the Hub or from the cache
    assert released.hub.counters.total() == 1, released.hub.counters.snapshot()  # the listing
    assert (status, plan) == _plan(released, "--no-cache")
