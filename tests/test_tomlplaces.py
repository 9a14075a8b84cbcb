"""pipeline.manifest._places: key paths to lines, through the TOML a user may write."""

from __future__ import annotations

import tomllib

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from pipeline.manifest._places import Locator, key_path, lex

MANIFEST = """\
[defaults]
namespace = "NbAiLab"
developer = '''
[[models]]
name = "in a string"
'''
tags = [
  "a",  # [[models]] in a comment
  "b",
]
note = \"\"\"two "quotes" and an escaped \\\"\"\" inside, then [x]
[[models]]
\"\"\"

[defaults.licenses]
"3.1" = "llama3.1"

[[models]]
name = "first"
kind = "base"

[[models]]  # a comment after the header
name = "second"
  base_model = "x/y"

[models.extra]
deep.key = 1
"quoted.key" = 2
"""


@pytest.fixture(scope="module")
def locator() -> Locator:
    tomllib.loads(MANIFEST)  # the fixture itself is valid TOML
    return Locator(MANIFEST)


@pytest.mark.parametrize(
    ("path", "place"),
    [
        ("defaults", (1, 1)),
        ("defaults.namespace", (2, 1)),
        ("defaults.developer", (3, 1)),
        ("defaults.tags", (7, 1)),
        ("defaults.note", (11, 1)),
        ("defaults.licenses", (15, 1)),
        ('defaults.licenses."3.1"', (16, 1)),
        ("models", (18, 1)),
        ("models[0]", (18, 1)),
        ("models[0].name", (19, 1)),
        ("models[0].kind", (20, 1)),
        ("models[1]", (22, 1)),
        ("models[1].name", (23, 1)),
        ("models[1].base_model", (24, 3)),
        ("models[1].extra.deep.key", (27, 1)),
        ('models[1].extra."quoted.key"', (28, 1)),
    ],
)
def test_find(locator: Locator, path: str, place: tuple[int, int]) -> None:
    assert locator.find(path) == place


def test_multi_line_strings_hold_no_headers(locator: Locator) -> None:
    """`[[models]]` inside a string or comment once counted as a table and shifted places."""
    assert "models[2]" not in locator.places
    assert locator.find("models[1].name") == (23, 1)


def test_an_unknown_path_falls_back_to_its_nearest_known_parent(locator: Locator) -> None:
    assert locator.find("models[0].missing") == (18, 1)
    assert locator.find("defaults.tags[1]") == (9, 3)  # an element: its own line
    assert locator.find("defaults.tags[2]") == (7, 1)  # none: the array's
    assert locator.find("nowhere.at.all") == (None, None)


def test_lex_marks_lines_inside_strings_and_arrays() -> None:
    lines = lex(MANIFEST)
    structural = [line.number for line in lines if not line.structural]
    # 4-6: the ''' string; 8-10: the array; 12-13: the \"\"\" string.
    assert structural == [4, 5, 6, 8, 9, 10, 12, 13]


def test_lex_counts_lines_as_tomllib_does() -> None:
    """Only "\\n" ends a line: a U+2028 inside a string must not shift the count."""
    text = 'a = "x\u2028y"\nb = 1\n'
    assert [line.number for line in lex(text) if line.text.startswith("b")] == [2]
    assert Locator(text).find("b") == (2, 1)


def test_lex_measures_depth_without_recursion() -> None:
    text = "x = " + "[" * 50_000 + "]" * 50_000 + "\ny = '[[['\n"
    lines = lex(text)
    assert lines[0].depth == 50_000
    assert lines[0].depth_column == 4 + 50_000
    assert lines[1].depth == 0


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a = 1\n[t]\nb = [[1], [2]]\n", (4, 3, 6)),  # t.b and two brackets
        ("[a.b.c.d]\nx = 1\n", (5, 2, 1)),
        ("k.l.m = { n = { o = 1 } }\n", (5, 1, 15)),
        ("x = [\n  [\n    [1],\n  ],\n]\n", (4, 3, 5)),
        ("", (0, None, None)),
    ],
)
def test_deepest(text: str, expected: tuple[int, int | None, int | None]) -> None:
    assert Locator(text).deepest() == expected


def test_escaped_quotes_and_backslash_line_ends_keep_the_count() -> None:
    text = 'a = "say \\"[[models]]\\""\nb = """one \\\n  two"""\nc = 1\n'
    assert tomllib.loads(text)["c"] == 1
    assert Locator(text).find("c") == (4, 1)


def test_key_path() -> None:
    assert key_path(["models", 3, "base_model"]) == "models[3].base_model"
    assert key_path(["defaults", "languages", 0]) == "defaults.languages[0]"
    assert key_path([]) == ""


def test_deepest_beyond_a_bound_is_the_first_line_past_it() -> None:
    text = "[a.b.c]\nd = 1\n[e]\nf = [[[[1]]]]\n"
    assert Locator(text).deepest(beyond=2) == (3, 1, 1)
    assert Locator(text).deepest(beyond=4) == (6, 4, 8)
    assert Locator(text).deepest(beyond=9) == (6, 4, 8)  # none past it: the deepest


def test_keys_are_written_as_toml_writes_them() -> None:
    """A hostile key cannot put a line break or a terminal escape into a message."""
    assert key_path(["defaults", "licenses", "3.1"]) == 'defaults.licenses."3.1"'
    assert key_path(["a\x1b[2J\nb", 0]) == '"a\\u001B[2J\\u000Ab"[0]'
    assert key_path(['say "hi"']) == '"say \\"hi\\""'
    text = '[t]\n"a\\nb" = 1\n'
    assert Locator(text).find(key_path(["t", "a\nb"])) == (2, 1)


