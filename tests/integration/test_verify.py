"""Verified after: what the Hub parsed of each card, read back with one listing, against the
rendered front matter; a mismatch is named by repo and key, and has exit status 5."""

from __future__ import annotations

import json
import shutil
from typing import Any

import pytest
from huggingface_hub import CommitOperationAdd

from pipeline.card.readback import Mismatch
from pipeline.exitcodes import EXIT_DRIFT, EXIT_MISMATCH
from pipeline.manifest.model import load_manifest
from tests.integration.support import REPOS, ROOT, Project

PLANTED = "NbAiLab/nb-llama-3.1-8B"
QUOTED_NO = '- "no"  # Generic Norwegian\n'
PLAIN_NO = "- no  # Generic Norwegian\n"


def _plant(project: Project, card: str, repo_id: str = PLANTED) -> None:
    project.api.create_commit(
        repo_id,
        operations=[CommitOperationAdd("README.md", card.encode())],
        commit_message="Edit the card by hand",
    )


def _published(project: Project, repo_id: str = PLANTED) -> str:
    card = project.readme(repo_id)
    assert card is not None
    return card


def test_verify_after_a_release_of_the_shipped_cards_finds_no_mismatch(project: Project) -> None:
    shutil.copy(ROOT / "models.toml", project.folder / "models.toml")
    repos = [v.repo_id for v in load_manifest(project.folder / "models.toml").variants]
    assert len(repos) == 16
    for repo_id in repos:
        project.api.create_repo(repo_id, exist_ok=True)
    released = project.run("release", "--yes", "--summary")
    assert released.status == 0, released.out + released.err
    assert "Verified 16 cards on " in released.out
    assert "(0 mismatches)" in released.out
    project.hub.counters.reset()
    verified = project.run("verify")
    assert verified.status == 0, verified.out + verified.err
    assert "Verified 16 cards on " in verified.out and "(0 mismatches)" in verified.out
    # One listing page for 16 repos, and no card read: each head is known to hold the render.
    assert project.hub.counters.total() == 1
    assert project.hub.counters.get("list_models", "GET") == 1


def test_a_card_the_hub_parses_otherwise_is_reported_by_key(project: Project) -> None:
    assert project.run("release", "--yes").status == 0
    card = _published(project)
    assert "license: llama3.1\n" in card
    _plant(project, card.replace("license: llama3.1\n", "license: mit\n"))
    verified = project.run("verify", "--report-json", "verify.json", "--report-md", "verify.md")
    assert verified.status == EXIT_MISMATCH, verified.out + verified.err
    assert "1 mismatch in 1 repo" in verified.out
    report = json.loads((project.folder / "verify.json").read_text())
    assert report["kind"] == "nb-release.verify-report"
    assert report["mismatches"] == [
        {
            "repo_id": PLANTED,
            "key": "license",
            "meant": '"llama3.1"',
            "read": '"mit"',
            "reader": "the Hub",
        }
    ]
    markdown = (project.folder / "verify.md").read_text()
    assert f'| `{PLANTED}` | `license` | `"llama3.1"` | `the Hub reads "mit"` |' in markdown


def test_an_unquoted_no_is_a_mismatch_of_the_yaml_1_1_reader(project: Project) -> None:
    assert project.run("release", "--yes").status == 0
    card = _published(project)
    assert QUOTED_NO in card
    # The Hub reads YAML 1.2 ("no" stays a string); huggingface_hub's ModelCard reads false.
    _plant(project, card.replace(QUOTED_NO, PLAIN_NO))
    verified = project.run("verify", "--report-json", "verify.json")
    assert verified.status == EXIT_MISMATCH, verified.out + verified.err
    (mismatch,) = json.loads((project.folder / "verify.json").read_text())["mismatches"]
    assert mismatch["repo_id"] == PLANTED
    assert mismatch["key"] == "language"
    assert mismatch["reader"] == "a YAML 1.1 reader"
    assert mismatch["meant"].startswith('["no", ')
    assert mismatch["read"].startswith("[false, ")
    assert "a YAML 1.1 reader reads [false," in " ".join(verified.out.split())


def test_a_hub_that_reads_no_as_false_is_a_mismatch(project: Project) -> None:
    """What the brief calls the Hub's own reading: cardData with false for "no"."""
    from pipeline.card.readback import HUB, compare, meant_data
    from pipeline.records import ListedModel

    assert project.run("release", "--yes").status == 0
    card = _published(project)
    meant = meant_data(card)
    read = dict(meant, language=[False if code == "no" else code for code in meant["language"]])
    listed = ListedModel(PLANTED, None, read, tuple(meant["tags"]), None, None)
    (mismatch,) = compare(PLANTED, meant, listed)
    assert (mismatch.key, mismatch.reader) == ("language", HUB)
    assert mismatch.read.startswith("[false, ")


def test_no_verify_skips_the_step_and_drift_left_alone_is_not_verified(project: Project) -> None:
    assert project.run("release", "--yes").status == 0
    manifest = project.folder / "models.toml"
    manifest.write_text(
        manifest.read_text().replace(
            'name = "nb-llama-3.1-8B"\n', 'name = "nb-llama-3.1-8B"\nparameters = "8.03 billion"\n'
        )
    )
    released = project.run("release", "--yes", "--no-verify")
    assert released.status == 0, released.out + released.err
    assert "Verified" not in released.out
    _plant(project, _published(project).replace(QUOTED_NO, PLAIN_NO))
    # Drift left as the policy says is not the render, so it is not verified: status 4.
    synced = project.run("sync")
    assert synced.status == EXIT_DRIFT, synced.out + synced.err
    assert "Verified 3 cards" in synced.out
    assert "(0 mismatches)" in synced.out


def test_verify_without_the_cache_reads_each_card_once(project: Project) -> None:
    assert project.run("release", "--yes").status == 0
    project.hub.counters.reset()
    verified = project.run("verify", "--no-cache")
    assert verified.status == 0, verified.out + verified.err
    assert project.hub.counters.get("list_models", "GET") == 1
    assert project.hub.counters.get("resolve", "GET") == len(REPOS)


def test_a_card_found_read_as_meant_is_compared_again_only_once_it_changes(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pipeline.card import readback
    from pipeline.plan import verify

    compared: list[str] = []
    compare = readback.compare

    def counting(repo_id: str, *args: Any, **kwargs: Any) -> list[Mismatch]:
        compared.append(repo_id)
        return compare(repo_id, *args, **kwargs)

    monkeypatch.setattr(verify, "compare", counting)
    assert project.run("release", "--yes", "--no-verify").status == 0
    assert project.run("verify").status == 0
    assert sorted(compared) == sorted(REPOS)
    compared.clear()
    again = project.run("verify")
    assert again.status == 0 and compared == []  # the same cards, the same answers
    assert "0 mismatches" in again.out
    card = _published(project)
    _plant(project, card.replace("license: llama3.1\n", "license: mit\n"))
    for _ in range(2):  # a mismatch is never noted: found again each time
        found = project.run("verify")
        assert found.status == EXIT_MISMATCH and compared == [PLANTED]
        compared.clear()
    assert project.run("verify", "--no-cache").status == EXIT_MISMATCH
    assert sorted(compared) == sorted(REPOS)  # without the cache, every card is compared
