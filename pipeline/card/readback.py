"""Pure: what a card means against what the Hub read of it (`nb-release verify`).

The rule, key by key (README, "Verified after"):
- license, language, base_model, base_model_relation, datasets, model-index: the Hub's
  `cardData` value equals the rendered front matter's, as data (same_data: `false` is not "no");
  a key set on one side only is a mismatch too.
- pipeline_tag, library_name: the Hub's own field (it may infer one a card does not declare, so
  an undeclared one is not compared), else its `cardData` value.
- tags: `cardData.tags` equals the card's tags, and every one of them is among the Hub's tags
  (the Hub adds its own: languages, `license:...`, regions). When the Hub lists tags it derives
  from base_model (any `base_model:...` tag), `base_model:<id>` for each base model, and
  `base_model:<relation>:<id>` when the card declares base_model_relation, must be among them.
- a YAML 1.1 reader (PyYAML, and so huggingface_hub's ModelCard) must read the card's text as
  the card means it: an unquoted `no` read as false is a mismatch, named as that reader's.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pipeline.card import _carddata as carddata
from pipeline.card import frontmatter
from pipeline.card._samedata import same_data
from pipeline.records import ListedModel

KEYS = (
    "license",
    "language",
    "base_model",
    "base_model_relation",
    "pipeline_tag",
    "library_name",
    "tags",
    "datasets",
    "model-index",
)
HUB = "the Hub"
YAML11 = "a YAML 1.1 reader"
NOT_SET = object()


@dataclass(frozen=True)
class Mismatch:
    """One key of one repo whose value as read is not the value meant."""

    repo_id: str
    key: str
    meant: str  # shown as JSON ("not set" when absent)
    read: str
    reader: str  # HUB or YAML11


def meant_data(content: str) -> dict[str, Any]:
    """The front matter of a rendered card, as nb-release means it (YAML 1.2)."""
    yaml_text, _body = frontmatter.split(content)
    data = frontmatter.load(yaml_text) if yaml_text is not None else {}
    return data if isinstance(data, dict) else {}


def show(value: object) -> str:
    if value is NOT_SET:
        return "not set"
    return json.dumps(value, ensure_ascii=False, default=str)


def compare(
    repo_id: str, meant: Mapping[str, Any], listed: ListedModel, live_text: str | None = None
) -> list[Mismatch]:
    """Every key of KEYS whose value the Hub (or a YAML 1.1 reader of `live_text`, the card's
    text at the listed head when known) reads otherwise than `meant`."""
    found: list[Mismatch] = []
    read = listed.card_data or {}

    def differ(key: str, want: object, got: object, reader: str = HUB) -> None:
        found.append(Mismatch(repo_id, key, show(want), show(got), reader))

    for key in KEYS:
        want = meant.get(key, NOT_SET)
        got = read.get(key, NOT_SET)
        if key in ("pipeline_tag", "library_name"):
            if want is NOT_SET:
                if got is not NOT_SET:
                    differ(key, want, got)
                continue
            field = getattr(listed, key)
            got = field if field is not None else got
        if not _same(want, got):
            differ(key, want, got)
    found += _hub_tags(repo_id, meant, listed)
    if live_text is not None:
        clean = {m.key for m in found}
        found += [
            Mismatch(repo_id, m.key, m.meant, m.read, YAML11)
            for m in _yaml11(repo_id, meant, live_text)
            if m.key not in clean
        ]
    return found


def _same(want: object, got: object) -> bool:
    if want is NOT_SET or got is NOT_SET:
        return want is got
    return same_data(want, got)


def _hub_tags(repo_id: str, meant: Mapping[str, Any], listed: ListedModel) -> list[Mismatch]:
    wanted = [t for t in _as_list(meant.get("tags")) if isinstance(t, str)]
    if any(tag.startswith("base_model:") for tag in listed.tags):
        relation = meant.get("base_model_relation")
        for base in (b for b in _as_list(meant.get("base_model")) if isinstance(b, str)):
            wanted.append(f"base_model:{base}")
            if isinstance(relation, str):
                wanted.append(f"base_model:{relation}:{base}")
    missing = [tag for tag in dict.fromkeys(wanted) if tag not in listed.tags]
    if not missing:
        return []
    return [
        Mismatch(
            repo_id,
            "tags",
            f"among the Hub's tags: {show(missing)}",
            f"not there: {show(list(listed.tags))}",
            HUB,
        )
    ]


def _yaml11(repo_id: str, meant: Mapping[str, Any], text: str) -> list[Mismatch]:
    try:
        read = carddata.client_card_data(text)
    except Exception as exc:  # the reader's own failure (broken YAML) is what it reads
        return [
            Mismatch(repo_id, "front matter", "readable YAML", f"{exc}".splitlines()[0], YAML11)
        ]
    return [
        Mismatch(repo_id, key, show(meant.get(key, NOT_SET)), show(read.get(key, NOT_SET)), YAML11)
        for key in KEYS
        if not _same(meant.get(key, NOT_SET), read.get(key, NOT_SET))
    ]


def _as_list(value: object) -> list[object]:
    if isinstance(value, list):
        return value
    return [] if value is None else [value]
