"""Every key of models.toml reaches the template context.

The keys are read from the manifest's own models (a `[[models]]` entry, a `[kinds.X]` table,
`[defaults]`), not listed here: a key added to the manifest without an alternative value below
fails `test_every_key_has_an_alternative`, and one that `load_manifest` or `render.context_for`
drops fails `test_a_key_reaches_the_template_context`.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

# The manifest's file models are private to it; they are the list of keys a manifest may hold.
from pipeline.manifest import _Defaults, _KindDefaults, _RawVariant, load_manifest
from pipeline.render import context_for

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
            "gguf_file": "g.gguf",
        },
    ],
}
SFT, GGUF = 1, 2

# A value other than BASE's for each key any level may set: set on the sft variant, in
# [kinds.sft] and in [defaults] in turn.
OVERRIDABLE: dict[str, Any] = {
    "namespace": "Other",
    "languages": ["en"],
    "tags": ["other"],
    "extra_tags": ["extra"],
    "pipeline_tag": "summarization",
    "library_name": "transformers",
    "knowledge_cutoff": "June 2025",
    "developer": "Someone else",
    "author": "B",
    "template": "other.md.j2",
    "allow_create": True,
    "on_drift": "pr",
    "on_adopt": "pr",
}
# Keys of a [[models]] entry alone: (the entry, a value other than BASE's).
VARIANT_ONLY: dict[str, tuple[int, Any]] = {
    "name": (SFT, "s2"),
    "kind": (SFT, "instruct"),
    "llama_version": (SFT, "3.1"),
    "size": (SFT, "70B"),
    "base_model": (SFT, "meta-llama/Llama-3.1-8B"),
    "display_name": (SFT, "S"),
    "parameters": (SFT, "eight billion"),
    "license": (SFT, "apache-2.0"),
    "quantization": (GGUF, "Q8_0"),
    "gguf_file": (GGUF, "g-q8_0.gguf"),
}
# Keys of [defaults] alone.
DEFAULTS_ONLY: dict[str, Any] = {
    "licenses": {"3.1": "llama3.1", "3.9": "apache-2.0"},
    "links": {"home": "https://example.org/other"},
}

KEYS = [
    *(("models", key) for key in _RawVariant.model_fields),
    *(("kinds", key) for key in _KindDefaults.model_fields),
    *(("defaults", key) for key in _Defaults.model_fields),
]


def _toml(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value)  # a JSON string of these values is a TOML basic string
    if isinstance(value, list):
        return "[" + ", ".join(_toml(item) for item in value) + "]"
    if isinstance(value, Mapping):
        return "{ " + ", ".join(f"{json.dumps(k)} = {_toml(v)}" for k, v in value.items()) + " }"
    raise TypeError(value)


def _write(data: Mapping[str, Any], path: Path) -> Path:
    lines = ["[defaults]", *(f"{k} = {_toml(v)}" for k, v in data["defaults"].items())]
    for kind, table in data["kinds"].items():
        lines += [f"[kinds.{kind}]", *(f"{k} = {_toml(v)}" for k, v in table.items())]
    for entry in data["models"]:
        lines += ["[[models]]", *(f"{k} = {_toml(v)}" for k, v in entry.items())]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _with(level: str, key: str) -> dict[str, Any]:
    """BASE with `key` set to its alternative value at `level`."""
    data: dict[str, Any] = json.loads(json.dumps(BASE))
    if level == "models" and key in VARIANT_ONLY:
        index, value = VARIANT_ONLY[key]
        data["models"][index][key] = value
    elif level == "models":
        data["models"][SFT][key] = OVERRIDABLE[key]
    elif level == "kinds":
        data["kinds"]["sft"][key] = OVERRIDABLE[key]
    else:
        data["defaults"][key] = DEFAULTS_ONLY.get(key, OVERRIDABLE.get(key))
    return data


def _contexts(path: Path) -> list[dict[str, Any]]:
    """The template context of every variant; a variant's line in the file left out (a key
    added above a [[models]] header moves it, and it is the file's layout, not a value)."""
    manifest = load_manifest(path)

    def plain(value: Any) -> Any:
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            return {**dataclasses.asdict(value), "line": None}
        return value

    return [
        {name: plain(value) for name, value in context_for(manifest, variant).items()}
        for variant in manifest.variants
    ]


@pytest.mark.parametrize(("level", "key"), KEYS)
def test_every_key_has_an_alternative(level: str, key: str) -> None:
    known = (
        VARIANT_ONLY.keys() | OVERRIDABLE.keys()
        if level == "models"
        else OVERRIDABLE.keys() | DEFAULTS_ONLY.keys()
    )
    assert key in known, (
        f"models.toml has a new key {key!r} ({level}): give it a value other than BASE's in "
        "this test, so that it is shown to reach the template context"
    )


@pytest.mark.parametrize(("level", "key"), KEYS)
def test_a_key_reaches_the_template_context(level: str, key: str, tmp_path: Path) -> None:
    before = _contexts(_write(BASE, tmp_path / "before.toml"))
    after = _contexts(_write(_with(level, key), tmp_path / "after.toml"))
    assert after != before, f"{level} key {key!r} changes no template's context"


def test_every_field_of_a_variant_is_in_the_context(tmp_path: Path) -> None:
    """The template sees the resolved variant whole, as `model` (and `parent`)."""
    manifest = load_manifest(_write(BASE, tmp_path / "models.toml"))
    for variant in manifest.variants:
        context = context_for(manifest, variant)
        assert context["model"] is variant
        for field in dataclasses.fields(variant):
            assert getattr(context["model"], field.name) == getattr(variant, field.name)
    child = context_for(manifest, manifest.variants[SFT])
    assert child["parent"] is manifest.variants[0]
    assert child["links"] == BASE["defaults"]["links"]


def test_every_name_of_the_context_is_in_the_readme(tmp_path: Path) -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    table = readme.split("The context of every template:", 1)[1].split("\n\n", 2)[1]
    manifest = load_manifest(_write(BASE, tmp_path / "models.toml"))
    for name in context_for(manifest, manifest.variants[SFT]):
        assert f"`{name}`" in table, f"the README's table of the template context lacks {name}"
