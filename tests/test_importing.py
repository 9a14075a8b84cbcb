"""The pure half of `nb-release import`: listed repos -> [[models]] entries."""

from __future__ import annotations

import tomllib
from typing import Any

from pipeline.manifest.importing import Entry, add_entries, derive
from pipeline.records import ListedModel

DEFAULTS: dict[str, Any] = {"languages": ["no", "en"], "licenses": {"3.1": "llama3.1"}}


def _listed(repo_id: str, files: tuple[str, ...] = (), **card: Any) -> ListedModel:
    return ListedModel(repo_id, "0" * 40, card or None, (), None, None, files)


def test_a_quantization_takes_its_file_from_the_listing_and_its_languages_from_its_parent() -> None:
    listing = [
        _listed(
            "Nb/nb-llama-3.1-8B-Q5_K_M-GGUF",
            ("x-q5_k_m.gguf",),
            base_model="Nb/nb-llama-3.1-8B",
            language=["sv"],
            base_model_relation="quantized",
        ),
        _listed(
            "Nb/nb-llama-3.1-8B",
            base_model="meta-llama/Llama-3.1-8B",
            language=["sv"],
            license="apache-2.0",
        ),
    ]
    found = derive(listing, "Nb", DEFAULTS, {})
    base, gguf = found.entries
    assert base.values == {
        "name": "nb-llama-3.1-8B",
        "kind": "base",
        "llama_version": "3.1",
        "size": "8B",
        "base_model": "meta-llama/Llama-3.1-8B",
        "license": "apache-2.0",
        "languages": ["sv"],
    }
    assert gguf.values["quantization"] == "Q5_K_M"
    assert gguf.values["gguf_file"] == "x-q5_k_m.gguf"
    assert "languages" not in gguf.values  # the same as its parent's


def test_what_cannot_be_derived_is_left_out_and_named() -> None:
    found = derive([_listed("Nb/llama-3.1-tiny-gguf", base_model="Nb/x")], "Nb", DEFAULTS, {})
    (entry,) = found.entries
    assert entry.missing == ("size", "quantization", "gguf_file")
    assert "size" not in entry.values
    assert any(note.startswith("license") for note in entry.notes)


def test_a_repo_that_is_not_llama_is_skipped_with_why() -> None:
    found = derive([_listed("Nb/nb-bert-base", license="cc-by-4.0")], "Nb", DEFAULTS, {})
    assert found.entries == ()
    assert [s.repo_id for s in found.skipped] == ["Nb/nb-bert-base"]


def test_entries_are_appended_keeping_every_comment() -> None:
    text = '# The family.\n[defaults]\nnamespace = "Nb"  # the org\n'
    entry = Entry("Nb/a", {"name": "a", "kind": "base", "languages": ["sv"]})
    written = add_entries(text, [entry])
    assert written.startswith(text)
    assert tomllib.loads(written)["models"] == [{"name": "a", "kind": "base", "languages": ["sv"]}]
