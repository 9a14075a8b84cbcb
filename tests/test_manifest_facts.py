"""The manifest's facts checked or derived: quantization types against llama.cpp's table and the
repo name, the one inheritance rule (a child takes every fact of its parent it does not set, key
by key), and the optional facts (file size, memory, datasets, citation year)."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.errors import ManifestError
from pipeline.manifest.model import INHERITED, load_manifest
from pipeline.quanttypes import TYPES, quant_type, suffix_type
from tests.test_manifest import FAMILY, _write

NOTRAM = """
[[models]]
name = "nb-notram-llama-3.1-8b-instruct"
kind = "notram"
llama_version = "3.1"
size = "8B"
base_model = "meta-llama/Llama-3.1-8B-Instruct"

[[models]]
name = "nb-llama-3.1-8B-Instruct-Q4_K_M-GGUF"
kind = "gguf"
llama_version = "3.1"
size = "8B"
base_model = "NbAiLab/nb-notram-llama-3.1-8b-instruct"
quantization = "Q4_K_M"
gguf_file = "nb-llama-3.1-8b-instruct-q4_k_m.gguf"
"""

KINDS = """
[kinds.notram]
languages = ["no", "nb", "nn", "en"]
tags = ["norwegian", "nynorsk"]
extra_tags = ["llama", "notram", "conversational"]
library_name = "transformers"
knowledge_cutoff = "January 2025"
developer = "NB-AiLab NoTraM"
author = "A. Author"
datasets = ["Anthropic/hh-rlhf"]
year = 2025

