"""The card templates: every kind renders, says what its kind must say, and nothing else."""

from __future__ import annotations

import re
from dataclasses import fields, replace
from types import SimpleNamespace
from typing import Any

import jinja2
import pytest
import yaml
from jinja2.sandbox import ImmutableSandboxedEnvironment

from pipeline.card import frontmatter
from pipeline.card._metadata import check_metadata
from pipeline.card.render import yaml_string
from tests.cards.card_context import (
    CARDS,
    KINDS,
    MANIFEST,
    context,
    example,
    make_env,
    parent_of,
    render_card,
    variant,
)

INSTRUCT_PARAGRAPH = "The Instruct-model is trained using Supervised FineTuning (SFT) and then"


def card_data(kind: str) -> dict[str, Any]:
    text = frontmatter.canonicalize(render_card(kind), f"{kind}.md")
    yaml_text, _ = frontmatter.split(text)
    assert yaml_text is not None
    data = yaml.safe_load(yaml_text)  # YAML 1.1, as huggingface_hub reads it
    assert isinstance(data, dict)
    return data


@pytest.mark.parametrize("kind", KINDS)
def test_every_kind_renders_a_card_with_the_hub_metadata(kind: str) -> None:
    model = example(kind)
    data = card_data(kind)
    assert data["language"] == list(model.languages)
    assert data["license"] == model.license
    assert data["pipeline_tag"] == "text-generation"
    assert data["base_model"] == model.base_model
    assert isinstance(data["tags"], list)
    assert set(model.tags) <= set(data["tags"])


@pytest.mark.parametrize("kind", KINDS)
def test_every_card_is_tidy(kind: str) -> None:
    text = render_card(kind)
    assert text.startswith("---\nlanguage:\n")  # no empty line after the opening fence
    assert text.endswith((".\n", "```\n")) and not text.endswith("\n\n")
    assert not [line for line in text.splitlines() if line != line.rstrip()], "trailing spaces"
    assert "\n\n\n" not in text
    assert "{{" not in text and "{%" not in text
    canonical = frontmatter.canonicalize(text, kind)
    assert frontmatter.canonicalize(canonical, kind) == canonical
    assert '- "no"  # Generic Norwegian' in canonical


@pytest.mark.parametrize("kind", KINDS)
def test_license_links_use_metas_underscore_paths(kind: str) -> None:
    model = example(kind)
    flat = model.llama_version.replace(".", "_")
    text = render_card(kind)
    assert (
        f"https://github.com/meta-llama/llama-models/blob/main/models/llama{flat}/LICENSE" in text
    )
    assert f"https://llama.meta.com/llama{flat}/use-policy" in text
    assert not re.search(r"models/llama\d\.\d", text)
    assert not re.search(r"llama\.meta\.com/llama\d\.\d", text)


@pytest.mark.parametrize("kind", KINDS)
def test_the_seed_typos_are_fixed(kind: str) -> None:
    text = render_card(kind)
    for typo in ("tht ", "intented", "experiemental", "undertstanding", "Optimalisation"):
        assert typo not in text


def test_the_instruct_paragraph_is_only_in_instruct_cards() -> None:
    for kind in KINDS:
        text = render_card(kind)
        assert (INSTRUCT_PARAGRAPH in text) == (kind == "instruct"), kind
    instruct = render_card("instruct")
    assert "[Magpie](https://huggingface.co/Magpie-Align)" in instruct
    assert "https://huggingface.co/datasets/Anthropic/hh-rlhf" in instruct
    assert "a decent understanding of a chat template." in instruct


def test_the_base_card_says_continued_pre_training_and_names_its_sources() -> None:
    text = render_card("base")
    assert "continued pre-training" in text
    assert (
        "trained on top of [Llama-3.1-8B](https://huggingface.co/meta-llama/Llama-3.1-8B)" in text
    )
    for source in ("CulturaX", "HPLT", "Norwegian Colossal Corpus", "Wikipedia", "nb-bert-base"):
        assert source in text
    assert "For SFT and DPO" not in text


def test_the_sft_card_says_sft_only_and_names_pretraining_and_data_selection() -> None:
    text = render_card("sft")
    assert "Supervised FineTuning (SFT) only" in text
    assert "not aligned" in text and "further fine-tuning" in text
    assert (
        "trained on top of [nb-llama-3.1-8B](https://huggingface.co/NbAiLab/nb-llama-3.1-8B)"
        in text
    )
    for source in ("CulturaX", "HPLT", "Norwegian Colossal Corpus", "Wikipedia"):
        assert source in text
    assert "[nb-bert-base](https://huggingface.co/NbAiLab/nb-bert-base)" in text
    assert "FineWeb" in text
    assert "hh-rlhf" not in text  # no DPO in an sft model


