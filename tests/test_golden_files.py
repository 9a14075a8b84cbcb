"""The one golden-file comparison (tests/golden_files.py): it fails on any difference, says how to
rewrite, and rewrites exactly (bytes, a generated section in place) when asked to."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.golden_files import UPDATE_ENV, assert_golden

MARKERS = ("<!-- start -->\n", "<!-- end -->\n")


@pytest.fixture(autouse=True)
def _not_updating(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(UPDATE_ENV, raising=False)


def test_equal_text_passes(tmp_path: Path) -> None:
    path = tmp_path / "a.txt"
    path.write_bytes("line\nå\n".encode())
    assert_golden(path, "line\nå\n")


def test_a_difference_fails_with_the_diff_and_the_way_to_rewrite(tmp_path: Path) -> None:
    path = tmp_path / "a.txt"
    path.write_bytes(b"one\ntwo\n")
    with pytest.raises(pytest.fail.Exception) as failure:
        assert_golden(path, "one\nthree\n")
    message = str(failure.value)
    assert "-two\n" in message and "+three\n" in message
    assert f"{UPDATE_ENV}=1 rewrites it" in message


def test_line_endings_count(tmp_path: Path) -> None:
    path = tmp_path / "a.txt"
    path.write_bytes(b"one\r\n")
    with pytest.raises(pytest.fail.Exception):
        assert_golden(path, "one\n")


def test_a_missing_file_fails(tmp_path: Path) -> None:
    with pytest.raises(pytest.fail.Exception, match="no golden file"):
        assert_golden(tmp_path / "nope.txt", "x")


def test_update_writes_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(UPDATE_ENV, "1")
    path = tmp_path / "new" / "a.txt"
    assert_golden(path, "fresh\n")
    assert path.read_bytes() == b"fresh\n"


def test_a_section_between_markers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "doc.md"
    path.write_bytes(b"# Doc\n<!-- start -->\nold\n<!-- end -->\ntail\n")
    assert_golden(path, "old\n", between=MARKERS)
    with pytest.raises(pytest.fail.Exception):
        assert_golden(path, "new\n", between=MARKERS)
    monkeypatch.setenv(UPDATE_ENV, "1")
    assert_golden(path, "new\n", between=MARKERS)
    assert path.read_bytes() == b"# Doc\n<!-- start -->\nnew\n<!-- end -->\ntail\n"
