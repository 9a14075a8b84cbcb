"""The local cache: warm plans at a handful of requests, and never a different answer."""

from __future__ import annotations

import json
import math
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from huggingface_hub import CommitOperationAdd, CommitOperationDelete

from pipeline.localhub import LocalHub
from tests.integration.support import REPOS, Project, readme_lookups

HAND_EDIT = "---\nlicense: mit\n---\nEdited by hand.\n"


def _plan_json(project: Project, *flags: str) -> tuple[int, dict[str, object]]:
    result = project.run("plan", "--format", "json", *flags)
    assert result.status in (0, 2), result.err
    data = json.loads(result.out)
    data.pop("created_at", None)
    for entry in data["entries"]:
        # The date of nb-release's own commit, when the cache recorded it as it landed, is this
        # machine's clock (the Hub's answer to a commit carries no date); the listing's is the
        # Hub's. Under load the two can fall in different seconds.
        if entry["published"] is not None:
            entry["published"].pop("date")
    return result.status, data


def _same_with_and_without_cache(project: Project) -> int:
    status, cached = _plan_json(project)
    again, warm = _plan_json(project)
    plain_status, plain = _plan_json(project, "--no-cache")
    assert cached == warm == plain
    assert status == again == plain_status
    return status


def test_a_warm_no_change_plan_costs_the_listing_only(project: Project) -> None:
    assert project.run("release", "--yes").status == 0
    assert project.run("plan").status == 0  # fills the cache
    project.hub.counters.reset()
    assert project.run("plan").status == 0
    total = project.hub.counters.total()
    assert total <= math.ceil(len(REPOS) / 1000) + 1, project.hub.counters.snapshot()
    assert project.hub.counters.get("resolve") == 0


def test_no_cache_reads_every_card(project: Project) -> None:
    assert project.run("release", "--yes").status == 0
    assert project.run("plan").status == 0
    project.hub.counters.reset()
    assert project.run("plan", "--no-cache").status == 0
    assert project.hub.counters.get("resolve") == len(REPOS)
    assert project.hub.counters.get("list_models") == 1  # the compliance rules' file names


def test_plans_are_the_same_with_and_without_the_cache(project: Project) -> None:
    assert _same_with_and_without_cache(project) == 2  # nothing published yet
    assert project.run("release", "--yes").status == 0
    assert _same_with_and_without_cache(project) == 0
    # A hand edit on the Hub: the head moves, the cached README of the old head is not used.
    project.api.create_commit(
        REPOS[1],
        operations=[CommitOperationAdd("README.md", HAND_EDIT.encode())],
        commit_message="hand edit",
    )
    assert _same_with_and_without_cache(project) == 0  # drift only: sync would skip it
    # A README deleted on the Hub.
    project.api.create_commit(
        REPOS[2], operations=[CommitOperationDelete("README.md")], commit_message="delete"
    )
    assert _same_with_and_without_cache(project) == 2
    # A manifest edit: everything re-rendered.
    manifest = project.folder / "models.toml"
    manifest.write_text(manifest.read_text().replace("May 2024", "June 2024"))
    assert _same_with_and_without_cache(project) == 2
    # The hand-edited and the emptied cards are drift: overwrite them to come back in sync.
    assert project.run("release", "--yes", "--on-drift", "overwrite").status == 0
    assert _same_with_and_without_cache(project) == 0


