"""`validate` remembers a passing verdict (README "nb-release validate"): a second run on the same
bytes with the same nb-release prints the same line without loading pydantic, jinja2 or rich,
and any edit of what the verdict was made from validates fully again. Each run is a fresh
interpreter with a private cache, which then lists what it imported."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
HEAVY = frozenset({"pydantic", "jinja2", "rich"})
LINE = "models.toml: valid. 16 cards rendered and checked (16 variants in the manifest).\n"

_RUN = """\
import runpy, sys
sys.argv = ["nb-release", *{argv!r}]
status = 0
try:
    runpy.run_module("pipeline.cli.main", run_name="__main__")
except SystemExit as exc:
    status = exc.code
sys.stdout.flush()
heavy = sorted({{m.split(".")[0] for m in sys.modules}} & {heavy!r})
sys.stderr.write("\\nLOADED " + " ".join(heavy) + "\\n")
sys.exit(status)
"""


@dataclass(frozen=True)
class Run:
    status: int
    stdout: str
    stderr: str
    heavy: frozenset[str]  # which of pydantic, jinja2 and rich it imported

    @property
    def full(self) -> bool:
        """It validated the manifest and rendered the cards."""
        return {"pydantic", "jinja2"} <= self.heavy


def validate(project: Path, *args: str) -> Run:
    code = _RUN.format(argv=["validate", *args], heavy=set(HEAVY))
    env = {**os.environ, "NB_RELEASE_CACHE": str(project.parent / "cache")}
    run = subprocess.run(
        [sys.executable, "-c", code], cwd=project, env=env, capture_output=True, text=True
    )
    stderr, _, loaded = run.stderr.rpartition("\nLOADED ")
    return Run(run.returncode, run.stdout, stderr, frozenset(loaded.split()))


def broken(manifest: str) -> str:
    """The manifest with one variant's name a number: invalid."""
    name = 'name = "nb-llama-3.2-1B"'
    assert name in manifest
    return manifest.replace(name, "name = 3", 1)


def cache_files(project: Path) -> list[Path]:
    """The cache's entries (not the two files that keep its count: hub/cache.py)."""
    top = project.parent / "cache" / "v1"
    count = {top / "usage", top / "journal"}
    return sorted(p for p in top.rglob("*") if p.is_file() and p not in count)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    folder = tmp_path / "project"
    folder.mkdir()
    shutil.copytree(ROOT / "cards", folder / "cards")
    shutil.copy(ROOT / "models.toml", folder / "models.toml")
    return folder


def test_a_second_run_prints_the_same_line_without_pydantic_jinja2_or_rich(
    project: Path,
) -> None:
    first = validate(project)
    assert (first.status, first.stdout, first.stderr) == (0, LINE, "")
    assert first.full
    second = validate(project)
    assert (second.status, second.stdout, second.stderr) == (0, LINE, "")
    assert second.heavy == frozenset()


def test_an_edit_of_the_manifest_validates_fully_and_an_invalid_one_fails(project: Path) -> None:
    assert validate(project).status == 0
    manifest = project / "models.toml"
    text = manifest.read_text(encoding="utf-8")
    manifest.write_text(text + "\n# a comment\n", encoding="utf-8")
    edited = validate(project)
    assert (edited.status, edited.stdout, edited.full) == (0, LINE, True)
    assert validate(project).heavy == frozenset()  # the edited bytes' verdict, remembered
    manifest.write_text(broken(text), encoding="utf-8")
    failed = validate(project)
    assert failed.status == 1 and failed.full
    assert failed.stdout == ""
    assert "error:" in failed.stderr and "models.toml" in failed.stderr
    again = validate(project)  # the full report, every time
    assert (again.status, again.stderr, again.full) == (1, failed.stderr, True)


def test_an_edit_of_a_template_validates_fully(project: Path) -> None:
    assert validate(project).status == 0
    assert validate(project).heavy == frozenset()
    template = project / "cards" / "base.md.j2"
    template.write_text(template.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    run = validate(project)
    assert (run.status, run.stdout, run.full) == (0, LINE, True)


def test_an_edit_of_a_copied_file_validates_fully(project: Path) -> None:
    manifest = project / "models.toml"
    text = manifest.read_text(encoding="utf-8")
    line = '"NOTICE" = { template = "files/NOTICE.j2" }'
    assert line in text
    manifest.write_text(text.replace(line, '"NOTICE" = { copy = "NOTICE.txt" }'), "utf-8")
    notices = [
        f"Llama {v} is licensed under the Llama {v} Community License, Copyright © Meta "
        "Platforms, Inc. All Rights Reserved."
        for v in ("3.1", "3.2", "3.3")
    ]
    notice = project / "NOTICE.txt"
    notice.write_text("\n".join(notices) + "\n", encoding="utf-8")
    first = validate(project)
    assert (first.status, first.stdout, first.full) == (0, LINE, True)
    assert validate(project).heavy == frozenset()
    notice.write_text("\n".join(notices[:2]) + "\n", encoding="utf-8")  # 3.3's notice gone
    run = validate(project)
    assert run.status == 1 and run.full
    assert "does not carry the Llama 3.3 notice" in run.stderr


def test_no_cache_always_validates_fully(project: Path) -> None:
    assert validate(project).status == 0
    for _ in range(2):
        run = validate(project, "--no-cache")
        assert (run.status, run.stdout, run.stderr, run.full) == (0, LINE, "", True)


def test_the_selection_is_part_of_the_verdict(project: Path) -> None:
    assert validate(project).status == 0
    run = validate(project, "--only", "nb-llama-3.1-8B")
    assert run.status == 0 and run.full
    assert run.stdout.startswith("models.toml: valid. 1 card rendered and checked")
    assert validate(project, "--only", "nb-llama-3.1-8B").heavy == frozenset()


def test_a_failing_validate_records_nothing(project: Path) -> None:
    manifest = project / "models.toml"
    text = manifest.read_text(encoding="utf-8")
    manifest.write_text(broken(text), encoding="utf-8")
    for _ in range(2):
        run = validate(project)
        assert run.status == 1 and run.full
    assert cache_files(project) == []
    manifest.write_text(text, encoding="utf-8")  # fixed: the pass is remembered
    assert validate(project).full
    assert len(cache_files(project)) == 1
    assert validate(project).heavy == frozenset()
