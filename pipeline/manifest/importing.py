"""Pure: the repos of a namespace, as the Hub's listing shows them -> `[[models]]` entries.

Each value comes from what the Hub parsed of the card (cardData, tags), the repo's files and its
name: the kind from base_model and its relation, the tags and the name; the Llama version and
size from the name or the base model; languages and license from the card, written only when
they differ from what the variant would inherit ([kinds.<kind>], [defaults], a gguf's parent).
A required value that cannot be derived is left out and named, so the entry fails `validate`
in one located line and the report says what to fill in.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import tomlkit

from pipeline.localfiles import decode_text
from pipeline.manifest._file import parse_manifest, read_manifest_bytes
from pipeline.manifest.model import KINDS
from pipeline.records import ListedModel

_VERSION = re.compile(r"llama-?([0-9]{1,3}\.[0-9]{1,3})", re.IGNORECASE)
_SIZE = re.compile(r"([0-9]+(?:\.[0-9]+)?)([mb])", re.IGNORECASE)
_QUANT = re.compile(r"(?:i?q[0-9][a-z0-9]*(?:_[a-z0-9]+)*|f16|bf16|f32)", re.IGNORECASE)
_HF_FILE = re.compile(r"--hf-file\s+([A-Za-z0-9][A-Za-z0-9._+-]{0,200}\.gguf)\b")


@dataclass(frozen=True)
class Entry:
    """One `[[models]]` entry to write: its keys in the order a manifest lists them."""

    repo_id: str
    values: dict[str, Any]
    missing: tuple[str, ...] = ()  # required keys it could not derive (left out)
    notes: tuple[str, ...] = ()  # optional values the card does not state


@dataclass(frozen=True)
class Skipped:
    repo_id: str
    why: str


@dataclass(frozen=True)
class Imported:
    entries: tuple[Entry, ...]
    skipped: tuple[Skipped, ...] = field(default=())


_STEP = re.compile(r"checkpoint saved at training step (\d{1,9})\b")


def _checkpoint_step(gguf_file: str, body: str | None) -> int | None:
    """The training step a card says its file's `_<step>` names, when it says so."""
    found = _STEP.search(body or "")
    if found is None or f"_{found.group(1)}" not in gguf_file:
        return None
    return int(found.group(1))


def _segments(name: str) -> list[str]:
    return name.split("-")


def version_of(text: str) -> str | None:
    """The Llama version a repo name or base model names (`nb-llama-3.1-8B` -> "3.1")."""
    found = _VERSION.search(text)
    return found.group(1) if found else None


def size_of(text: str) -> str | None:
    """The size a repo name names as one of its parts (`...-70b-instruct` -> "70B")."""
    for part in _segments(text.rsplit("/", 1)[-1]):
        found = _SIZE.fullmatch(part)
        if found:
            return found.group(1) + found.group(2).upper()
    return None


def _base_model(card: Mapping[str, Any]) -> str | None:
    value = card.get("base_model")
    if isinstance(value, list) and len(value) == 1:
        value = value[0]
    return value if isinstance(value, str) else None


def kind_of(listed: ListedModel, base_model: str | None, namespace: str) -> str:
    """The kind: a quantization (the relation, a gguf tag or name), NoTraM (name or tag), an
    instruct model (name), a fine-tune of the family's own base (sft), else a base model."""
    card = listed.card_data or {}
    name = listed.repo_id.split("/", 1)[-1].lower()
    tags = {tag.lower() for tag in listed.tags}
    if card.get("base_model_relation") == "quantized" or "gguf" in tags or name.endswith("gguf"):
        return "gguf"
    if "notram" in name or "notram" in tags:
        return "notram"
    if "instruct" in name:
        return "instruct"
    if name.endswith("-sft") or "sft" in tags:
        return "sft"
    if base_model is not None and base_model.split("/", 1)[0] == namespace:
        return "sft"
    return "base"


def _gguf_file(listed: ListedModel, body: str | None) -> str | None:
    files = [f for f in listed.siblings if f.endswith(".gguf") and "/" not in f]
    if len(files) == 1:
        return files[0]
    if body is not None:
        named = {str(found) for found in _HF_FILE.findall(body)}
        if len(named) == 1:
            return named.pop()
    return None


def _quantization(name: str, gguf_file: str | None) -> str | None:
    for part in _segments(name):
        if _QUANT.fullmatch(part):
            return part.upper()
    if gguf_file is not None:
        stem = gguf_file.removesuffix(".gguf")
        for part in stem.split("-"):
            if _QUANT.fullmatch(part):
                return part.upper()
    return None


def _as_list(value: object) -> list[str] | None:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return list(value)
    return None


