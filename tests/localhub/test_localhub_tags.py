"""The local Hub's `GET /api/models-tags-by-type`, read with the real client: the Hub's answer
shape, made from the checked-in snapshot (pipeline/hubrules_snapshot.json)."""

from __future__ import annotations

from huggingface_hub import HfApi

from pipeline import hubsnapshot


def test_the_tag_lists_have_the_hubs_shape(anon: HfApi) -> None:
    answer = anon.get_model_tags()
    assert {"pipeline_tag", "library", "license"} <= set(answer)
    for kind, entries in answer.items():
        for entry in entries:
            assert set(entry) <= {"id", "label", "type", "subType"}
            assert entry["type"] == kind
            assert isinstance(entry["label"], str) and entry["label"]
    licenses = {e["id"]: e for e in answer["license"]}
    assert licenses["license:apache-2.0"]["label"] == "apache-2.0"
    tasks = {e["id"]: e for e in answer["pipeline_tag"]}
    assert tasks["text-generation"]["label"] == "Text Generation"
    assert {"id": "peft", "label": "peft", "type": "library"} in answer["library"]


def test_the_tag_lists_are_the_checked_in_snapshot(anon: HfApi) -> None:
    made = hubsnapshot.from_tags_by_type(anon.get_model_tags(), "local", "2026-01-01")
    assert made.lists() == hubsnapshot.current().lists()


# --- the tags the Hub derives from a card ---------------------------------------------------------

PARENT = "meta-llama/Llama-3.1-8B"


def _card(*lines: str) -> str:
    return "\n".join(["---", *lines, "---", "# A model", ""])


def _seed_family(api: HfApi) -> None:
    cards = {
        PARENT: _card("license: llama3.1", "pipeline_tag: text-generation"),
        "NbAiLab/nb-llama-3.1-8B": _card(
            "license: llama3.1",
            "language: [nb, en]",
            "pipeline_tag: text-generation",
            "library_name: transformers",
            f"base_model: {PARENT}",
            "datasets: [NbAiLab/ncc]",
            "tags: [norwegian, text-generation]",
        ),
        "NbAiLab/nb-llama-3.1-8B-Q4_K_M-GGUF": _card(
            "license: llama3.1",
            "language: nb",
            "pipeline_tag: text-generation",
            "library_name: gguf",
            f"base_model: {PARENT}",
            "base_model_relation: quantized",
            "tags: [gguf, llama-cpp]",
        ),
        "NbAiLab/nb-llama-3.1-8B-sft": _card(
            "license: llama3.1",
            f"base_model: [{PARENT}]",
            "base_model_relation: finetune",
        ),
        "NbAiLab/nb-merge": _card(
            "license: other",
            "license_name: nb-license",
            "license_link: LICENSE",
            f"base_model: [{PARENT}, NbAiLab/nb-llama-3.1-8B]",
            "base_model_relation: merge",
        ),
        "Other/unrelated": _card("license: mit", "base_model: Other/base"),
    }
    for repo_id, card in cards.items():
        api.create_repo(repo_id)
        api.upload_file(path_or_fileobj=card.encode(), path_in_repo="README.md", repo_id=repo_id)


def _found(api: HfApi, tag: str) -> list[str]:
    return sorted(m.id for m in api.list_models(filter=tag))


def test_model_info_carries_the_tags_the_hub_derives(api: HfApi) -> None:
    _seed_family(api)
    gguf = api.model_info("NbAiLab/nb-llama-3.1-8B-Q4_K_M-GGUF").tags
    assert gguf == [
        "gguf",
        "text-generation",
        "llama-cpp",
        "nb",
        f"base_model:{PARENT}",
        f"base_model:quantized:{PARENT}",
        "license:llama3.1",
    ]
    child = api.model_info("NbAiLab/nb-llama-3.1-8B").tags
    assert child == [
        "transformers",
        "text-generation",
        "norwegian",
        "nb",
        "en",
        "dataset:NbAiLab/ncc",
        f"base_model:{PARENT}",
        "license:llama3.1",
    ]
    # No relation declared: none is inferred (the Hub's inference from files is not modelled).
    assert not [t for t in child if t.startswith("base_model:finetune:")]
    merge = api.model_info("NbAiLab/nb-merge").tags
    assert merge == [
        f"base_model:{PARENT}",
        "base_model:NbAiLab/nb-llama-3.1-8B",
        f"base_model:merge:{PARENT}",
        "base_model:merge:NbAiLab/nb-llama-3.1-8B",
        "license:other",
    ]


def test_listing_filters_on_the_derived_tags(api: HfApi) -> None:
    _seed_family(api)
    children = [
        "NbAiLab/nb-llama-3.1-8B",
        "NbAiLab/nb-llama-3.1-8B-Q4_K_M-GGUF",
        "NbAiLab/nb-llama-3.1-8B-sft",
        "NbAiLab/nb-merge",
    ]
    assert _found(api, f"base_model:{PARENT}") == children
    assert _found(api, f"base_model:quantized:{PARENT}") == ["NbAiLab/nb-llama-3.1-8B-Q4_K_M-GGUF"]
    assert _found(api, f"base_model:finetune:{PARENT}") == ["NbAiLab/nb-llama-3.1-8B-sft"]
    assert _found(api, "base_model:merge:NbAiLab/nb-llama-3.1-8B") == ["NbAiLab/nb-merge"]
    assert _found(api, "license:mit") == ["Other/unrelated"]
    assert _found(api, "dataset:NbAiLab/ncc") == ["NbAiLab/nb-llama-3.1-8B"]
    assert _found(api, "text-generation") == sorted([PARENT, *children[:2]])
    listed = {m.id: m.tags for m in api.list_models(filter="gguf")}
    assert listed == {
        "NbAiLab/nb-llama-3.1-8B-Q4_K_M-GGUF": api.model_info(
            "NbAiLab/nb-llama-3.1-8B-Q4_K_M-GGUF"
        ).tags
    }
