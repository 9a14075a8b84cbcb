"""The variants a manifest edit touched, told from the raw parses before and after: the guess a
plan starts its pull-request reads from, before it validates. Nothing else changed, a few
entries, their children down the chain; else no guess."""

from __future__ import annotations

from typing import Any

from pipeline.manifest.touched import raw_namespaces, touched_variants


def _manifest(*models: dict[str, Any], **top: Any) -> dict[str, Any]:
    return {"defaults": {"namespace": "NbAiLab"}, **top, "models": [dict(m) for m in models]}


BASE = {"name": "nb-llama-3.1-8B", "kind": "base"}
CHILD = {"name": "nb-llama-3.1-8B-sft", "kind": "sft", "base_model": "NbAiLab/nb-llama-3.1-8B"}
GGUF = {"name": "nb-llama-3.1-8B-sft-gguf", "kind": "gguf", "base_model": "nb-llama-3.1-8B-sft"}
OTHER = {"name": "nb-llama-3.2-1B", "kind": "base"}


def test_an_edited_entry_is_touched_alone() -> None:
    before = _manifest(BASE, OTHER)
    after = _manifest(BASE, {**OTHER, "knowledge_cutoff": "June 2024"})
    assert touched_variants(before, after, 8) == frozenset({"nb-llama-3.2-1B"})


def test_the_children_of_an_edited_entry_are_touched_down_the_chain() -> None:
    before = _manifest(BASE, CHILD, GGUF, OTHER)
    after = _manifest({**BASE, "year": 2025}, CHILD, GGUF, OTHER)
    assert touched_variants(before, after, 8) == frozenset(
        {"nb-llama-3.1-8B", "nb-llama-3.1-8B-sft", "nb-llama-3.1-8B-sft-gguf"}
    )


def test_an_added_entry_is_touched_and_a_removed_one_is_not() -> None:
    added = touched_variants(_manifest(BASE), _manifest(BASE, OTHER), 8)
    assert added == frozenset({"nb-llama-3.2-1B"})
    assert touched_variants(_manifest(BASE, OTHER), _manifest(BASE), 8) == frozenset()


def test_an_unchanged_manifest_touches_nothing() -> None:
    assert touched_variants(_manifest(BASE, OTHER), _manifest(BASE, OTHER), 8) == frozenset()


def test_no_guess_when_anything_but_the_entries_changed() -> None:
    before = _manifest(BASE, OTHER)
    after = {**before, "defaults": {"namespace": "NbAiLab", "year": 2025}}
    assert touched_variants(before, after, 8) is None
    kinds = _manifest(BASE, OTHER, kinds={"base": {"year": 2025}})
    assert touched_variants(before, kinds, 8) is None


def test_no_guess_over_the_limit_or_without_names() -> None:
    many = [{"name": f"v{i}", "kind": "base"} for i in range(5)]
    edited = [{**m, "year": 2025} for m in many]
    assert touched_variants(_manifest(*many), _manifest(*edited), 4) is None
    five = touched_variants(_manifest(*many), _manifest(*edited), 5)
    assert five == frozenset(m["name"] for m in many)
    nameless = _manifest(BASE, {"kind": "base"})
    assert touched_variants(_manifest(BASE), nameless, 8) is None
    twice = _manifest(BASE, BASE)
    assert touched_variants(_manifest(BASE), twice, 8) is None
    assert touched_variants({"models": "not a list"}, _manifest(BASE), 8) is None


def test_the_namespaces_are_the_entrys_else_its_kinds_else_the_defaults() -> None:
    document = _manifest(
        BASE,
        {**OTHER, "namespace": "north"},
        {"name": "x", "kind": "sft"},
        kinds={"sft": {"namespace": "south"}},
    )
    assert raw_namespaces(document) == ["NbAiLab", "north", "south"]


def test_no_namespaces_when_one_cannot_be_told() -> None:
    assert raw_namespaces({"models": [BASE]}) is None  # no [defaults] namespace
    assert raw_namespaces(_manifest()) is None  # no entry
    assert raw_namespaces(_manifest({**BASE, "namespace": 3})) is None
    assert raw_namespaces(_manifest({**BASE, "kind": ["base"]}, kinds={"base": {}})) == ["NbAiLab"]
    assert raw_namespaces({"models": ["not a table"], "defaults": {"namespace": "n"}}) is None
