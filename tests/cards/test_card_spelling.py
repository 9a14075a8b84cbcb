"""codespell over the cards' prose, with the project's word list and dictionary
(pyproject.toml, [tool.codespell]); the same run as `make lint`, here with a case that shows it
catches the seed's misspellings."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ("pyproject.toml", ".codespell-words", ".codespell-dictionary")


def codespell(folder: Path, *paths: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "codespell_lib", *paths],
        cwd=folder,
        capture_output=True,
        text=True,
        check=False,
    )


def test_the_cards_and_golden_cards_are_spelt_right() -> None:
    result = codespell(ROOT, "cards", "tests/golden")
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_seeds_misspellings_are_caught_and_norwegian_words_are_not(tmp_path: Path) -> None:
    for name in CONFIG:
        shutil.copy(ROOT / name, tmp_path / name)
    (tmp_path / "card.md").write_text(
        "The DPO training is based on [Anthropics Helpful and Harmless](x) dataset.\n"
        "Please note tht this is experiemental.\n"
        'prompt = "Hvem er du, som ser ned mot fjellet?"\n',
        encoding="utf-8",
    )
    result = codespell(tmp_path, "card.md")
    assert result.returncode == 65
    found = [line.split(": ", 1)[1] for line in result.stdout.splitlines()]
    assert found == [
        "Anthropics ==> Anthropic's",
        "tht ==> the, that",
        "experiemental ==> experimental",
    ]
