"""The hostile-input corpus (tests/hostile/corpus.py) through `nb-release validate`, in process.

Every case: exit 1, a located message, no traceback, nothing written. The reliability harness
runs the same corpus through `release` against a local Hub that counts writes.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.cli.main import main
from tests.hostile.corpus import CASES, HostileCase, judge, materialise, snapshot


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_hostile_case(
    case: HostileCase,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    materialise(case, tmp_path)
    monkeypatch.chdir(tmp_path)
    before = snapshot(tmp_path)

    status = main(["validate"])

    out, err = capsys.readouterr()
    assert judge(case, status, out, err) == [], err[:2000]
    assert snapshot(tmp_path) == before, "a failed run must write nothing"


def test_the_corpus_is_large_and_its_names_unique() -> None:
    assert len(CASES) >= 100
    assert len({c.name for c in CASES}) == len(CASES)


def test_judge_finds_what_is_wrong() -> None:
    """The judge itself can fail: a test that cannot fail proves nothing."""
    case = CASES[0]
    assert judge(case, 0, "", "") != []
    good = f"error: x\n  models.toml:3:1: models[0].display_name: {case.expect}\n"
    assert judge(case, 1, "", good) == []
    assert "a traceback" in judge(case, 1, "", good + "Traceback (most recent call last):\n")
