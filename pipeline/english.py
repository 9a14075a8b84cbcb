"""Counts in plain English: the one rule for a number and its noun (`1 card`, `2 cards`)."""

from __future__ import annotations


def plural(count: int, noun: str, many: str | None = None) -> str:
    """`1 card`, `0 cards`, `2 cards`; `many` is the plural when it is not `noun` + "s"."""
    return f"{count} {noun if count == 1 else many or noun + 's'}"


def agrees(count: int, one: str, many: str) -> str:
    """The word that agrees with `count`: `agrees(1, "was", "were")` is "was"."""
    return one if count == 1 else many
