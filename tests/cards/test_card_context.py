"""Every key of models.toml reaches the template context.

The keys are read from the manifest's own models (a `[[models]]` entry, a `[kinds.X]` table,
`[defaults]`), not listed here: a key that `load_manifest` or `render.context_for` drops fails
`test_a_key_reaches_the_template_context`, and a new key needs no edit to this file.
"""

from __future__ import annotations

import dataclasses
import itertools
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from pipeline.card.render import context_for
from pipeline.errors import ManifestError

# The manifest's file models are private to it; they are the list of keys a manifest may hold.
from pipeline.manifest.model import (
    Manifest,
    _Defaults,
    _KindDefaults,
    _RawVariant,
    load_manifest_bytes,
)

# A family of three: a base from outside (models[0], in its own namespace so that a changed
# default namespace leaves it where its children name it), an sft variant of it (models[1]:
# Llama "3.9", which has no Llama license, so any license may be tried) and a quantisation of it
# (models[2]). The kinds' tables are empty: each level's value is the one that counts.
BASE: dict[str, Any] = {
    "defaults": {
        "namespace": "NbAiLab",
        "developer": "NB",
        "author": "A",
        "knowledge_cutoff": "May 2024",
        "pipeline_tag": "text-generation",
        "languages": ["no", "nb"],
        "tags": ["norwegian"],
        "licenses": {"3.1": "llama3.1", "3.9": "other"},
        "links": {"home": "https://example.org/"},
    },
    "kinds": {"sft": {}, "gguf": {}},
    "models": [
        {
            "name": "p",
            "namespace": "NbAiLab",
            "kind": "base",
            "llama_version": "3.1",
            "size": "8B",
            "base_model": "meta-llama/Llama-3.1-8B",
        },
        {
            "name": "s",
            "kind": "sft",
            "llama_version": "3.9",
            "size": "8B",
            "base_model": "NbAiLab/p",
        },
        {
            "name": "g",
            "kind": "gguf",
            "llama_version": "3.1",
            "size": "8B",
            "base_model": "NbAiLab/p",
            "quantization": "Q4_K_M",
            "gguf_file": "g_1200.gguf",
        },
    ],
}
SFT, GGUF = 1, 2

# Values of every kind a key takes (a name, a path under cards/, a Hub id, a version, a list, a
# table...), none of them BASE's. A key is given the first that the manifest accepts there and
# that changes a context: listed by the kind of value, not by key, so a new key of a known kind
# needs no edit here.
CANDIDATES: tuple[Any, ...] = (
    "Other",
    "pr",
    "instruct",
    "3.1",
    "70B",
    "Q8_0",
    "other.gguf",
    "other.md.j2",
    "notes/other.md",
    "summarization",
    "peft",  # a library id
    "apache-2.0",
    "meta-llama/Llama-3.1-8B",
    "4.9 GB",
    2025,
    1200,
    True,
    ["en"],
    ["owner/data"],
    {"3.1": "llama3.1", "3.9": "apache-2.0"},
    {"home": "https://example.org/other"},
    {"NOTICE": {"template": "other.md.j2"}},  # the files a repo holds besides its card
)
# Where each level's key is set: a [[models]] entry, a [kinds.X] table, [defaults].
PLACES: dict[str, tuple[tuple[str | int, ...], ...]] = {
    "models": (("models", SFT), ("models", GGUF), ("models", 0)),
    "kinds": (("kinds", "sft"), ("kinds", "gguf")),
    "defaults": (("defaults",),),
}
# Keys about the family, not about a card: they never reach a template, by design.
NOT_CARD_FACTS = {
    ("defaults", "manage"),  # the repos the family means to manage (the unmanaged-repos report)
}
KEYS = [
    key
    for key in (
        *(("models", key) for key in _RawVariant.model_fields),
        *(("kinds", key) for key in _KindDefaults.model_fields),
        *(("defaults", key) for key in _Defaults.model_fields),
    )
    if key not in NOT_CARD_FACTS
]


def _toml(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return json.dumps(value)  # a JSON string of these values is a TOML basic string
    if isinstance(value, list):
        return "[" + ", ".join(_toml(item) for item in value) + "]"
    if isinstance(value, Mapping):
        return "{ " + ", ".join(f"{json.dumps(k)} = {_toml(v)}" for k, v in value.items()) + " }"
    raise TypeError(value)


def _text(data: Mapping[str, Any]) -> str:
    lines = ["[defaults]", *(f"{k} = {_toml(v)}" for k, v in data["defaults"].items())]
    for kind, table in data["kinds"].items():
        lines += [f"[kinds.{kind}]", *(f"{k} = {_toml(v)}" for k, v in table.items())]
    for entry in data["models"]:
        lines += ["[[models]]", *(f"{k} = {_toml(v)}" for k, v in entry.items())]
    return "\n".join(lines) + "\n"


def _load(data: Mapping[str, Any]) -> Manifest:
    return load_manifest_bytes(Path("models.toml"), _text(data).encode())


def _with(place: tuple[str | int, ...], key: str, value: Any) -> dict[str, Any]:
    """BASE with `key` set to `value` in the table at `place`."""
    data: dict[str, Any] = json.loads(json.dumps(BASE))
    table: Any = data
    for part in place:
        table = table[part]
    table[key] = value
    return data


def _contexts(data: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The template context of every variant; a variant's line in the file left out (a key
    added above a [[models]] header moves it, and it is the file's layout, not a value)."""
    manifest = _load(data)

    def plain(value: Any) -> Any:
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            return {**dataclasses.asdict(value), "line": None}
        return value

    return [
        {name: plain(value) for name, value in context_for(manifest, variant).items()}
        for variant in manifest.variants
    ]


BEFORE = _contexts(BASE)


@pytest.mark.parametrize(("level", "key"), KEYS)
def test_a_key_reaches_the_template_context(level: str, key: str) -> None:
    for place, value in itertools.product(PLACES[level], CANDIDATES):
        try:
            after = _contexts(_with(place, key, value))
        except ManifestError:
            continue  # not a value this key takes there
        if after != BEFORE:
            return
    pytest.fail(
        f"no value of CANDIDATES set as the {level} key {key!r} changes a template's context: "
        "the key does not reach it (manifest._resolve, render.context_for), or it takes a kind "
        "of value CANDIDATES lacks"
    )


def test_every_field_of_a_variant_is_in_the_context() -> None:
    """The template sees the resolved variant whole, as `model` (and `parent`), but for its
    place in models.toml (`index`, `line`): a card reads no position, so an edit that moves a
    variant down the file does not render its card again."""
    manifest = _load(BASE)
    for variant in manifest.variants:
        context = context_for(manifest, variant)
        assert (context["model"].index, context["model"].line) == (0, None)
        for field in dataclasses.fields(variant):
            if field.name not in ("index", "line"):
                assert getattr(context["model"], field.name) == getattr(variant, field.name)
    child = context_for(manifest, manifest.variants[SFT])
    assert child["parent"] == dataclasses.replace(manifest.variants[0], index=0, line=None)
    assert child["links"] == BASE["defaults"]["links"]


def test_every_name_of_the_context_is_in_the_readme() -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    table = readme.split("The context of every template:", 1)[1].split("\n\n", 2)[1]
    manifest = _load(BASE)
    for name in context_for(manifest, manifest.variants[SFT]):
        assert f"`{name}`" in table, f"the README's table of the template context lacks {name}"
