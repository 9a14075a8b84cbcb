"""Front matter: split/join, the canonical layout, Norway quoting, agreement, syntax errors."""

from __future__ import annotations

import pytest
import yaml

from pipeline.card import frontmatter
from pipeline.errors import CardError

LIVE_CARD = """
---

language:
- no  # Generic Norwegian
- nb  # Norwegian Bokmål
tags:
- norwegian
pipeline_tag: text-generation
license: llama3.1
---

## Model Card: nb-llama-3.1-8B-Instruct
The model was trained and documentation written by Per Egil Kummervold. """

CANONICAL = """---
language:
- "no"  # Generic Norwegian
- nb  # Norwegian Bokmål
tags:
- norwegian
pipeline_tag: text-generation
license: llama3.1
---

## Model Card: nb-llama-3.1-8B-Instruct
The model was trained and documentation written by Per Egil Kummervold.
"""


# --- split and join -----------------------------------------------------------------------------


def test_split_returns_the_yaml_between_the_fences_and_the_body() -> None:
    assert frontmatter.split("---\na: 1\n---\nbody\n") == ("a: 1", "body\n")
    assert frontmatter.split("---\r\na: 1\r\n---  \r\nbody") == ("a: 1", "body")
    assert frontmatter.split("\n  ---\na: 1\n---") == ("a: 1", "")


def test_split_without_front_matter_returns_none_and_the_whole_text() -> None:
    assert frontmatter.split("# Title\n---\na: 1\n---\n") == (None, "# Title\n---\na: 1\n---\n")
    assert frontmatter.split("---\n---\nbody") == (None, "---\n---\nbody")  # as the Hub reads it


def test_split_stops_at_the_first_closing_fence() -> None:
    assert frontmatter.split("---\na: 1\n---\nbody\n---\nmore\n") == ("a: 1", "body\n---\nmore\n")


def test_join_puts_the_yaml_between_fences() -> None:
    assert frontmatter.join("a: 1\n", "body\n") == "---\na: 1\n---\nbody\n"
    assert frontmatter.join("a: 1", "body\n") == "---\na: 1\n---\nbody\n"
    assert frontmatter.join(None, "body\n") == "body\n"
    assert frontmatter.join("", "body\n") == "---\n{}\n---\nbody\n"


def test_split_and_join_round_trip() -> None:
    yaml_text, body = frontmatter.split(CANONICAL)
    assert yaml_text is not None
    assert frontmatter.join(yaml_text, body) == CANONICAL


# --- the canonical layout -------------------------------------------------------------------------


def test_a_live_card_comes_out_canonical() -> None:
    assert frontmatter.canonicalize(LIVE_CARD, "README.md") == CANONICAL


def test_canonical_is_a_fixed_point() -> None:
    assert frontmatter.canonicalize(CANONICAL, "README.md") == CANONICAL


def test_norway_is_quoted_and_pyyaml_reads_a_string() -> None:
    yaml_text, _ = frontmatter.split(frontmatter.canonicalize(LIVE_CARD, "README.md"))
    assert yaml_text is not None
    assert yaml.safe_load(yaml_text)["language"] == ["no", "nb"]
    assert frontmatter.load(yaml_text)["language"] == ["no", "nb"]


@pytest.mark.parametrize(
    ("written", "canonical"),
    [
        ("no", '"no"'),
        ("No", '"No"'),
        ("NO", '"NO"'),
        ("yes", '"yes"'),
        ("Yes", '"Yes"'),
        ("ON", '"ON"'),
        ("off", '"off"'),
        ("'true'", '"true"'),
        ("'False'", '"False"'),
        ("'~'", '"~"'),
        ("'null'", '"null"'),
        ("'0o7'", '"0o7"'),
        ("'012'", '"012"'),
        ("1:30", '"1:30"'),
        ("'1e3'", '"1e3"'),
        ("''", '""'),
        ("' x'", "' x'"),
        ("'='", '"="'),
        ("y", "y"),  # a string in both YAML 1.1 and 1.2 (docs/hub-http-api.md §6)
        ("n", "n"),
        ('"nb"', "nb"),  # quotes nobody needs are dropped
        ("'llama3.1'", "llama3.1"),
    ],
)
def test_strings_that_a_dialect_would_read_otherwise_are_double_quoted(
    written: str, canonical: str
) -> None:
    card = f"---\nkey: {written}\nlist:\n- {written}\n---\n"
    expected = f"---\nkey: {canonical}\nlist:\n- {canonical}\n---\n"
    assert frontmatter.canonicalize(card, "README.md") == expected