def test_the_notram_card_targets_bokmal_nynorsk_and_english_only() -> None:
    text = render_card("notram")
    data = card_data("notram")
    assert data["language"] == ["no", "nb", "nn", "en"]
    assert "(sv)" not in text and "(da)" not in text
    assert "Partial support" not in text and "partial support" not in text
    assert "very light Direct Preference Optimization (DPO)" in text
    assert "concise answers" in text
    assert data["library_name"] == "transformers"
    assert data["base_model"] == "meta-llama/Llama-3.1-8B-Instruct"
    assert {"llama", "notram", "conversational"} <= set(data["tags"])


def canonical(text: str) -> str:
    return frontmatter.canonicalize(text, "card")


def test_the_gguf_card_links_its_parent_and_names_its_file() -> None:
    model = example("gguf")
    parent = parent_of(model)
    assert parent is not None
    text = render_card("gguf")
    data = card_data("gguf")
    link = f"[{parent.display_name}](https://huggingface.co/{parent.repo_id})"
    assert link in text
    assert data["base_model"] == parent.repo_id
    assert f"`{model.gguf_file}`" in text
    assert f"--hf-repo {model.repo_id} --hf-file {model.gguf_file}" in text
    assert "llama-cli " in text and "llama-server " in text
    assert "### What is llama.cpp?" in text and "### Installation" in text
    assert "### Benefits" in text and "### Links" in text
    assert "Q4_K_M" in text and "modest hardware" in text
    assert {"llama-cpp", "gguf", "quantization"} <= set(data["tags"])
    assert INSTRUCT_PARAGRAPH not in text and "from transformers import" not in text


def test_tags_are_written_once_in_the_manifests_order() -> None:
    model = example("gguf")
    text = canonical(render_card("gguf", model=replace(model, tags=("gguf", *model.tags))))
    assert text.count("\n- gguf\n") == 1
    assert "tags:\n- gguf\n- norwegian\n" in text


def test_the_language_list_comes_from_the_model_with_comments() -> None:
    changed = replace(example("base"), languages=("nb", "se"))
    text = canonical(render_card("base", model=changed))
    assert "language:\n- nb  # Norwegian Bokmål\n- se  # Northern Sami\ntags:" in text
    assert "Partial support: Northern Sami (se)." in text


def test_a_missing_variable_fails_under_strict_undefined() -> None:
    model = example("instruct")
    # The variant's values but one, as a namespace: a Variant cannot lack a field.
    bare = SimpleNamespace(
        **{f.name: getattr(model, f.name) for f in fields(model) if f.name != "knowledge_cutoff"}
    )
    template = make_env().get_template(model.template)
    with pytest.raises(jinja2.UndefinedError, match="knowledge_cutoff"):
        template.render({**context(model), "model": bare})
    ctx = context(model)
    del ctx["use_policy_url"]
    with pytest.raises(jinja2.UndefinedError, match="use_policy_url"):
        template.render(ctx)


@pytest.mark.parametrize("repo_id", [v.repo_id for v in MANIFEST.variants])
def test_every_card_of_the_release_set_renders_canonical_and_valid(repo_id: str) -> None:
    model = variant(repo_id)
    parent = parent_of(model)
    assert (parent is None) == model.base_model.startswith("meta-llama/")
    raw = make_env().get_template(model.template).render(context(model))
    card = frontmatter.canonicalize(raw, f"{repo_id}/README.md")
    expected = {
        "language": model.languages,
        "license": model.license,
        "pipeline_tag": model.pipeline_tag,
        "base_model": model.base_model,
        "tags": model.tags,
    }
    assert check_metadata(repo_id, card, expected=expected) == []
    flat = model.llama_version.replace(".", "_")
    assert f"models/llama{flat}/LICENSE" in card
    assert f"**Parameters**: {model.parameters}." in card
    if parent is not None:
        assert f"[{parent.display_name}](https://huggingface.co/{parent.repo_id})" in card


