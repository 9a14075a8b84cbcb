"""A card's metadata as huggingface_hub's `ModelCard` reads it, without importing huggingface_hub.

`ModelCard(content).data.to_dict()` (huggingface_hub/repocard.py and repocard_data.py) does:
find the front matter with the Hub's regex (`frontmatter.FRONT_MATTER`), read it with PyYAML's
`yaml.safe_load` (YAML 1.1: an unquoted `no` is False), treat an empty block as `{}`, refuse
anything but a mapping, pass the keys as keyword arguments to `ModelCardData` (so every key must
be a string), make `tags` a list without repeats (a single string becomes a one-item list), and
drop every key whose value is None. This module does the same with PyYAML directly, so that
rendering and validating need neither huggingface_hub nor its HTTP client; a test compares it
with `ModelCard` itself.

Not reproduced: `model-index` is kept as written instead of being parsed into evaluation results
and written back (nb-release checks no key that it affects).
"""

from __future__ import annotations

from typing import Any

from pipeline.card import frontmatter


def client_card_data(content: str) -> dict[str, Any]:
    """The metadata of a whole card as `ModelCard(content).data.to_dict()` gives it.

    Raises what ModelCard raises for the same card: yaml.YAMLError for broken YAML, ValueError
    when the front matter is not a mapping, TypeError for a key that is not a string.
    """
    yaml_text, _body = frontmatter.split(content)
    if yaml_text is None:
        return {}
    frontmatter.refuse_unsafe_yaml(yaml_text, "<card>")
    return client_view(frontmatter.read_yaml11(yaml_text))


def client_view(data: Any) -> dict[str, Any]:
    """What `ModelCardData(**data).to_dict()` gives for front matter already read as YAML 1.1."""
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ValueError("repo card metadata block should be a dict")
    for key in data:
        if not isinstance(key, str):
            raise TypeError(f"keywords must be strings, not {type(key).__name__} ({key!r})")
    view = dict(data)
    if "tags" in view and view["tags"] is not None:
        tags = [view["tags"]] if isinstance(view["tags"], str) else view["tags"]
        unique: list[Any] = []
        for tag in tags:
            if tag not in unique:
                unique.append(tag)
        view["tags"] = unique
    return {key: value for key, value in view.items() if value is not None}
