"""The hostile-input corpus through `release --yes` against a real local Hub: nothing written.

tests/test_hostile_input.py runs the corpus through `validate`; here every case goes through the
command that publishes, and the Hub's own counters must show no write at all.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from tests.hostile.corpus import CASES, as_files, judge, snapshot
from tests.integration.support import Project

ROOT = Path(__file__).resolve().parents[2]


def test_no_hostile_case_writes_to_the_hub(project: Project) -> None:
    wrong: dict[str, list[str]] = {}
    for case in CASES:
        shutil.rmtree(project.folder / "cards")
        shutil.copytree(ROOT / "cards", project.folder / "cards")
        for relative, data in as_files(case).items():
            (project.folder / relative).write_bytes(data)
        before = snapshot(project.folder)

        run = project.run("release", "--yes")

        problems = judge(case, run.status, run.out, run.err)
        if snapshot(project.folder) != before:
            problems.append("files were written")
        if problems:
            wrong[case.name] = problems
    assert wrong == {}
    assert project.writes() == 0