[kinds.gguf]
extra_tags = ["llama-cpp", "gguf"]
library_name = "gguf"
"""


def _family(tmp_path: Path, kinds: str = KINDS, extra: str = NOTRAM) -> Path:
    head, _, models = FAMILY.partition("[[models]]")
    return _write(tmp_path, head + kinds + "\n[[models]]" + models + extra)


def _problems(path: Path) -> list[str]:
    with pytest.raises(ManifestError) as caught:
        load_manifest(path)
    return [str(p) for p in caught.value.problems]


# --- quantization --------------------------------------------------------------------------------


def test_the_table_names_its_source_and_knows_q4_k_m() -> None:
    q4 = quant_type("Q4_K_M")
    assert q4 is not None and 4.5 < q4.bits_per_weight < 5.0
    assert 0.25 < q4.share_of_parent < 0.35
    assert quant_type("Q4_KM") is None and "Q8_0" in TYPES


def test_a_repo_name_declares_its_type() -> None:
    assert suffix_type("nb-llama-3.2-1B-Q4_K_M-GGUF") == "Q4_K_M"
    assert suffix_type("nb-llama-3.2-1B-q8_0-gguf") == "Q8_0"
    assert suffix_type("x-Q4_K_S-GGUF") == "Q4_K_S"
    assert suffix_type("nb-llama-3.2-1B") is None


def test_a_quantization_llama_cpp_does_not_have_is_a_located_error(tmp_path: Path) -> None:
    path = _write(tmp_path, FAMILY.replace('quantization = "Q4_K_M"', 'quantization = "Q4_KM"'))
    [problem] = _problems(path)
    assert "models[2].quantization" in problem and "Q4_KM" in problem
    assert "llama.cpp" in problem and "Q4_K_M" in problem  # the nearest type as a hint


def test_a_quantization_the_repo_name_contradicts_is_a_located_error(tmp_path: Path) -> None:
    path = _write(tmp_path, FAMILY.replace('quantization = "Q4_K_M"', 'quantization = "Q8_0"'))
    [problem] = _problems(path)
    assert "models[2].quantization" in problem
    assert "'Q8_0'" in problem and "Q4_K_M" in problem and "name" in problem


# --- one inheritance rule ------------------------------------------------------------------------


def test_the_rule_names_the_inherited_keys() -> None:
    assert set(INHERITED) >= {
        "languages",
        "tags",
        "knowledge_cutoff",
        "license",
        "developer",
        "author",
        "pipeline_tag",
        "datasets",
        "year",
    }
    assert "library_name" not in INHERITED and "quantization" not in INHERITED


@pytest.mark.parametrize(
    ("key", "parent_value"),
    [
        ("knowledge_cutoff", "January 2025"),
        ("languages", ("no", "nb", "nn", "en")),
        ("developer", "NB-AiLab NoTraM"),
        ("author", "A. Author"),
        ("datasets", ("Anthropic/hh-rlhf",)),
        ("year", 2025),
        ("license", "llama3.1"),
        ("pipeline_tag", "text-generation"),
    ],
)
def test_a_gguf_child_takes_each_fact_of_its_parent(
    tmp_path: Path, key: str, parent_value: object
) -> None:
    manifest = load_manifest(_family(tmp_path))
    parent = manifest.by_repo_id("NbAiLab/nb-notram-llama-3.1-8b-instruct")
    child = manifest.by_repo_id("NbAiLab/nb-llama-3.1-8B-Instruct-Q4_K_M-GGUF")
    assert parent is not None and child is not None
    assert getattr(parent, key) == parent_value
    assert getattr(child, key) == parent_value


def test_a_child_takes_its_parents_tags_then_its_own_extra_tags(tmp_path: Path) -> None:
    manifest = load_manifest(_family(tmp_path))
    child = manifest.by_repo_id("NbAiLab/nb-llama-3.1-8B-Instruct-Q4_K_M-GGUF")
    assert child is not None
    assert child.tags == (
        "norwegian",
        "nynorsk",
        "llama",
        "notram",
        "conversational",
        "llama-cpp",
        "gguf",
    )
    assert child.library_name == "gguf"  # a property of the files, not inherited


def test_a_child_or_its_kind_table_overrides_an_inherited_fact(tmp_path: Path) -> None:
    kinds = KINDS.replace('library_name = "gguf"', 'library_name = "gguf"\nyear = 2026')
    extra = NOTRAM.replace(
        'gguf_file = "nb-llama-3.1-8b-instruct-q4_k_m.gguf"',
        'gguf_file = "nb-llama-3.1-8b-instruct-q4_k_m.gguf"\nknowledge_cutoff = "June 2025"',
    )
    manifest = load_manifest(_family(tmp_path, kinds, extra))
    child = manifest.by_repo_id("NbAiLab/nb-llama-3.1-8B-Instruct-Q4_K_M-GGUF")
    assert child is not None
    assert child.knowledge_cutoff == "June 2025" and child.year == 2026


def test_an_sft_child_takes_its_base_parents_facts(tmp_path: Path) -> None:
    text = FAMILY.replace(
        'base_model = "meta-llama/Llama-3.1-8B"',
        'base_model = "meta-llama/Llama-3.1-8B"\nknowledge_cutoff = "March 2024"\n'
        'datasets = ["uonlp/CulturaX"]',
    )
    manifest = load_manifest(_write(tmp_path, text))
    for name in ("nb-llama-3.1-8B-sft", "nb-llama-3.1-8B-Q4_K_M-GGUF"):
        child = manifest.by_repo_id(f"NbAiLab/{name}")
        assert child is not None
        assert child.knowledge_cutoff == "March 2024"
        assert child.datasets == ("uonlp/CulturaX",)


# --- optional facts -------------------------------------------------------------------------------


def test_file_size_and_memory_are_optional_facts(tmp_path: Path) -> None:
    manifest = load_manifest(_write(tmp_path, FAMILY))
    gguf = manifest.by_repo_id("NbAiLab/nb-llama-3.1-8B-Q4_K_M-GGUF")
    assert gguf is not None and gguf.file_size is None and gguf.memory_needed is None
    text = FAMILY.replace(
        'gguf_file = "nb-llama-3.1-8b-q4_k_m.gguf"',
        'gguf_file = "nb-llama-3.1-8b-q4_k_m.gguf"\nfile_size = "4.9 GB"\nmemory_needed = "6 GB"',
    )
    gguf = load_manifest(_write(tmp_path, text)).by_repo_id("NbAiLab/nb-llama-3.1-8B-Q4_K_M-GGUF")
    assert gguf is not None and (gguf.file_size, gguf.memory_needed) == ("4.9 GB", "6 GB")


def test_a_file_size_without_a_unit_is_a_located_error(tmp_path: Path) -> None:
    text = FAMILY.replace(
        'gguf_file = "nb-llama-3.1-8b-q4_k_m.gguf"',
        'gguf_file = "nb-llama-3.1-8b-q4_k_m.gguf"\nfile_size = "big"',
    )
    [problem] = _problems(_write(tmp_path, text))
    assert "models[2].file_size" in problem and "GB" in problem


def test_a_dataset_that_is_no_hub_id_is_a_located_error(tmp_path: Path) -> None:
    text = FAMILY.replace('tags = ["norwegian"', 'datasets = ["CulturaX"]\ntags = ["norwegian"')
    [problem] = _problems(_write(tmp_path, text))
    assert "defaults.datasets[0]" in problem and "CulturaX" in problem