@pytest.mark.parametrize("kind", KINDS)
def test_the_templates_work_in_a_sandbox(kind: str) -> None:
    model = example(kind)
    env = ImmutableSandboxedEnvironment(
        loader=jinja2.FileSystemLoader(CARDS),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        autoescape=False,
    )
    env.filters["yaml_string"] = yaml_string
    for name in ("yaml_flow", "bibtex", "bibtex_key"):
        env.filters[name] = make_env().filters[name]
    assert env.get_template(model.template).render(context(model)) == render_card(kind)


# --- each card true to its kind ---------------------------------------------------------------


def _code_blocks(text: str) -> str:
    return "\n".join(re.findall(r"```[a-z]*\n(.*?)```", text, flags=re.S))


@pytest.mark.parametrize("kind", ["base", "sft"])
def test_models_without_a_chat_template_show_plain_text_completion(kind: str) -> None:
    text = render_card(kind)
    code = _code_blocks(text)
    assert "messages" not in code and '"role"' not in code
    assert 'prompt = "' in code and "max_new_tokens=256" in code
    assert 'print(outputs[0]["generated_text"])' in code
    assert "Dialogue systems" not in text


@pytest.mark.parametrize("kind", ["instruct", "notram"])
def test_chat_models_show_chat_messages_and_dialogue(kind: str) -> None:
    text = render_card(kind)
    assert '{"role": "user", "content": "Hvem er du?"}' in _code_blocks(text)
    assert "- Dialogue systems." in text


ARCHITECTURE = {
    "base": "pre-trained only: it has had neither supervised fine-tuning nor preference alignment.",
    "sft": "tuned with supervised fine-tuning (SFT) only, with no preference optimization.",
    "instruct": "tuned with supervised fine-tuning (SFT) and then Direct Preference Optimization",
    "notram": "tuned mostly with supervised fine-tuning (SFT), followed by a light Direct",
}


@pytest.mark.parametrize("kind", sorted(ARCHITECTURE))
def test_the_architecture_bullet_says_what_this_model_is(kind: str) -> None:
    bullet = next(
        line for line in render_card(kind).splitlines() if line.startswith("- **Architecture**")
    )
    assert ARCHITECTURE[kind] in bullet
    assert "The tuned versions" not in bullet


@pytest.mark.parametrize("kind", KINDS)
def test_no_seed_wording_that_is_wrong_for_some_kind(kind: str) -> None:
    text = render_card(kind)
    assert ("fine-tuned specifically" in text) == (kind in ("sft", "instruct", "notram"))
    assert "Anthropics" not in text
    assert "are to investigate" not in text
    assert "for more details on the pretraining data" not in text


def test_a_base_card_claims_no_synthetic_data() -> None:
    text = render_card("base")
    assert "synthetic" not in text
    assert "- **Training Data**: Publicly available multilingual datasets, focusing on" in text
    assert "was adapted through continued pre-training to support" in text


def test_notram_names_only_its_own_languages_and_no_datasets() -> None:
    text = render_card("notram")
    for said in (
        "focusing on Norwegian and English sources",
        "expressed in English, open sources in this language are included",
        "knowledge sources in Norwegian and English.",
    ):
        assert said in text
    prose = text.replace("Swedish and Danish are not targets of this line", "")
    assert "Swedish" not in prose and "Danish" not in prose
    assert "Magpie" not in text and "hh-rlhf" not in text  # its datasets are not documented


def test_the_collection_link_is_used_and_dropped_when_the_manifest_has_none() -> None:
    collection = "https://huggingface.co/collections/NbAiLab/nb-llama-3x-67472f8ad87d8a30c5a6ecb5"
    for kind in KINDS:
        assert collection in render_card(kind), kind
        assert "collection" not in render_card(kind, links={}).split("\n---\n", 1)[1], kind


def test_a_gguf_card_is_filed_as_a_quantization_with_the_gguf_library() -> None:
    data = card_data("gguf")
    assert data["base_model_relation"] == "quantized"
    assert data["library_name"] == "gguf"
    assert data["language"] == ["no", "nb", "nn", "en"]  # its NoTraM parent's


def test_a_gguf_card_of_a_base_model_continues_text_instead_of_chatting() -> None:
    parent = parent_of(example("gguf"))
    assert parent is not None
    text = render_card("gguf", parent=replace(parent, kind="base"))
    assert '-no-cnv -n 128 -p "Norges høyeste fjell er"' in text
    assert '-p "Hvem er du?"' in render_card("gguf")
