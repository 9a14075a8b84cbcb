"""A manifest edited entry by entry is parsed entry by entry: the parse made from the earlier one
and the changed entries is exactly what tomllib makes of the whole text, or none is made (and
the whole text is parsed). Edits of every kind, hostile ones too."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from pipeline.manifest._file import _spliced

ROOT = Path(__file__).resolve().parent.parent
BEFORE = (ROOT / "models.toml").read_text(encoding="utf-8")
FIRST = 'name = "nb-llama-3.1-8B"\n'


def _edits() -> list[tuple[str, str, bool]]:
    """(what, the edited text, whether the parse can be spliced)."""
    assert FIRST in BEFORE
    return [
        ("a key added", BEFORE.replace(FIRST, FIRST + 'knowledge_cutoff = "June 2024"\n'), True),
        ("a value changed", BEFORE.replace(FIRST, 'name = "nb-llama-3.1-8B-x"\n'), True),
        ("a sub-table added", BEFORE.replace(FIRST, FIRST + "[models.extra]\na = 1\n", 1), True),
        ("a comment", BEFORE.replace(FIRST, FIRST + "# a note\n"), True),
        ("the head edited", BEFORE.replace("[defaults]", "[defaults]\nyear = 2025", 1), False),
        ("an entry added", BEFORE + '\n[[models]]\nname = "new"\nkind = "base"\n', False),
        ("an entry removed", BEFORE.replace("[[models]]\n", "", 1), False),
        ("a table of the head in an entry", BEFORE.replace(FIRST, FIRST + "[kinds.x]\n"), False),
        ("broken TOML", BEFORE.replace(FIRST, FIRST + "= oops\n"), False),
        ("two headers on one piece", BEFORE.replace(FIRST, FIRST + "[[ models ]]\n"), False),
        (
            "a header inside a string",
            BEFORE.replace(FIRST, FIRST + 'description = """\n[[models]]\nname = "x"\n"""\n'),
            False,
        ),
    ]


@pytest.mark.parametrize(("what", "after", "spliceable"), _edits(), ids=[e[0] for e in _edits()])
def test_a_spliced_parse_is_the_whole_or_none(what: str, after: str, spliceable: bool) -> None:
    spliced = _spliced(BEFORE, tomllib.loads(BEFORE), after)
    if not spliceable:
        assert spliced is None, what
        return
    assert spliced is not None, what
    assert spliced == tomllib.loads(after)


def test_each_of_several_entries_edited_at_once() -> None:
    after = BEFORE.replace('kind = "base"\n', 'kind = "base"\nyear = 2030\n')
    assert after.count("year = 2030") > 1
    assert _spliced(BEFORE, tomllib.loads(BEFORE), after) == tomllib.loads(after)


def test_an_edited_manifest_is_not_parsed_whole_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pipeline.hub.cache import Cache
    from pipeline.manifest import _file

    path = tmp_path / "models.toml"
    path.write_text(BEFORE, encoding="utf-8")
    _file.recall_document(BEFORE.encode(), Cache(tmp_path / "cache"), path)
    after = BEFORE.replace(FIRST, FIRST + 'knowledge_cutoff = "June 2024"\n')
    parsed: list[int] = []
    loads = tomllib.loads

    def counting(text: str) -> dict[str, object]:
        parsed.append(len(text))
        return loads(text)

    monkeypatch.setattr(tomllib, "loads", counting)
    earlier = _file.recall_document(after.encode(), Cache(tmp_path / "cache"), path)
    assert earlier == loads(BEFORE)
    assert _file.toml_document(after.encode()) == loads(after)
    assert parsed and max(parsed) < len(after) // 4  # the changed entry's text, not the whole