def derive(
    listing: Sequence[ListedModel],
    namespace: str,
    defaults: Mapping[str, Any],
    kinds: Mapping[str, Mapping[str, Any]],
    bodies: Mapping[str, str] | None = None,
) -> Imported:
    """The entries of every Llama repo of `listing`, parents first within each kind; a repo
    without a Llama version in its name or base model is skipped, with why."""
    bodies = bodies or {}
    by_id = {listed.repo_id: listed for listed in listing}
    licenses = defaults.get("licenses") or {}
    entries: list[tuple[int, int, Entry]] = []
    skipped: list[Skipped] = []

    def inherited(kind: str, key: str) -> object:
        table = kinds.get(kind) or {}
        return table.get(key, defaults.get(key))

    def parent_version(base: str | None) -> str | None:
        parent = by_id.get(base) if base else None
        if parent is None:
            return None
        return version_of(parent.repo_id) or version_of(_base_model(parent.card_data or {}) or "")

    for position, listed in enumerate(listing):
        card = listed.card_data or {}
        name = listed.repo_id.split("/", 1)[-1]
        base = _base_model(card)
        version = version_of(name) or version_of(base or "") or parent_version(base)
        if version is None:
            skipped.append(Skipped(listed.repo_id, "no Llama version in its name or base model"))
            continue
        kind = kind_of(listed, base, namespace)
        values: dict[str, Any] = {"name": name, "kind": kind, "llama_version": version}
        missing: list[str] = []
        notes: list[str] = []
        size = size_of(name) or (size_of(base) if base else None)
        if size is None:
            missing.append("size")
        else:
            values["size"] = size
        if base is None:
            missing.append("base_model")
        else:
            values["base_model"] = base
        license_id = card.get("license")
        if not isinstance(license_id, str):
            notes.append("license (the card names none; [defaults.licenses] decides)")
        elif license_id != licenses.get(version):
            values["license"] = license_id
        languages = _as_list(card.get("language"))
        parent = by_id.get(base) if base else None
        from_parent = _as_list((parent.card_data or {}).get("language")) if parent else None
        if languages is None:
            notes.append("languages (the card lists none; the variant inherits them)")
        elif languages != inherited(kind, "languages") and not (
            kind == "gguf" and languages == from_parent
        ):
            values["languages"] = languages
        if kind == "gguf":
            gguf_file = _gguf_file(listed, bodies.get(listed.repo_id))
            quantization = _quantization(name, gguf_file)
            if quantization is None:
                missing.append("quantization")
            else:
                values["quantization"] = quantization
            if gguf_file is None:
                missing.append("gguf_file")
            else:
                values["gguf_file"] = gguf_file
                step = _checkpoint_step(gguf_file, bodies.get(listed.repo_id))
                if step is not None:
                    values["checkpoint_step"] = step
                elif re.search(r"_\d+", gguf_file):
                    notes.append(
                        "checkpoint_step (the card does not say what the file name's number is)"
                    )
        entry = Entry(listed.repo_id, values, tuple(missing), tuple(notes))
        entries.append((KINDS.index(kind), position, entry))
    ordered = tuple(entry for _, _, entry in sorted(entries, key=lambda e: (e[0], e[1])))
    return Imported(ordered, tuple(skipped))


def known_names(doc: Mapping[str, Any]) -> set[str]:
    """The repo names a manifest already lists, folded as the Hub folds case."""
    models = doc.get("models") or []
    return {
        str(entry["name"]).casefold()
        for entry in models
        if isinstance(entry, Mapping) and isinstance(entry.get("name"), str)
    }


def add_entries(text: str, entries: Sequence[Entry]) -> str:
    """`text` (a models.toml) with each entry appended as a `[[models]]` table; every comment,
    blank line and layout of the file kept (tomlkit round-trips it byte for byte)."""
    doc = tomlkit.parse(text)
    models = doc.get("models")
    if models is None:
        models = tomlkit.aot()
        doc.append("models", models)
    for entry in entries:
        table = tomlkit.table()
        for key, value in entry.values.items():
            table.add(key, value)
        models.append(table)
    return tomlkit.dumps(doc)


def read_family(path: Path) -> tuple[str, dict[str, Any]]:
    """The manifest's text and its TOML data (located errors; it may have no [[models]] yet)."""
    source = read_manifest_bytes(path)
    data, _ = parse_manifest(str(path), source)
    return decode_text(source), data


def matches(repo_id: str, patterns: Sequence[str]) -> bool:
    """Whether a repo id, or its name, matches one of the globs (case ignored, as the Hub)."""
    folded = repo_id.casefold()
    name = folded.split("/", 1)[-1]
    return any(
        fnmatch.fnmatchcase(folded, p.casefold()) or fnmatch.fnmatchcase(name, p.casefold())
        for p in patterns
    )