def test_numbers_and_booleans_get_their_plain_form() -> None:
    card = "---\na: 0o7\nb: 1e3\nc: true\nd: TRUE\ne: 12\nf: ~\ng: 1.50\n---\n"
    assert frontmatter.canonicalize(card, "c.md") == (
        "---\na: 7\nb: 1000.0\nc: true\nd: true\ne: 12\nf:\ng: 1.5\n---\n"
    )


def test_keys_are_quoted_too() -> None:
    card = "---\non: push\nyes: 1\nname: x\n---\n"
    out = frontmatter.canonicalize(card, "c.md")
    assert out == '---\n"on": push\n"yes": 1\nname: x\n---\n'
    yaml_text, _ = frontmatter.split(out)
    assert yaml.safe_load(yaml_text or "") == {"on": "push", "yes": 1, "name": "x"}


def test_comments_and_key_order_are_kept() -> None:
    card = (
        "---\n# The Hub reads these\nlicense: llama3.1   # Meta\n"
        "language:\n- en\n# Norwegian next\n- no   # Generic Norwegian\n"
        "base_model: meta-llama/Llama-3.1-8B\n---\nbody\n"
    )
    assert frontmatter.canonicalize(card, "c.md") == (
        "---\n# The Hub reads these\nlicense: llama3.1  # Meta\n"
        'language:\n- en\n# Norwegian next\n- "no"  # Generic Norwegian\n'
        "base_model: meta-llama/Llama-3.1-8B\n---\nbody\n"
    )


def test_layout_block_style_indentation_and_no_wrapping() -> None:
    long = "word " * 60 + "end"
    card = f"---\ntags: [a, b]\nnested:\n    deep:\n        - x\ndescription: {long}\n---\n"
    assert frontmatter.canonicalize(card, "c.md") == (
        f"---\ntags:\n- a\n- b\nnested:\n  deep:\n  - x\ndescription: {long}\n---\n"
    )


def test_line_ends_and_trailing_newlines_are_normalised() -> None:
    card = "\r\n---\r\na: x\r\n---   \r\nbody\r\nmore \r\n\r\n\r\n"
    assert frontmatter.canonicalize(card, "c.md") == "---\na: x\n---\nbody\nmore\n"
    assert frontmatter.canonicalize("no front matter", "c.md") == "no front matter\n"


def test_empty_front_matter_becomes_an_empty_mapping() -> None:
    assert frontmatter.canonicalize("---\n\n---\nbody", "c.md") == "---\n{}\n---\nbody\n"


def test_dump_writes_plain_data_canonically() -> None:
    data = {"language": ["no", "nb"], "license": "llama3.1", "x": None, "n": 3}
    assert frontmatter.dump(data) == (
        '---\nlanguage:\n- "no"\n- nb\nlicense: llama3.1\nx:\nn: 3\n'.removeprefix("---\n")
    )
    assert frontmatter.dump({}) == "{}\n"
    assert frontmatter.load(frontmatter.dump(data)) == data


def test_dump_refuses_what_is_not_a_mapping() -> None:
    with pytest.raises(TypeError, match="mapping"):
        frontmatter.dump(["a"])  # type: ignore[arg-type]


def test_load_reads_yaml_1_2_as_plain_python() -> None:
    data = frontmatter.load("a: no\nb: [1, yes]\nc: 0o7\n")
    assert data == {"a": "no", "b": [1, "yes"], "c": 7}
    assert type(data) is dict and type(data["b"]) is list


# --- agreement ------------------------------------------------------------------------------------


def test_disagreements_are_reported_with_key_path_and_line() -> None:
    yaml_text = "language:\n- en\n- no  # Generic Norwegian\nextra:\n  when: 1:30\nok: 'no'\n"
    problems = frontmatter.agreement_problems(yaml_text, "cards/x.md")
    assert [(p.key_path, p.line) for p in problems] == [("language[1]", 4), ("extra.when", 6)]
    first = problems[0]
    assert first.file == "cards/x.md"
    assert first.message == "YAML 1.1 reads 'no' as False but YAML 1.2 reads it as 'no'"
    assert first.hint == "quote the value"
    assert "1:30" in problems[1].message and "90" in problems[1].message


def test_a_key_disagreement_is_reported_as_a_key() -> None:
    problems = frontmatter.agreement_problems("on: push\n", "c.md", line_offset=0)
    assert len(problems) == 1
    assert problems[0].key_path == "on"
    assert problems[0].line == 1
    assert problems[0].hint == "quote the key"


