"""Bad input: every folder under tests/cases/ is one mistake a user can make.

A case holds `models.toml`, optionally `cards/` (files laid over a copy of the real cards/) and
`command.txt` (validate by default), and `expected.txt`: the whole error output (stderr) the
command must print, compared exactly, so a bogus extra line fails the test (a substring match
once let one through).
Each case must exit 1, print nothing on stdout, show no traceback, and write nothing.

    NB_RELEASE_UPDATE_GOLDEN=1 .venv/bin/python -m pytest tests/test_bad_input.py

rewrites every expected.txt on purpose; review the diff before committing it.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from pipeline.cli.main import main
from tests.golden_files import assert_golden

ROOT = Path(__file__).resolve().parent.parent
CASES_DIR = Path(__file__).parent / "cases"
CASES = sorted(p for p in CASES_DIR.iterdir() if p.is_dir())


def _prepare(case: Path, work: Path) -> None:
    shutil.copytree(ROOT / "cards", work / "cards")
    if (case / "cards").is_dir():
        shutil.copytree(case / "cards", work / "cards", dirs_exist_ok=True)
    shutil.copy(case / "models.toml", work / "models.toml")


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def _command(case: Path) -> list[str]:
    path = case / "command.txt"
    command = path.read_text().strip() if path.exists() else "validate"
    return [command] + (["--out", "build/cards"] if command == "render" else [])


def _marked(case: Path) -> object:
    """A case whose command reads a Hub (the embedded local Hub) is an integration test."""
    reads_hub = _command(case)[0] in ("plan", "preview", "release", "sync")
    return pytest.param(case, marks=[pytest.mark.integration] if reads_hub else [])


@pytest.mark.parametrize("case", [_marked(c) for c in CASES], ids=[c.name for c in CASES])
def test_bad_input_case(
    case: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _prepare(case, tmp_path)
    monkeypatch.chdir(tmp_path)
    before = _snapshot(tmp_path)

    status = main(_command(case))

    out, err = capsys.readouterr()
    assert status == 1, f"exit status {status}\nstdout:\n{out}\nstderr:\n{err}"
    assert out == ""
    assert "Traceback" not in err
    assert _snapshot(tmp_path) == before, "a failed run must write nothing"
    assert not (tmp_path / "build").exists()
    assert_golden(case / "expected.txt", err)


def test_every_case_is_complete() -> None:
    """A case folder without its expected output, or with a stray file, is a mistake."""
    allowed = {"models.toml", "expected.txt", "command.txt", "cards"}
    for case in CASES:
        assert (case / "models.toml").is_file(), case
        assert (case / "expected.txt").is_file(), case
        assert {p.name for p in case.iterdir()} <= allowed, case


def test_there_are_enough_cases() -> None:
    assert len(CASES) >= 25


def test_missing_manifest(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "nope.toml"
    assert main(["validate", "--manifest", str(path)]) == 1
    err = capsys.readouterr().err
    assert err == f"error: cannot read the manifest (1 problem):\n  {path}: no such file\n"


def test_manifest_not_utf8(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "models.toml"
    path.write_bytes(b'[defaults]\nnamespace = "\xff"\n')
    assert main(["validate", "--manifest", str(path)]) == 1
    err = capsys.readouterr().err
    assert str(path) in err and "utf-8" in err.lower()
