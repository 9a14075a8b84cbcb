"""The card-text check: every rendered card of the shipped manifest keeps the rules of
card_text_rules.py (each card true to its own kind of model), and each rule catches the
contradiction it is written for."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from pipeline.card.render import render_all
from pipeline.manifest.model import Manifest, load_manifest
from tests.cards.card_context import CARDS
from tests.cards.card_text_rules import (
    Card,
    base_claims_tasks,
    chat_in_completion_models,
    chat_tags_inconsistent,
    citation_missing,
    datasets_disagree,
    details_promised_not_given,
    gguf_languages_differ_from_parent,
    gguf_not_filed_as_quantization,
    gguf_usage_does_not_run,
    instruct_points_to_base_pretraining,
    instruct_recommends_instruct,
    languages_disagree,
    notram_unexplained,
    preference_claims_in_completion_models,
    pretraining_pointers_outside_the_family,
    quantization_described_otherwise,
    quantized_versions_untrue,
    repeated_sentences,
    results_disagree,
    sft_template_unnamed,
    unused_links,
)

ROOT = CARDS.parent


def _shipped() -> tuple[Manifest, list[Card]]:
    manifest = load_manifest(ROOT / "models.toml")
    variants = {v.repo_id: v for v in manifest.variants}
    cards = [
        Card(c.repo_id, variants[c.repo_id].kind, variants[c.repo_id].base_model, c.content)
        for c in render_all(manifest, CARDS)
    ]
    return manifest, cards


MANIFEST, SHIPPED = _shipped()
TEMPLATES = sorted(CARDS.glob("*.j2"))

RULES: dict[str, Callable[[], list[str]]] = {
    "chat messages in a base or sft card's code": lambda: chat_in_completion_models(SHIPPED),
    "DPO or dialogue claimed by a base or sft card": lambda: preference_claims_in_completion_models(
        SHIPPED
    ),
    "text and front-matter languages disagree": lambda: languages_disagree(SHIPPED),
    "a GGUF card's languages differ from its parent's": lambda: gguf_languages_differ_from_parent(
        SHIPPED
    ),
    "a GGUF card not filed as a quantization": lambda: gguf_not_filed_as_quantization(SHIPPED),
    "a links entry no template uses": lambda: unused_links(MANIFEST.links, SHIPPED, TEMPLATES),
    "a sentence repeated across sections": lambda: repeated_sentences(SHIPPED),
    "pre-training data pointed at outside the family": lambda: (
        pretraining_pointers_outside_the_family(SHIPPED, "NbAiLab")
    ),
    "a base card claims tasks it is not tuned for": lambda: base_claims_tasks(SHIPPED),
    "a full-size card untrue of its GGUF variants": lambda: quantized_versions_untrue(SHIPPED),
    "an instruct card recommends instruct models": lambda: instruct_recommends_instruct(SHIPPED),
    "an instruct card points to the base models' pre-training": lambda: (
        instruct_points_to_base_pretraining(SHIPPED)
    ),
    "chat tags inconsistent across kinds": lambda: chat_tags_inconsistent(SHIPPED),
    "details promised below and not given": lambda: details_promised_not_given(SHIPPED),
    "NoTraM named but not explained": lambda: notram_unexplained(SHIPPED),
    "an sft card's chat template unnamed": lambda: sft_template_unnamed(SHIPPED),
    "GGUF usage that does not run as written": lambda: gguf_usage_does_not_run(SHIPPED),
    "a quantization described otherwise than the table": lambda: quantization_described_otherwise(
        SHIPPED
    ),
    "datasets and the data the card names disagree": lambda: datasets_disagree(SHIPPED),
    "no BibTeX citation": lambda: citation_missing(SHIPPED),
    "model-index and the results table disagree": lambda: results_disagree(SHIPPED),
}


def test_the_check_reads_every_card_of_the_release_set() -> None:
    assert len(SHIPPED) == 16
    assert {card.kind for card in SHIPPED} == {"base", "sft", "instruct", "notram", "gguf"}


@pytest.mark.parametrize("rule", sorted(RULES))
def test_every_shipped_card_keeps_the_rule(rule: str) -> None:
    findings = RULES[rule]()
    assert findings == [], f"{rule}:\n  " + "\n  ".join(findings)


# --- each rule fails on the contradiction it is written for ------------------------------------

FRONT = '---\nlanguage:\n- "no"\n- nb\n- en\ntags:\n- x\nlicense: llama3.1\n{extra}---\n'


def card(body: str, kind: str = "base", extra: str = "", **changes: str) -> Card:
    fields = {"repo_id": "NbAiLab/m", "base_model": "meta-llama/M", **changes}
    return Card(fields["repo_id"], kind, fields["base_model"], FRONT.format(extra=extra) + body)


def test_chat_messages_in_a_base_card_are_caught() -> None:
    chat = '```python\nmessages = [{"role": "user", "content": "Hei"}]\n```\n'
    assert chat_in_completion_models([card(chat)])
    assert chat_in_completion_models([card(chat, kind="sft")])
    assert not chat_in_completion_models([card(chat, kind="instruct")])
    assert not chat_in_completion_models([card('```python\nprompt = "Hei"\n```\n')])


def test_dpo_and_dialogue_claims_of_an_sft_card_are_caught() -> None:
    said = "The tuned versions use supervised fine-tuning (SFT) and DPO for alignment.\n"
    assert preference_claims_in_completion_models([card(said, kind="sft")])
    assert preference_claims_in_completion_models([card("- Dialogue systems.\n")])
    fine = "It is tuned with SFT only, with no DPO step.\n"
    assert not preference_claims_in_completion_models([card(fine, kind="sft")])


def test_languages_named_but_not_listed_are_caught() -> None:
    said = "Training focused on Norwegian, English, Swedish, and Danish sources.\n"
    findings = languages_disagree([card(said)])
    assert len(findings) == 2 and "Swedish" in findings[0] and "Danish" in findings[1]
    assert not languages_disagree([card("Training focused on Norwegian and English.\n")])


def test_a_negated_language_that_is_listed_is_caught() -> None:
    said = "It supports Bokmål and English only; English is not a target.\n"
    assert languages_disagree([card(said)])
    assert not languages_disagree([card("It supports Bokmål only; Swedish is not a target.\n")])


def test_a_languages_bullet_that_differs_from_the_front_matter_is_caught() -> None:
    bullet = "- **Languages**:\n  - Full support: Norwegian Bokmål (nb).\n"
    assert languages_disagree([card(bullet)])
    full = "- **Languages**:\n  - Full support: Norwegian Bokmål (nb), English (en).\n"
    assert not languages_disagree([card(full)])


def test_a_gguf_card_whose_languages_differ_from_its_parents_is_caught() -> None:
    parent = card("text\n", kind="notram", repo_id="NbAiLab/p")
    child = Card(
        "NbAiLab/p-GGUF", "gguf", "NbAiLab/p", parent.content.replace("- en\n", "- en\n- sv\n")
    )
    assert gguf_languages_differ_from_parent([parent, child])
    same = Card("NbAiLab/p-GGUF", "gguf", "NbAiLab/p", parent.content)
    assert not gguf_languages_differ_from_parent([parent, same])


def test_a_gguf_card_without_relation_or_library_is_caught() -> None:
    assert len(gguf_not_filed_as_quantization([card("x\n", kind="gguf")])) == 2
    filed = card("x\n", kind="gguf", extra="base_model_relation: quantized\nlibrary_name: gguf\n")
    assert not gguf_not_filed_as_quantization([filed])


def test_a_links_entry_no_template_uses_is_caught(tmp_path: Path) -> None:
    template = tmp_path / "t.md.j2"
    template.write_text("[it]({{ links.used }})\n", encoding="utf-8")
    shown = card("[it](https://a.example/used)\n")
    links = {"used": "https://a.example/used", "idle": "https://a.example/idle"}
    assert unused_links(links, [shown], [template]) == [
        "links.idle (https://a.example/idle) is used by no template under cards/"
    ]
    assert unused_links({"used": "https://a.example/used"}, [card("x\n")], [template])


def test_a_sentence_repeated_across_sections_is_caught() -> None:
    said = "The model is released for research on Norwegian language models."
    body = f"### One\n\n{said}\n\n### Two\n\nOther words. {said}\n"
    findings = repeated_sentences([card(body)])
    assert len(findings) == 1 and "'One'" in findings[0] and "'Two'" in findings[0]
    assert not repeated_sentences([card(f"### One\n\n{said}\n\n### Two\n\nShort. Short.\n")])


def test_a_pretraining_pointer_to_meta_is_caught() -> None:
    said = (
        "- See [M](https://huggingface.co/meta-llama/M) for more details on the pretraining data\n"
    )
    assert pretraining_pointers_outside_the_family([card(said)], "NbAiLab")
    ours = (
        "The pre-training data is on [the cards](https://huggingface.co/collections/NbAiLab/x).\n"
    )
    assert not pretraining_pointers_outside_the_family([card(ours)], "NbAiLab")
