"""What each command loads at start-up: a command imports only what it uses (README.md "Code
layout"). Help, `cache clear` and `hub serve` need neither pydantic (the manifest's models) nor the
renderer (jinja2, ruamel.yaml, pipeline.card.render); `validate` needs no Hub client and no
server. Each command runs in a fresh interpreter, which then lists what it imported."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
RENDERER = ("pydantic", "jinja2", "ruamel.yaml", "pipeline.card.render")
HUB = (
    "huggingface_hub",
    "pipeline.hub.client",
    "pipeline.localhub.server",
    "pipeline.localhub.app",
)


def loaded(argv: list[str], folder: Path) -> set[str]:
    """The modules imported by running `nb-release ARGV` in FOLDER (its status ignored: help
    exits through SystemExit)."""
    code = (
        "import contextlib, io, sys\n"
        "from pipeline.cli.main import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    try:\n"
        f"        status = main({argv!r})\n"
        "    except SystemExit as exc:\n"
        "        status = exc.code\n"
        "print(status)\n"
        "print(' '.join(sorted(sys.modules)))\n"
    )
    env = {**os.environ, "NB_RELEASE_CACHE": str(folder / "cache")}
    run = subprocess.run(
        [sys.executable, "-c", code], cwd=folder, env=env, capture_output=True, text=True
    )
    assert run.returncode == 0, run.stdout + run.stderr
    status, modules = run.stdout.strip().splitlines()[-2:]
    assert status in ("0", "None"), run.stdout + run.stderr
    return set(modules.split())


@pytest.mark.parametrize(
    "argv",
    [["--help"], ["history", "--help"], ["cache", "clear"], ["hub", "serve", "--help"]],
    ids=" ".join,
)
def test_help_and_cache_clear_load_neither_pydantic_nor_the_renderer(
    argv: list[str], tmp_path: Path
) -> None:
    modules = loaded(argv, tmp_path)
    assert not modules & set(RENDERER)
    assert not modules & set(HUB)


def test_help_loads_no_package_metadata_and_no_console(tmp_path: Path) -> None:
    """`--help` prints through argparse: the version is read from the installed package's
    metadata only for `--version` and the commands that record it, and rich only where a
    console prints."""
    modules = loaded(["--help"], tmp_path)
    assert "importlib.metadata" not in modules
    assert "rich.console" not in modules


def test_validate_loads_no_hub_client_and_no_server(tmp_path: Path) -> None:
    shutil.copytree(ROOT / "cards", tmp_path / "cards")
    shutil.copy(ROOT / "models.toml", tmp_path / "models.toml")
    modules = loaded(["validate"], tmp_path)
    assert "pipeline.card.render" in modules  # it did render
    assert not modules & set(HUB)
    assert "rich.progress" not in modules  # nothing to show progress of


def test_the_version_is_read_without_package_metadata() -> None:
    """The version setuptools-scm wrote at install (pipeline/_version.py) is the metadata's,
    read without importlib.metadata (about 30 ms of every command that names it)."""
    code = (
        "import sys, pipeline\n"
        "version = pipeline.__version__\n"
        "print(version, 'importlib.metadata' in sys.modules)\n"
        "from importlib.metadata import version as installed\n"
        "print(installed('nb-release'))\n"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert run.returncode == 0, run.stderr
    first, second = run.stdout.splitlines()
    version, metadata_loaded = first.split()
    assert metadata_loaded == "False"
    assert version == second