def test_corrupt_entries_are_ignored(project: Project) -> None:
    assert project.run("release", "--yes").status == 0
    _, expected = _plan_json(project)
    root = Path(os.environ["NB_RELEASE_CACHE"])
    entries = [p for p in root.rglob("*") if p.is_file()]
    assert len(entries) >= len(REPOS) + 1  # a README per repo and the rendered cards
    for index, path in enumerate(entries):
        data = bytearray(path.read_bytes())
        if index % 2:
            data[-2] ^= 0x01  # one flipped bit in the payload
        else:
            data = data[: len(data) // 2]  # truncated
        path.write_bytes(bytes(data))
    status, got = _plan_json(project)
    assert status == 0 and got == expected


def test_cache_clear(project: Project) -> None:
    assert project.run("release", "--yes").status == 0
    assert project.run("plan").status == 0
    result = project.run("cache", "clear", hub=False)
    assert result.status == 0
    assert "Removed" in result.out and " 0 cache entries" not in result.out
    project.hub.counters.reset()
    assert project.run("plan").status == 0
    # Cold again: each card (equal to its render) is known by its blob id, none read.
    assert project.hub.counters.get("paths_info") == len(REPOS), project.hub.counters.snapshot()
    assert project.hub.counters.get("resolve") == 0


def test_a_release_leaves_the_cache_warm_for_the_next_plan(project: Project) -> None:
    assert project.run("release", "--yes").status == 0
    project.hub.counters.reset()
    assert project.run("plan").status == 0
    assert project.hub.counters.get("resolve") == 0, project.hub.counters.snapshot()
    assert _same_with_and_without_cache(project) == 0


def test_history_reads_at_a_head_are_cached(project: Project) -> None:
    assert project.run("release", "--yes").status == 0
    project.api.create_commit(
        REPOS[1],
        operations=[CommitOperationAdd("README.md", HAND_EDIT.encode())],
        commit_message="hand edit",
    )
    first = project.run("plan")
    project.hub.counters.reset()
    second = project.run("plan")
    assert second.status == first.status
    # The listing; and for the drifted card, nb-release's open pull request is looked for afresh
    # (whose the token is, once; the repo's pull requests): that can change at any moment.
    counted = project.hub.counters.snapshot()
    assert project.hub.counters.total() == 3, counted
    assert project.hub.counters.get("list_discussions") == 1, counted
    assert project.hub.counters.get("whoami") == 1, counted
    assert _same_with_and_without_cache(project) == first.status


def test_a_warm_plan_validates_no_manifest(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The render cache is keyed by the exact bytes: a hit needs no validation (README.md,
    `nb-release cache clear`)."""
    status, first = _plan_json(project)
    assert status == 2

    def refuse(*_: object) -> None:
        raise AssertionError("the manifest was validated again")

    monkeypatch.setattr("pipeline.manifest.model.load_manifest_bytes", refuse)
    status, again = _plan_json(project)
    assert status == 2 and again == first
    with pytest.raises(AssertionError, match="validated again"):  # without the cache it must
        project.run("plan", "--no-cache")


def test_a_warm_plan_takes_unmoved_heads_from_one_entry(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Repos whose head still holds the rendered card need no README entry each: one entry
    lists their heads. A repo whose head moved is looked up (and read) on its own."""
    assert project.run("release", "--yes").status == 0
    assert project.run("plan").status == 0
    looked_up = readme_lookups(monkeypatch)
    warm = project.run("plan")
    assert warm.status == 0 and looked_up == []
    assert f"0 to read from the Hub, {len(REPOS)} from the cache" in warm.err
    assert "reading live cards: NbAiLab" not in warm.err  # no line per cache hit
    project.api.create_commit(
        REPOS[1],
        operations=[CommitOperationAdd("README.md", HAND_EDIT.encode())],
        commit_message="hand edit",
    )
    project.hub.counters.reset()
    moved = project.run("plan")
    assert moved.status == 0, moved.out + moved.err  # drift only: sync would skip it
    assert set(looked_up) == {REPOS[1]}  # its new head, and its last published commit
    assert project.hub.counters.get("resolve") == 1
    assert f"Reading live cards: 1 to read from the Hub, {len(REPOS) - 1} from the cache" in (
        moved.err
    )
    assert _same_with_and_without_cache(project) == moved.status


def test_a_warm_plan_loads_neither_the_renderer_nor_pydantic(project: Project) -> None:
    """From cached renders, `plan` imports no jinja2, YAML library, pydantic or markdown-it:
    at thousands of repos their import is a large share of a warm plan (README.md "At scale")."""
    assert project.run("release", "--yes").status == 0
    assert project.run("plan").status == 0
    heavy = ("jinja2", "pydantic", "ruamel.yaml", "markdown_it", "pipeline.card.render")
    script = (
        "import sys\n"
        "from pipeline.cli.main import main\n"
        f"status = main(sys.argv[1:])\n"
        f"print('loaded:', sorted(m for m in {heavy!r} if m in sys.modules), file=sys.stderr)\n"
        "sys.exit(status)\n"
    )
    run = subprocess.run(
        [sys.executable, "-c", script, "plan", "--hub", project.hub.url],
        cwd=project.folder,
        env={**os.environ, "HF_TOKEN": project.hub.token},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "loaded: []" in run.stderr, run.stderr


def test_a_served_local_hub_restarted_on_another_port_keeps_the_cache_warm(
    project: Project,
) -> None:
    assert project.run("release", "--yes").status == 0
    _, before = _plan_json(project)  # warm
    root, old_url = project.hub.root, project.hub.url
    with socket.socket() as probe:  # a free port other than the running Hub's
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    project.hub.stop()
    with LocalHub(root=root, port=port) as restarted:
        moved = Project(project.folder, restarted, project.api, project.capsys)
        assert restarted.url != old_url
        restarted.counters.reset()
        status, after = _plan_json(moved)
        assert restarted.counters.total() == 1, restarted.counters.snapshot()  # the listing
        assert status == 0
        _, plain = _plan_json(moved, "--no-cache")
    assert after == plain == {**before, "hub": after["hub"]}  # only the URL differs
