"""Property: canonical front matter reads the same in YAML 1.1 and 1.2, and is a fixed point."""

from __future__ import annotations

from typing import Any

import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML

from pipeline.card import frontmatter

# Scalars that YAML 1.1, YAML 1.2 or both read as something other than the string written.
TRICKY = [
    "no", "No", "NO", "yes", "Yes", "YES", "on", "On", "ON", "off", "Off", "OFF", "y", "Y", "n",
    "N", "true", "True", "TRUE", "false", "False", "FALSE", "0o7", "0o17", "1:30", "-1:30:00",
    "190:20:30", "~", "null", "Null", "NULL", "012", "0x1F", "0b101", "1_000", "1e3", "1E3",
    "-1.5e-3", ".5", "1.", ".inf", "-.Inf", ".nan", "+1", "-0", "2024-05-01",
    "2001-12-14t21:59:43.10-05:00", "", " x", "x ", "=", "<<", "#", "- a", "a: b", "a #b", "'",
    '"', "@x", "`x", "%x", "!x", "&x", "*x", "|", ">", "?", "? x", "[x]", "{x}", "x,y", "\\",
    "\t", "a\nb", "a\n\nb", "\n", "\u2028", "\x85", "bokmål", "llama3.1", "NbAiLab/nb-llama",
]  # fmt: skip

scalars = st.one_of(st.sampled_from(TRICKY), st.text(max_size=12))
values = st.one_of(scalars, st.lists(scalars, max_size=4))
keys = st.one_of(st.sampled_from(TRICKY), st.text(min_size=1, max_size=8))
documents = st.dictionaries(keys, values, max_size=6)


def _ruamel12(text: str) -> Any:
    return YAML(typ="safe", pure=True).load(text)


@settings(max_examples=300, deadline=None)
@given(documents)
def test_canonical_yaml_reads_the_same_in_yaml_1_1_and_1_2(data: dict[str, Any]) -> None:
    text = frontmatter.dump(data)
    expected = data or {}
    assert yaml.safe_load(text) == expected
    assert _ruamel12(text) == expected
    assert frontmatter.agreement_problems(text, "property.md") == []


@settings(max_examples=200, deadline=None)
@given(documents, st.text(alphabet=st.characters(exclude_characters="\r"), max_size=40))
def test_canonicalize_is_idempotent(data: dict[str, Any], body: str) -> None:
    card = frontmatter.join(frontmatter.dump(data), body)
    once = frontmatter.canonicalize(card, "property.md")
    assert frontmatter.canonicalize(once, "property.md") == once
    yaml_text, _ = frontmatter.split(once)
    assert yaml.safe_load(yaml_text or "") == (data or {})


# --- the line-by-line canonical layout of simple front matter ------------------------------------

WORDS = [
    *TRICKY,
    "nb",
    "text-generation",
    "meta-llama/Llama-3.1-8B",
    "Q4_K_M",
    "a+b",
    "x.",
    "1B",
    "3.1",
    "nb-llama-3.1-8B",
    "Ωmega",
    "a b",
    "é",
]
SAFE_WORDS = ["nb", "en", "text-generation", "meta-llama/Llama-3.1-8B", "Q4_K_M", "bokmål", "x."]
# (text, double-quoted): half of them words that are simple written plain
simple_values = st.tuples(
    st.one_of(st.sampled_from(SAFE_WORDS), st.sampled_from(WORDS)), st.booleans()
)
comments = st.one_of(
    st.none(), st.tuples(st.integers(1, 4), st.sampled_from(["#", "# a", "#x y", "# Bokmål  z"]))
)


def _value(value: tuple[str, bool]) -> str:
    text, quoted = value
    return f'"{text}"' if quoted else text


def _comment(comment: tuple[int, str] | None) -> str:
    return "" if comment is None else " " * comment[0] + comment[1]


@st.composite
def simple_front_matter(draw: st.DrawFn) -> str:
    lines: list[str] = []
    names = ["language", "tags", "license", "a-b", "x_1", "é", "no", "on"]
    for key in draw(st.lists(st.sampled_from(names), min_size=1, max_size=5, unique=True)):
        if draw(st.booleans()):
            lines.append(f"{key}: {_value(draw(simple_values))}{_comment(draw(comments))}")
        else:
            lines.append(f"{key}:")
            for _ in range(draw(st.integers(0 if draw(st.booleans()) else 1, 3))):
                lines.append(f"- {_value(draw(simple_values))}{_comment(draw(comments))}")
    return "\n".join(lines)


def _round_trip_only(yaml_text: str) -> Any:
    simple = frontmatter._simple_canonical
    frontmatter._simple_canonical = lambda text: None  # type: ignore[assignment]
    try:
        return frontmatter._canonical_front_matter.__wrapped__(yaml_text)
    finally:
        frontmatter._simple_canonical = simple


@settings(max_examples=400, deadline=None)
@given(simple_front_matter())
def test_the_simple_layout_is_exactly_what_the_full_round_trip_writes(yaml_text: str) -> None:
    fast = frontmatter._simple_canonical(yaml_text)
    if fast is None:
        return  # not simple: the full round trip handles it
    slow = _round_trip_only(yaml_text)
    assert isinstance(slow, frontmatter._Canonical)
    assert fast.text == slow.text
    assert fast.reading == slow.reading
    assert slow.disagreements == ()
