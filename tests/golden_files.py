"""The one golden-file comparison: the text a test produced against the file that holds it.

Golden files are compared byte for byte (UTF-8). To rewrite them on purpose, after a deliberate
change, run the tests with NB_RELEASE_UPDATE_GOLDEN=1 and review the change with `git diff`:

    NB_RELEASE_UPDATE_GOLDEN=1 .venv/bin/python -m pytest tests/plan

Tests use the `golden` fixture (tests/conftest.py: files in golden/ beside the test module) or,
for a file elsewhere, `assert_golden(path, actual)`.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Callable
from pathlib import Path

import pytest

UPDATE_ENV = "NB_RELEASE_UPDATE_GOLDEN"

# `golden(name, actual)`: the fixture's check of golden/<name>.
Golden = Callable[[str, str], None]

# Enough of the diff to see the change; the golden file and `git diff` hold the rest.
DIFF_LINES = 60


def updating() -> bool:
    return os.environ.get(UPDATE_ENV) == "1"


def assert_golden(path: Path, actual: str, *, between: tuple[str, str] | None = None) -> None:
    """Assert that `actual` is the golden text of `path`: the whole file, or the part between the
    two marker lines of `between` (a generated section of a document). With
    NB_RELEASE_UPDATE_GOLDEN=1, write `actual` there instead."""
    if updating():
        _write(path, actual, between)
        return
    if not path.is_file():
        pytest.fail(f"no golden file {path}; {UPDATE_ENV}=1 creates it", pytrace=False)
    expected = _read(path, between)
    if actual == expected:
        return
    diff = difflib.unified_diff(
        expected.splitlines(keepends=True),
        actual.splitlines(keepends=True),
        fromfile=f"{path} (golden)",
        tofile="actual",
    )
    shown = "".join(list(diff)[:DIFF_LINES])
    pytest.fail(
        f"{path} differs from the text the test produced; {UPDATE_ENV}=1 rewrites it\n{shown}",
        pytrace=False,
    )


def _read(path: Path, between: tuple[str, str] | None) -> str:
    text = path.read_bytes().decode("utf-8")
    if between is None:
        return text
    start, end = between
    if start not in text or end not in text.split(start, 1)[1]:
        pytest.fail(f"{path} lacks the markers {start!r} ... {end!r}", pytrace=False)
    return text.split(start, 1)[1].split(end, 1)[0]


def _write(path: Path, actual: str, between: tuple[str, str] | None) -> None:
    if between is not None:
        start, end = between
        text = path.read_bytes().decode("utf-8")
        head, rest = text.split(start, 1)
        tail = rest.split(end, 1)[1]
        actual = head + start + actual + end + tail
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(actual.encode("utf-8"))
