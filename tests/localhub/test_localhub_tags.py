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
