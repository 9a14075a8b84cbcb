"""What a plan may tell from the raw parse of the manifest before it is validated, to start
reading while it validates and renders: the variants an edit touched (from two raw parses, the
one the cache kept of its earlier bytes and this run's), and the namespaces of a family seen for
the first time. A guess, never an answer: the plan still reads whatever it finds it needs, and
a wrong guess costs a read at the most."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def touched_variants(
    earlier: Mapping[str, Any], now: Mapping[str, Any], limit: int
) -> frozenset[str] | None:
    """The names of the `[[models]]` entries that differ between the two parses (added ones
    too), with every entry whose base_model names one of them, down the chain (it inherits
    from it). None when anything else changed (`[defaults]`, a `[kinds]` table: they reach
    any number of cards), when an entry has no name, or when more than `limit` are touched."""
    old_models, new_models = earlier.get("models"), now.get("models")
    if not isinstance(old_models, list) or not isinstance(new_models, list):
        return None
    if {k: v for k, v in earlier.items() if k != "models"} != {
        k: v for k, v in now.items() if k != "models"
    }:
        return None
    old, new = _by_name(old_models), _by_name(new_models)
    if old is None or new is None:
        return None
    touched = {name for name, entry in new.items() if old.get(name) != entry}
    while True:
        children = {
            name for name, entry in new.items() if name not in touched and _parent(entry) in touched
        }
        if not children:
            break
        touched |= children
        if len(touched) > limit:
            return None
    if len(touched) > limit:
        return None
    return frozenset(touched)


def _by_name(entries: list[Any]) -> dict[str, Mapping[str, Any]] | None:
    out: dict[str, Mapping[str, Any]] = {}
    for entry in entries:
        name = entry.get("name") if isinstance(entry, dict) else None
        if not isinstance(name, str) or name in out:
            return None
        out[name] = entry
    return out


def _parent(entry: Mapping[str, Any]) -> str | None:
    """The name of the variant `entry` may inherit from: its base_model's last part (a repo id
    of the manifest's own namespace, or another's of the same name: a guess either way)."""
    base = entry.get("base_model")
    return base.rsplit("/", 1)[-1] if isinstance(base, str) else None


def raw_namespaces(document: Mapping[str, Any]) -> list[str] | None:
    """The namespaces of the `[[models]]` entries, as validation will resolve them (the entry's
    own, else its kind's, else `[defaults]`'s), sorted; None when one cannot be told."""
    models, kinds, defaults = (
        document.get("models"),
        document.get("kinds"),
        document.get("defaults"),
    )
    if not isinstance(models, list) or not models:
        return None
    kinds = kinds if isinstance(kinds, dict) else {}
    defaults = defaults if isinstance(defaults, dict) else {}
    found: set[str] = set()
    for entry in models:
        if not isinstance(entry, dict):
            return None
        name = entry.get("kind")
        kind = kinds.get(name) if isinstance(name, str) else None
        layers = [entry, kind if isinstance(kind, dict) else {}, defaults]
        namespace = next((layer["namespace"] for layer in layers if "namespace" in layer), None)
        if not isinstance(namespace, str) or not namespace:
            return None
        found.add(namespace)
    return sorted(found)
