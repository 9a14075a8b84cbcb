"""Manifest resolution for the cards: a quantisation speaks its parent's languages (it is the
same model)."""

from __future__ import annotations

from pathlib import Path

from pipeline.manifest.model import Variant, load_manifest
from tests.cards.card_context import CARDS

MANIFEST = """
[defaults]
namespace = "NbAiLab"
developer = "NB"
author = "A"
knowledge_cutoff = "May 2024"
pipeline_tag = "text-generation"
languages = ["no", "nb", "nn", "en", "sv", "da"]
tags = ["norwegian", "swedish", "danish"]
extra_tags = ["family"]

[defaults.licenses]
"3.1" = "llama3.1"

[kinds.notram]
languages = ["no", "nb", "nn", "en"]
tags = ["norwegian"]
extra_tags = ["notram"]

[kinds.gguf]
extra_tags = ["gguf"]
{gguf_table}

[[models]]
name = "chat"
kind = "notram"
llama_version = "3.1"
size = "8B"
base_model = "meta-llama/Llama-3.1-8B-Instruct"

[[models]]
name = "chat-GGUF"
kind = "gguf"
llama_version = "3.1"
size = "8B"
base_model = "NbAiLab/chat"
quantization = "Q4_K_M"
gguf_file = "chat.gguf"
{gguf_own}
"""


def _gguf(tmp_path: Path, gguf_table: str = "", gguf_own: str = "") -> tuple[Variant, Variant]:
    path = tmp_path / "models.toml"
    path.write_text(MANIFEST.format(gguf_table=gguf_table, gguf_own=gguf_own), encoding="utf-8")
    manifest = load_manifest(path)
    parent, child = manifest.variants
    return parent, child


def test_a_gguf_variant_takes_its_parents_languages_and_tags(tmp_path: Path) -> None:
    parent, child = _gguf(tmp_path)
    assert child.languages == parent.languages == ("no", "nb", "nn", "en")
    # the parent's tags, its kind's extra tags (notram) included, then the gguf's own extra tags
    assert child.tags == ("norwegian", "family", "notram", "gguf")


def test_the_manifest_may_say_otherwise_in_the_variant_or_its_kind(tmp_path: Path) -> None:
    _, child = _gguf(tmp_path, gguf_own='languages = ["nb", "sv"]\ntags = ["mine"]')
    assert child.languages == ("nb", "sv")
    assert child.tags == ("mine", "family", "gguf")
    _, child = _gguf(tmp_path, gguf_table='languages = ["nb"]')
    assert child.languages == ("nb",)
    assert child.tags == ("norwegian", "family", "notram", "gguf")


def test_the_shipped_gguf_cards_speak_their_parents_languages() -> None:
    manifest = load_manifest(CARDS.parent / "models.toml")
    ggufs = [v for v in manifest.variants if v.kind == "gguf"]
    assert len(ggufs) == 5
    for variant in ggufs:
        parent = manifest.by_repo_id(variant.base_model)
        assert parent is not None
        assert variant.languages == parent.languages, variant.repo_id
        assert variant.library_name == "gguf"
