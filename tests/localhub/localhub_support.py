"""Shared data of the local Hub tests (a plain module: `conftest` is ambiguous across folders)."""

from __future__ import annotations

PAGE_SIZE = 2  # small, so every listing in these tests spans pages

CARD = """---
license: llama3.1
language:
- no  # Generic Norwegian
- nb
- en
pipeline_tag: text-generation
library_name: transformers
base_model: meta-llama/Llama-3.1-8B
tags:
- norwegian
---
# NB-Llama

A card.
"""
