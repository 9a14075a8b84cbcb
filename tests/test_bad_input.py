"""Bad input: every folder under tests/cases/ is one mistake a user can make.

A case holds `models.toml`, optionally `cards/` (files laid over a copy of the real cards/),
`command.txt` (validate by default) and `expect.txt` (lines that must each appear in the error).
Each case must exit 1 with `error:` and every expected line on stderr, show no traceback,
and write nothing.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from pipeline.cli import main

ROOT = Path(__file__).resolve().parent.parent
CASES = sorted(p for p in (Path(__file__).parent / "cases").iterdir() if p.is_dir())


def _prepare(case: Path, work: Path) -> None:
    shutil.copytree(ROOT / "cards", work / "cards")
    if (case / "cards").is_dir():
        shutil.copytree(case / "cards", work / "cards", dirs_exist_ok=True)
    shutil.copy(case / "models.toml", work / "models.toml")


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_bad_input_case(
    case: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _prepare(case, tmp_path)
    monkeypatch.chdir(tmp_path)
    before = _snapshot(tmp_path)
    command = (
        (case / "command.txt").read_text().strip()
        if (case / "command.txt").exists()
        else "validate"
    )
    argv = [command] + (["--out", "build/cards"] if command == "render" else [])

    status = main(argv)

    out, err = capsys.readouterr()
    assert status == 1, f"exit status {status}\nstdout:\n{out}\nstderr:\n{err}"
    assert err.startswith("error: "), err
    assert "Traceback" not in err + out
    for line in (case / "expect.txt").read_text().splitlines():
        if line.strip():
            assert line in err, f"expected {line!r} in:\n{err}"
    assert _snapshot(tmp_path) == before, "a failed run must write nothing"
    assert not (tmp_path / "build").exists()


def test_there_are_enough_cases() -> None:
    assert len(CASES) >= 25


def test_missing_manifest(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", "--manifest", str(tmp_path / "nope.toml")]) == 1
    err = capsys.readouterr().err
    assert "nope.toml: no such file" in err


def test_manifest_not_utf8(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "models.toml"
    path.write_bytes(b'[defaults]\nnamespace = "\xff"\n')
    assert main(["validate", "--manifest", str(path)]) == 1
    err = capsys.readouterr().err
    assert str(path) in err and "utf-8" in err.lower()
