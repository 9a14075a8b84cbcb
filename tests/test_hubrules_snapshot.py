"""The Hub's lists come from one checked-in snapshot (pipeline/hubrules_snapshot.json): it is the
file the code reads, it is well formed, it ships with the package, and it holds what the Hub's
sources hold today."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pytest

from pipeline import hubrules, hubsnapshot

ROOT = Path(__file__).resolve().parent.parent


def test_the_code_reads_the_checked_in_file() -> None:
    assert hubsnapshot.SNAPSHOT_FILE == ROOT / "pipeline" / "hubrules_snapshot.json"
    on_disk = hubsnapshot.parse(json.loads(hubsnapshot.SNAPSHOT_FILE.read_text(encoding="utf-8")))
    assert hubsnapshot.current() == on_disk
    assert frozenset(on_disk.licenses) == hubrules.LICENSES
    assert frozenset(on_disk.pipeline_tags) == hubrules.PIPELINE_TAGS
    assert frozenset(on_disk.libraries) == hubrules.LIBRARIES


def test_the_checked_in_file_is_in_the_form_it_is_written() -> None:
    text = hubsnapshot.SNAPSHOT_FILE.read_text(encoding="utf-8")
    assert hubsnapshot.dumps(hubsnapshot.current()) == text


def test_the_snapshot_ships_as_package_data() -> None:
    setup = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]
    assert "hubrules_snapshot.json" in setup["setuptools"]["package-data"]["pipeline"]


@pytest.mark.parametrize(
    ("name", "present"),
    [
        ("licenses", ["apache-2.0", "llama3.1", "other", "grok2-community", "openmdw-1.1"]),
        ("pipeline_tags", ["text-generation", "image-text-to-text", "other"]),
        ("libraries", ["transformers", "gguf", "peft", "sentence-transformers"]),
    ],
)
def test_the_lists_hold_the_hubs_ids(name: str, present: list[str]) -> None:
    assert set(present) <= set(hubsnapshot.current().lists()[name])


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"date": "yesterday"}, "'date' must be YYYY-MM-DD"),
        ({"licenses": []}, "'licenses' must be a non-empty list"),
        ({"libraries": ["b", "a"]}, "'libraries' must be sorted"),
        ({"libraries": ["a b"]}, "libraries[0] is not an id"),
        ({"extra": 1}, "unknown key 'extra'"),
        ({"source": ""}, "'source' must be a non-empty string"),
    ],
)
def test_a_malformed_snapshot_is_refused_by_key(change: dict[str, object], message: str) -> None:
    data = json.loads(hubsnapshot.dumps(hubsnapshot.current())) | change
    with pytest.raises(hubsnapshot.SnapshotError, match=message.replace("[", r"\[")):
        hubsnapshot.parse(data, "x.json")


def test_the_hubs_tags_by_type_answer_makes_a_snapshot() -> None:
    answer = {
        "pipeline_tag": [
            {"id": "text-generation", "label": "Text Generation", "type": "pipeline_tag"}
        ],
        "library": [{"id": "transformers", "label": "Transformers", "type": "library"}],
        "license": [{"id": "license:mit", "label": "mit", "type": "license"}],
        "language": [{"id": "en", "label": "English", "type": "language"}],
    }
    made = hubsnapshot.from_tags_by_type(answer, "hub", "2025-01-02")
    assert made.lists() == {
        "licenses": ("mit",),
        "pipeline_tags": ("text-generation",),
        "libraries": ("transformers",),
    }
    assert hubsnapshot.changes(
        made,
        hubsnapshot.make(
            "hub",
            "2025-01-03",
            {
                "licenses": ["mit", "other"],
                "pipeline_tags": ["text-generation"],
                "libraries": ["peft"],
            },
        ),
    ) == {"licenses": (["other"], []), "libraries": (["peft"], ["transformers"])}


def test_the_generator_reads_hub_docs_license_table() -> None:
    from bench.hubrules_snapshot import read_licenses

    markdown = (
        "intro | `not-this` |\n<!-- region licenses -->\n| Fullname | License identifier |\n"
        "| --- | --- |\n| Apache license 2.0 | `apache-2.0` |\n| Grok 2 | `grok2-community` |\n"
        "<!-- endregion -->\n"
    )
    assert read_licenses(markdown) == ["apache-2.0", "grok2-community"]


def test_the_snapshot_served_as_tags_by_type_reads_back_the_same() -> None:
    current = hubsnapshot.current()
    served = hubsnapshot.to_tags_by_type(current)
    assert served["license"][0] == {
        "id": f"license:{current.licenses[0]}",
        "label": current.licenses[0],
        "type": "license",
    }
    assert hubsnapshot.from_tags_by_type(served, "x", "2026-01-01").lists() == current.lists()