INLINE = """\
[[collections]]
owner = "NbAiLab"
title = "T"
items = [
  { variant = "a" },  # a comment, { not a table }
  { variant = "b", note = "x, y ] }" },
  { repo = "x/y", note = '''two
lines''' },
  0,
]
other = [1, [2, 3], {k = {deep = 1}}]

[[collections]]
title = "U"
items = [{ variant = "c", "quoted key" = 1 }]

[[collections]]
title = "V"
[[collections.items]]
variant = "d"
[[collections.items]]
variant = "e"
"""


@pytest.mark.parametrize(
    ("path", "place"),
    [
        ("collections[0].items", (4, 1)),
        ("collections[0].items[0]", (5, 3)),
        ("collections[0].items[0].variant", (5, 5)),
        ("collections[0].items[1]", (6, 3)),
        ("collections[0].items[1].note", (6, 20)),
        ("collections[0].items[2].repo", (7, 5)),
        ("collections[0].items[2].note", (7, 19)),
        ("collections[0].items[3]", (9, 3)),
        ("collections[0].items[4]", (4, 1)),  # no such item: its array
        ("collections[0].other[1][1]", (11, 17)),
        ("collections[0].other[2].k.deep", (11, 27)),
        ("collections[1].items[0].variant", (15, 12)),
        ('collections[1].items[0]."quoted key"', (15, 27)),
        ("collections[2].items[0]", (19, 1)),
        ("collections[2].items[1].variant", (22, 1)),
    ],
)
def test_find_in_arrays_and_inline_tables(path: str, place: tuple[int, int]) -> None:
    tomllib.loads(INLINE)
    assert Locator(INLINE).find(path) == place


def _lexed_lines(text: str, name: str, count: int) -> list[int | None]:
    """The lines the full lex gives each `[[name]]` entry: what array_lines must match."""
    index = Locator(text).index
    return [index.find(f"{name}[{i}]")[0] for i in range(count)]


ENTRY = '[[models]]\nname = "a"\n'


@pytest.mark.parametrize(
    ("text", "count"),
    [
        (ENTRY * 3, 3),
        ("# [[models]] in a comment\n" + ENTRY + "\n  [[ models ]]  # spaced, commented\n", 2),
        ('[t{n}]\nx = "[[models]]"\n' + ENTRY, 1),
        ("[t{n}]\nnote = '''\n[[models]]\n'''\n" + ENTRY * 2, 2),  # multi-line literal
        ('[t{n}]\nnote = """\n[[models]]\n"""\n' + ENTRY * 2, 2),  # multi-line basic
        ('[["models"]]\nname = "q"\n' + ENTRY, 2),  # a quoted header is a models entry
        ("[[ 'models' ]]\nname = \"q\"\n" + ENTRY, 2),
        ('[defaults]\nx = [\n  [["models"]],\n]\n' + ENTRY, 1),  # an array of arrays
        ('models = [{ name = "a" }, { name = "b" }]\n', 2),  # inline: no header at all
        (ENTRY + '[models.files]\n"N" = { copy = "N" }\n' + ENTRY, 2),
        (ENTRY + "[[models.sub]]\nx = 1\n" + ENTRY, 2),
        ("[[collections]]\nitems = [\n  [[1, 2]],\n]\n" + ENTRY, 1),
        ("", 0),
        (ENTRY, 2),  # fewer headers than entries: the lex decides
    ],
)
def test_array_lines_are_the_lines_the_full_lex_finds(text: str, count: int) -> None:
    assert Locator(text).array_lines("models", count) == _lexed_lines(text, "models", count)


def test_array_lines_of_a_plain_file_need_no_lex() -> None:
    """A file with no multi-line string and only bare headers is read without the lexer."""
    text = "[defaults]\n# [[models]]\n" + ENTRY * 3 + "[[collections]]\nitems = [[1]]\n"
    locator = Locator(text)
    assert locator.array_lines("models", 3) == [3, 5, 7]
    assert locator._index is None


# Pieces of TOML that a plain scan of `[[models]]` headers could take for what they are not.
PIECES = [
    ENTRY,
    '[[ models ]]  # spaced\nname = "s"\n',
    '[["models"]]\nname = "q"\n',
    "# [[models]] in a comment\n",
    "[t{n}]\nnote = '''\n[[models]]\n'''\n",
    '[t{n}]\nnote = """\n[[models]]\n"""\n',
    '[t{n}]\ntags = [\n  [["models"]],  # [[models]]\n]\n',
    '[t{n}]\nx = "[[models]]"\n',
    '[models.files]\n"N" = { copy = "N" }\n',
    "[[models.sub]]\nx = 1\n",
    "[[collections]]\nitems = [\n  [[1, 2]],\n]\n",
    "\n",
]
PROPERTY = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPERTY
@given(st.lists(st.sampled_from(PIECES), max_size=12))
def test_array_lines_match_the_lex_on_any_mix(pieces: list[str]) -> None:
    """Whatever the mix, each entry's line is the one the full lex finds (or the lex runs)."""
    text = "".join(piece.replace("{n}", str(n)) for n, piece in enumerate(pieces))
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        event("not TOML")
        return  # not a manifest: reading it stops before any line is asked for
    entries = data.get("models")
    count = len(entries) if isinstance(entries, list) else 0
    assert Locator(text).array_lines("models", count) == _lexed_lines(text, "models", count)
