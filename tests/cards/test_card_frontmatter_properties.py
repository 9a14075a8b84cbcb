"""Property: canonical front matter reads the same in YAML 1.1 and 1.2, and is a fixed point."""

from __future__ import annotations

from typing import Any

import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML

from pipeline import frontmatter

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
