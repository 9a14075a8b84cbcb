"""The tags the Hub derives from a card's metadata: what a model's `tags` hold beside the card's
own, in model_info and the listing, and what `list_models(filter=...)` matches.

From the card, in the Hub's order (dropping repeats, the first kept):

* `library_name`, then `pipeline_tag`, then the card's own `tags`;
* each `language` code;
* `dataset:<id>` for each of `datasets`;
* `base_model:<id>` for each base model, then `base_model:<relation>:<id>` for each when the card
  declares `base_model_relation` (adapter, merge, quantized or finetune);
* `license:<id>`.

Known differences from the Hub, which also reads the repo's files: it infers a relation when the
card declares none (quantized for GGUF files, adapter for a PEFT adapter, merge for several base
models, else finetune, by heuristics it does not publish), and derives tags from the files and
config (`safetensors`, `gguf`, the model type, `conversational`, `endpoints_compatible`,
`region:us`, `arxiv:` ids from the card's text). The local Hub derives none of these.
"""

from __future__ import annotations

from typing import Any

from pipeline import hubrules

JSON = Any


def tags(card: dict[str, JSON]) -> list[str]:
    """The tags of a model whose card has this metadata (`cardData`)."""
    found = [*_strings(card.get("library_name")), *_strings(card.get("pipeline_tag"))]
    found += _strings(card.get("tags"))
    found += _strings(card.get("language"))
    found += [f"dataset:{name}" for name in _strings(card.get("datasets"))]
    bases = _strings(card.get("base_model"))
    found += [f"base_model:{base}" for base in bases]
    relation = card.get("base_model_relation")
    if isinstance(relation, str) and relation in hubrules.BASE_MODEL_RELATIONS:
        found += [f"base_model:{relation}:{base}" for base in bases]
    found += [f"license:{name}" for name in _strings(card.get("license"))]
    return list(dict.fromkeys(found))


def _strings(value: JSON) -> list[str]:
    """A key's value as the strings it names: one string, or the strings of a list."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [item for item in value if isinstance(item, str)]
    return []
