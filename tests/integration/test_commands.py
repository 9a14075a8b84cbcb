"""The commands as a new user meets them: repo names as `--only` takes them, unknown repos, the
counts in their messages; and one Cache and one Hub per run."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from pipeline.exitcodes import EXIT_ERROR, EXIT_USAGE
from pipeline.hub.cache import Cache
from pipeline.hub.client import Hub
from pipeline.manifest.selection import Selection
from tests.integration.support import REPOS, Project

# --- a repo's name without its namespace ------------------------------------------------------


@pytest.mark.parametrize(
    "argv",
    [
        ("history", "nb-llama-3.1-8B"),
        ("history", REPOS[0], "NB-LLAMA-3.1-8b"),  # ignoring case, as --only does
        ("restore", "nb-llama-3.1-8B", "--to", "abc"),
    ],
    ids=["history", "history-case", "restore"],
)
def test_a_bare_repo_name_is_a_usage_error_that_names_the_repo_id(
    project: Project, argv: tuple[str, ...]
) -> None:
    result = project.run(*argv)

    assert result.status == EXIT_USAGE, result.out + result.err
    bare = next(a for a in argv[1:] if "/" not in a)
    assert result.err.startswith(
        f"error: argument REPO: a repo id must be 'namespace/name', got {bare!r}\n"
        "hint: did you mean 'NbAiLab/nb-llama-3.1-8B'?\n"
    ), result.err
    assert "HTTP" not in result.err
    assert result.out == ""
    assert project.hub.counters.total() == 0  # refused before the Hub is asked anything


def test_a_bare_name_no_variant_has_says_so(project: Project) -> None:
    result = project.run("history", "nb-llama-9-9B")

    assert result.status == EXIT_USAGE
    assert result.err == (
        "error: argument REPO: a repo id must be 'namespace/name', got 'nb-llama-9-9B'\n"
        "hint: no variant of models.toml is named 'nb-llama-9-9B'; give the repo id as "
        "'namespace/name'\n"
    )


def test_restore_looks_a_bare_name_up_in_the_manifest_it_is_given(project: Project) -> None:
    other = project.folder / "other.toml"
    text = (project.folder / "models.toml").read_text(encoding="utf-8")
    other.write_text(text.replace("NbAiLab", "Elsewhere"), encoding="utf-8")

    result = project.run("restore", "nb-llama-3.1-8B", "--to", "abc", "--manifest", str(other))

    assert result.status == EXIT_USAGE
    assert "hint: did you mean 'Elsewhere/nb-llama-3.1-8B'?" in result.err


def test_a_bare_name_without_a_readable_manifest_still_says_what_a_repo_id_is(
    project: Project,
) -> None:
    result = project.run("restore", "nb-llama-3.1-8B", "--to", "abc", "--manifest", "none.toml")

    assert result.status == EXIT_USAGE
    assert result.err == (
        "error: argument REPO: a repo id must be 'namespace/name', got 'nb-llama-3.1-8B'\n"
        "hint: give the repo id as 'namespace/name' (none.toml could not be read to look the "
        "name up)\n"
    )


# --- a repo the Hub does not have ---------------------------------------------------------------


def test_history_of_an_unknown_repo_is_an_error_naming_it(project: Project) -> None:
    result = project.run("history", REPOS[1], "NbAiLab/does-not-exist")

    assert result.status == EXIT_ERROR, result.out + result.err
    assert result.err == (
        f"error: NbAiLab/does-not-exist: no such repo on {project.hub.url}\n"
        "hint: `nb-release history` with no REPO lists every repo of the manifest\n"
    )
    assert result.out == ""


def test_history_counts_one_commit_as_one_commit(project: Project) -> None:
    result = project.run("history", REPOS[1], "--limit", "1")

    assert result.status == 0, result.err
    assert result.out == f"{REPOS[1]}\n  README.md unchanged in the newest commit\n"


def test_history_lists_a_manifest_repo_not_yet_on_the_hub(project: Project) -> None:
    manifest = project.folder / "models.toml"
    manifest.write_text(
        manifest.read_text(encoding="utf-8")
        + '\n[[models]]\nname = "nb-llama-3.1-70B"\nkind = "base"\nllama_version = "3.1"\n'
        'size = "70B"\nbase_model = "meta-llama/Llama-3.1-70B"\nallow_create = true\n',
        encoding="utf-8",
    )

    result = project.run("history")

    assert result.status == 0, result.err
    assert "NbAiLab/nb-llama-3.1-70B\n  the repo does not exist\n" in result.out


def test_restore_of_an_unknown_repo_is_an_error_naming_it(project: Project) -> None:
    result = project.run("restore", "NbAiLab/does-not-exist", "--to", "abc", "--yes")

    assert result.status == EXIT_ERROR
    assert result.err == f"error: NbAiLab/does-not-exist: no such repo on {project.hub.url}\n"
    assert project.writes() == 0


# --- counts -----------------------------------------------------------------------------------


def test_render_counts_one_card_as_one_card(project: Project) -> None:
    only = ("--only", "nb-llama-3.1-8B")
    rendered = project.run("render", *only, "--out", "out", hub=False)
    assert rendered.status == 0, rendered.err
    assert rendered.out == "Rendered 1 card to out/\n"

    checked = project.run("render", *only, "--out", "out", "--check", hub=False)
    assert checked.out == "The 1 card under out matches a fresh render.\n"

    Path("out/NbAiLab/nb-llama-3.1-8B/README.md").write_text("edited\n", encoding="utf-8")
    differs = project.run("render", *only, "--out", "out", "--check", hub=False)
    assert differs.status == 1
    assert differs.out.startswith("1 of 1 card differs from a fresh render:\n")

    valid = project.run("validate", *only, hub=False)
    assert (
        valid.out
        == "models.toml: valid. 1 card rendered and checked (4 variants in the manifest).\n"
    )


def test_cache_clear_counts_one_entry_as_one_entry(
    project: Project, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NB_RELEASE_CACHE", str(tmp_path / "cache"))
    Cache().put("readme", "a key", b"a card")

    result = project.run("cache", "clear", hub=False)

    assert result.out == f"Removed 1 cache entry from {tmp_path / 'cache'}/\n"


# --- one Cache and one Hub per run ---------------------------------------------------------------


def test_apply_makes_one_cache_and_opens_the_hub_once(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert project.run("plan", "--out", "plan.json").status == 2
    made: list[Cache] = []
    opened: list[Cache | None] = []
    cache_init, hub_init = Cache.__init__, Hub.__init__

    def counted_cache(self: Cache, root: Path | None = None) -> None:
        made.append(self)
        cache_init(self, root)

    def counted_hub(self: Hub, *args: Any, **kwargs: Any) -> None:
        hub_init(self, *args, **kwargs)
        opened.append(self.cache)

    monkeypatch.setattr(Cache, "__init__", counted_cache)
    monkeypatch.setattr(Hub, "__init__", counted_hub)

    result = project.run("apply", "plan.json")

    assert result.status == 0, result.out + result.err
    assert len(made) == 1
    assert opened == made  # one Hub, reading and recording through that one cache


def test_a_cold_plan_looks_its_render_up_once(
    project: Project, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NB_RELEASE_CACHE", str(tmp_path / "cold-cache"))
    looked_up: list[Selection] = []
    rendered = Cache.last_render

    def counted(self: Cache, selection: Selection) -> object:
        looked_up.append(selection)
        return rendered(self, selection)

    monkeypatch.setattr(Cache, "last_render", counted)

    assert project.run("plan").status == 2
    assert len(looked_up) == 1
    assert project.run("plan").status == 2  # warm: taken from the cache, looked up once
    assert len(looked_up) == 2


# --- what a command loads ---------------------------------------------------------------------


def test_history_of_named_repos_loads_neither_pydantic_nor_the_renderer(project: Project) -> None:
    """Repos named on the command line need no manifest: `history` then reads the Hub alone."""
    assert project.run("release", "--yes").status == 0
    heavy = ("pydantic", "jinja2", "ruamel.yaml", "pipeline.card.render")
    script = (
        "import sys\n"
        "from pipeline.cli.main import main\n"
        "status = main(sys.argv[1:])\n"
        f"print('loaded:', sorted(m for m in {heavy!r} if m in sys.modules), file=sys.stderr)\n"
        "sys.exit(status)\n"
    )
    argv = ["history", REPOS[0], "--hub", project.hub.url, "--hub-root", str(project.hub.root)]
    run = subprocess.run(
        [sys.executable, "-c", script, *argv],
        cwd=project.folder,
        env={**os.environ, "HF_TOKEN": project.hub.token},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "nb-release" in run.stdout  # the release's commit, marked
    assert "loaded: []" in run.stderr, run.stderr
