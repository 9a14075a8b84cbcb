"""All Hub I/O: the only module of pipeline/ that imports huggingface_hub.

(Being filled in by the plan/apply work; `client_card_data` is used by the metadata checks.)
"""

from __future__ import annotations

from typing import Any

from huggingface_hub import ModelCard


def client_card_data(content: str) -> dict[str, Any]:
    """The metadata as huggingface_hub's ModelCard reads it (PyYAML, YAML 1.1 semantics)."""
    data: dict[str, Any] = ModelCard(content, ignore_metadata_errors=True).data.to_dict()
    return data
