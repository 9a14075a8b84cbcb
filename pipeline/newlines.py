"""The one newline rule: cards are compared and canonicalised with LF endings only.

A module of its own so that modules which only compare text do not load the YAML libraries.
"""

from __future__ import annotations


def normalize_newlines(text: str) -> str:
    """\r\n and \r -> \n: the only normalisation before cards are compared or canonicalised."""
    return text.replace("\r\n", "\n").replace("\r", "\n")