def test_a_value_only_yaml_1_2_reads_as_a_number_is_reported() -> None:
    problems = frontmatter.agreement_problems("mode: 0o7\n", "c.md")
    assert [p.key_path for p in problems] == ["mode"]
    assert "as a string but YAML 1.2 reads it as 7" in problems[0].message


def test_yaml_that_cannot_be_constructed_is_reported() -> None:
    problems = frontmatter.agreement_problems("a: =\n", "c.md")  # the YAML 1.1 `value` tag
    assert len(problems) == 1
    assert "tag:yaml.org,2002:value" in problems[0].message


def test_agreeing_yaml_has_no_problems() -> None:
    assert frontmatter.agreement_problems(frontmatter.split(CANONICAL)[0] or "", "c.md") == []


# --- errors ---------------------------------------------------------------------------------------


def test_a_yaml_syntax_error_is_located_in_the_card() -> None:
    card = "\n---\nlanguage:\n- nb\nlicense: [llama3.1\ntags: x\n---\nbody\n"
    with pytest.raises(CardError) as caught:
        frontmatter.canonicalize(card, "cards/out/nb-llama.md")
    (problem,) = caught.value.problems
    assert problem.file == "cards/out/nb-llama.md"
    assert problem.line is not None and 5 <= problem.line <= 7
    assert problem.message.startswith("YAML syntax error:")
    assert "cards/out/nb-llama.md:" in str(caught.value)


def test_a_tab_indentation_error_names_its_line() -> None:
    card = "---\na: 1\nb:\n\t- x\n---\n"
    with pytest.raises(CardError) as caught:
        frontmatter.canonicalize(card, "c.md")
    assert caught.value.problems[0].line == 4


def test_front_matter_that_is_not_a_mapping_is_refused() -> None:
    with pytest.raises(CardError, match="not a mapping"):
        frontmatter.canonicalize("---\n- a\n- b\n---\n", "c.md")


def test_canonicalize_refuses_what_it_cannot_make_agree() -> None:
    card = "---\na: 1\nb: 2\na: 3\n---\n"  # a duplicate key: ruamel refuses, PyYAML keeps the last
    with pytest.raises(CardError):
        frontmatter.canonicalize(card, "c.md")


def test_load_reports_a_syntax_error_as_a_card_error() -> None:
    with pytest.raises(CardError, match="not valid YAML"):
        frontmatter.load("a: [1\n", card="c.md")


# --- anchors and aliases ------------------------------------------------------------------------

BOMB = "a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n" + "".join(
    f"{n}: &{n} [{', '.join([f'*{p}'] * 9)}]\n"
    for p, n in zip("abcdefghi", "bcdefghij", strict=True)
)


def test_an_alias_bomb_is_refused_by_every_reader_before_it_expands() -> None:
    card = "---\n" + BOMB + "---\nbody\n"
    with pytest.raises(CardError) as info:
        frontmatter.canonicalize(card, "X/README.md")
    (problem,) = info.value.problems
    assert (problem.file, problem.line, problem.column) == ("X/README.md", 2, 4)
    assert "the YAML anchor &a is not allowed" in problem.message
    assert "(90 more anchors or aliases follow)" in problem.message
    with pytest.raises(CardError):
        frontmatter.load(BOMB, card="X/README.md")
    (problem,) = frontmatter.agreement_problems(BOMB, "X/README.md")
    assert problem.line == 2


def test_anchor_and_alias_signs_inside_strings_are_fine() -> None:
    text = "---\ntags:\n- '&not-an-anchor'\n- '*not-an-alias'\n- a*b&c\n---\nbody\n"
    assert frontmatter.canonicalize(text, "X") == text


# --- one parse per dialect ----------------------------------------------------------------------


def test_a_canonical_front_matter_is_not_parsed_again_and_each_load_is_a_copy(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    card = "---\nlanguage:\n- no\ntags: [x, 'unique-4711']\nlicense: mit\n---\nbody\n"
    result = frontmatter.canonicalize(card, "X")
    yaml_text = frontmatter.split(result)[0]
    assert yaml_text is not None

    def no_second_parse() -> None:
        raise AssertionError("parsed again")

    monkeypatch.setattr(frontmatter, "_safe12", no_second_parse)
    first = frontmatter.load(yaml_text)
    assert first == {"language": ["no"], "tags": ["x", "unique-4711"], "license": "mit"}
    first["tags"].append("changed by a caller")
    assert frontmatter.load(yaml_text)["tags"] == ["x", "unique-4711"]
