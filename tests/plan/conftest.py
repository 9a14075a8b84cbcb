"""Fixtures for the diff, plan and report tests.

Golden files live in tests/plan/golden/ and are compared byte for byte. To rewrite them on purpose
(after a deliberate change to a report), run:

    NB_RELEASE_UPDATE_GOLDEN=1 .venv/bin/python -m pytest tests/plan

and review the change with `git diff tests/plan/golden`.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

GOLDEN_DIR = Path(__file__).parent / "golden"
UPDATE_ENV = "NB_RELEASE_UPDATE_GOLDEN"


@pytest.fixture
def golden() -> Callable[[str, str], None]:
    """`golden(name, text)`: assert `text` equals golden/<name>, or rewrite it when asked to."""

    def check(name: str, text: str) -> None:
        path = GOLDEN_DIR / name
        if os.environ.get(UPDATE_ENV) == "1":
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(text.encode("utf-8"))
            return
        if not path.exists():
            pytest.fail(f"no golden file {path}; run with {UPDATE_ENV}=1 to create it")
        expected = path.read_bytes().decode("utf-8")
        assert text == expected, f"{name} differs from its golden file; {UPDATE_ENV}=1 rewrites it"

    return check
