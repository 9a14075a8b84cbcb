"""Metadata checks: the Hub's form, and huggingface_hub reading exactly the intended values."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import pytest

from pipeline.card import _carddata as carddata
from pipeline.card import frontmatter
from pipeline.card._metadata import check_metadata
from pipeline.errors import Problem
from tests.cards.card_context import KINDS, example, render_card

GOOD = """---
language:
- "no"  # Generic Norwegian
- nb  # Norwegian Bokmål
tags:
- norwegian
- llama
pipeline_tag: text-generation
license: llama3.1
base_model: meta-llama/Llama-3.1-8B
library_name: transformers
---
# Card
"""

EXPECTED: dict[str, object] = {
    "language": ("no", "nb"),
    "license": "llama3.1",
    "pipeline_tag": "text-generation",
    "base_model": "meta-llama/Llama-3.1-8B",
    "library_name": "transformers",
    "tags": ("norwegian",),
}


def check(content: str, **expected: Any) -> list[Problem]:
    return check_metadata("cards/x.md", content, expected={**EXPECTED, **expected})


def paths(problems: list[Problem]) -> list[str | None]:
    return [p.key_path for p in problems]


def test_a_good_card_has_no_problems() -> None:
    assert check(GOOD) == []


@pytest.mark.parametrize("kind", KINDS)
def test_every_rendered_kind_passes_with_its_manifest_values(kind: str) -> None:
    model = example(kind)
    content = frontmatter.canonicalize(render_card(kind), f"{kind}.md")
    expected: dict[str, object] = {
        "language": model.languages,
        "license": model.license,
        "pipeline_tag": model.pipeline_tag,
        "base_model": model.base_model,
        "tags": model.tags,
    }
    if model.library_name:
        expected["library_name"] = model.library_name
    assert check_metadata(f"{kind}.md", content, expected=expected) == []


def test_the_norway_problem_is_caught_end_to_end() -> None:
    content = GOOD.replace('- "no"', "- no")
    problems = check(content)
    assert len(problems) == 1
    (problem,) = problems
    assert problem.file == "cards/x.md"
    assert problem.key_path == "language[0]"
    assert problem.line == 3
    assert "huggingface_hub" in problem.message
    assert "False (bool)" in problem.message and "'no'" in problem.message


def test_an_unrendered_raw_template_fails_on_norway() -> None:
    # A card written by hand the way the live cards are: `- no  # Generic Norwegian`, unquoted.
    content = render_card("base").replace('- "no"  #', "- no  #")
    model = example("base")
    problems = check_metadata("base.md", content, expected={"language": model.languages})
    assert paths(problems) == ["language[0]"]


def test_a_wrong_value_is_named_with_what_was_found_and_expected() -> None:
    problems = check(GOOD, license="llama3.2")
    assert len(problems) == 1
    assert problems[0].key_path == "license"
    assert problems[0].message == "the card says 'llama3.1'; expected 'llama3.2'"
    assert problems[0].line == 9


def test_an_unknown_license_and_task_get_near_miss_hints() -> None:
    content = GOOD.replace("license: llama3.1", "license: llama-3.1").replace(
        "pipeline_tag: text-generation", "pipeline_tag: text-generaton"
    )
    problems = check_metadata("c.md", content, expected={})
    by_path = {p.key_path: p for p in problems}
    assert by_path["license"].hint == "did you mean 'llama3.1'?"
    assert by_path["pipeline_tag"].hint == "did you mean 'text-generation'?"
    assert "expected a Hub license id" in by_path["license"].message


def test_bad_language_codes_are_reported_per_item() -> None:
    content = GOOD.replace("- nb  # Norwegian Bokmål", "- Norwegian\n- nb\n- nb")
    problems = check_metadata("c.md", content, expected={})
    assert paths(problems) == ["language[1]", "language[3]"]
    assert "language code" in problems[0].message
    assert "listed twice" in problems[1].message


def test_language_must_be_a_list() -> None:
    language = 'language:\n- "no"  # Generic Norwegian\n- nb  # Norwegian Bokmål'
    problems = check_metadata("c.md", GOOD.replace(language, "language: nb"), expected={})
    assert paths(problems) == ["language"]


def test_a_display_name_as_base_model_is_refused() -> None:
    content = GOOD.replace("base_model: meta-llama/Llama-3.1-8B", 'base_model: "NB-Llama-3.2-1B"')
    problems = check_metadata("c.md", content, expected={})
    assert paths(problems) == ["base_model"]
    assert "namespace/name" in problems[0].message


def test_base_model_may_be_a_list_of_repo_ids() -> None:
    content = GOOD.replace("base_model: meta-llama/Llama-3.1-8B", "base_model:\n- a/b\n- bad id")
    problems = check_metadata("c.md", content, expected={})
    assert paths(problems) == ["base_model[1]"]


def test_a_derived_variant_must_have_its_base_model() -> None:
    content = GOOD.replace("base_model: meta-llama/Llama-3.1-8B\n", "")
    problems = check(content)
    assert paths(problems) == ["base_model"]
    assert problems[0].message == "missing; expected 'meta-llama/Llama-3.1-8B'"


def test_required_keys_are_reported_when_missing() -> None:
    problems = check_metadata("c.md", "---\nlicense: mit\n---\n", expected={})
    assert paths(problems) == ["language", "pipeline_tag", "tags"]


def test_tags_and_library_name_must_be_tokens() -> None:
    content = GOOD.replace("- llama", "- two words\n- yes").replace(
        "library_name: transformers", "library_name: 'a,b'"
    )
    problems = check_metadata("c.md", content, expected={})
    assert paths(problems) == ["library_name", "tags[1]"]  # `yes` is a string in YAML 1.2


@pytest.mark.parametrize("library", ["made-up-lib", "Transformers"])
def test_library_name_must_be_one_the_hub_lists(library: str) -> None:
    content = GOOD.replace("library_name: transformers", f"library_name: {library}")
    problems = check_metadata("c.md", content, expected={})
    assert [(p.key_path, p.line, p.message) for p in problems] == [
        ("library_name", 11, f"found {library!r}; expected a Hub library id")
    ]
    assert problems[0].hint == (
        "did you mean 'transformers'?" if library == "Transformers" else None
    )


def test_a_license_of_the_hubs_table_passes() -> None:
    for license_id in ("grok2-community", "openmdw-1.0", "openmdw-1.1"):
        content = GOOD.replace("license: llama3.1", f"license: {license_id}")
        assert check_metadata("c.md", content, expected={}) == []


def test_expected_tags_must_all_be_read_as_strings() -> None:
    content = GOOD.replace("- llama", "- yes")
    problems = check(content, tags=("norwegian", "yes"))
    assert paths(problems) == ["tags[1]"]  # PyYAML reads True
    assert "does not read the tag 'yes'" in problems[0].message
    assert problems[0].line == 7
    assert paths(check(GOOD, tags=("norwegian", "gguf"))) == ["tags"]
    assert check(GOOD, tags=("llama",)) == []  # the template may add tags of its own


def test_license_other_needs_a_name_and_link() -> None:
    content = GOOD.replace("license: llama3.1", "license: other")
    problems = check_metadata("c.md", content, expected={})
    assert paths(problems) == ["license_name", "license_link"]


def test_a_card_without_front_matter() -> None:
    problems = check_metadata("c.md", "# Just a body\n", expected=EXPECTED)
    assert len(problems) == 1 and "no front matter" in problems[0].message


def test_broken_yaml_is_located() -> None:
    problems = check_metadata("c.md", "---\na: 1\nb: [x\n---\nbody\n", expected={})
    assert len(problems) == 1
    assert problems[0].message.startswith("YAML syntax error")
    assert problems[0].line is not None and problems[0].line >= 3


def test_front_matter_that_is_not_a_mapping() -> None:
    problems = check_metadata("c.md", "---\n- a\n---\nbody\n", expected={})
    assert len(problems) == 1 and "not a mapping" in problems[0].message


def test_a_number_where_a_string_is_expected_is_caught() -> None:
    content = GOOD.replace("license: llama3.1", "license: 0o7")
    problems = check(content, license="0o7")
    assert paths(problems)[-1] == "license"
    assert "7 (int)" in problems[-1].message


def test_base_model_relation_must_be_one_the_hub_knows() -> None:
    quantized = GOOD.replace("library_name:", "base_model_relation: quantized\nlibrary_name:")
    assert check(quantized) == []
    wrong = GOOD.replace("library_name:", "base_model_relation: quantised\nlibrary_name:")
    problems = check(wrong)
    assert paths(problems) == ["base_model_relation"]
    assert problems[0].hint == "did you mean 'quantized'?"
    orphan = "---\nlanguage:\n- nb\ntags:\n- x\npipeline_tag: text-generation\n"
    orphan += "license: mit\nbase_model_relation: quantized\n---\n"
    assert paths(check_metadata("c.md", orphan, expected={})) == ["base_model_relation"]


# --- huggingface_hub's reading, without huggingface_hub -------------------------------------------

CLIENT_CASES = [
    GOOD,
    "---\nlanguage:\n- no\n- nb\ntags: llama\nlicense: mit\n---\nbody\n",  # Norway; one tag
    "---\ntags:\n- a\n- a\n- b\nlicense:\nbase_model: [x/y, z/w]\n---\n",  # repeats; a None
    "---\n---\nno front matter\n",
    "# no front matter at all\n",
    "---\n{}\n---\nbody\n",
    "---\nversion: 1.10\nok: yes\ndate: 2024-05-01\nn: 0o17\n---\n",
    "---\nmodel-index:\nlicense: apache-2.0\n---\n",
]


@pytest.mark.parametrize("content", CLIENT_CASES)
def test_client_card_data_is_what_huggingface_hubs_model_card_reads(content: str) -> None:
    from huggingface_hub import ModelCard

    card = ModelCard(content, ignore_metadata_errors=True)
    # reason: CardData.to_dict has no annotations in huggingface_hub
    expected = card.data.to_dict()  # type: ignore[no-untyped-call]
    assert carddata.client_card_data(content) == expected


@pytest.mark.parametrize(
    "content", ["---\n- a\n- b\n---\n", "---\non: yes\n---\n", "---\na: [b\n---\n"]
)
def test_client_card_data_refuses_what_model_card_refuses(content: str) -> None:
    from huggingface_hub import ModelCard

    with pytest.raises(Exception) as theirs:
        ModelCard(content, ignore_metadata_errors=True)
    with pytest.raises(Exception) as ours:
        carddata.client_card_data(content)
    assert isinstance(ours.value, type(theirs.value)) or isinstance(theirs.value, type(ours.value))


def test_rendering_imports_neither_the_hub_client_nor_the_local_hub() -> None:
    code = (
        "import sys, pipeline.card.render, pipeline.card._metadata, pipeline.card.frontmatter\n"
        "clients = ('huggingface_hub', 'httpx', 'httpx2')\n"
        "hub = ('pipeline.hub.client', 'pipeline.localhub')\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in clients\n"
        "             or m in hub or m.startswith('pipeline.localhub.'))\n"
        "print(bad)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"
