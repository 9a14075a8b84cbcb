"""Incremental render: what one card reads, as a key, so that only a card whose inputs changed
is rendered again.

A card is a function of (a) its context, built from the resolved manifest: its variant (after
inheritance), its parent variant, the quantised variants made from it, the manifest's links and
its evaluation results; (b) the kept edit of its repo; (c) the files under cards/ its render
loads: the template, every template it extends, includes or imports, every data file it reads
(`data_file()`), and its companions' templates; (d) the project files its companions copy; and
(e) nb-release's own code. (a), (b) and (d) are known before rendering and make the card's key
(`card_key`); (c) is known only once it has rendered, so the entry keeps the digest of each file
the render loaded (`CardEnvironment.reads`), and the entry is taken only while every one of
those files is byte for byte the same (`still_valid`). That is sound because a render is
deterministic: with the same context and the same bytes of every file it loaded, it loads the
same files in the same order and writes the same card. A name it asked for that did not exist is
kept as absent, so a file added under that name later is a change too. (e) is part of the
cache's own key (hub/cache.py).

A card reads no position: `model.index` and `model.line` are where the variant stands in
models.toml (for located messages), not what it is, so the context carries them as 0 and None
(`position_free`), and an edit that shifts lines leaves the cards below it alone.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Protocol

from pipeline.manifest.sources import Store
from pipeline.records import RenderedCard

if TYPE_CHECKING:
    from pipeline.card.edits import Edit
    from pipeline.manifest.model import Variant
    from pipeline.manifest.results import Result

Reads = Mapping[str, str | None]  # a file under cards/ -> sha256 of its bytes (None: absent)


class CardStore(Store, Protocol):
    """Where rendered cards are kept by key, and any other entry by kind and key (the compiled
    templates: _templating.CompiledTemplates); hub/cache.py's Cache is one."""

    def card(self, key: str) -> tuple[RenderedCard, dict[str, str | None]] | None: ...

    def put_card(self, key: str, card: RenderedCard, reads: dict[str, str | None]) -> None: ...


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def position_free(variant: Variant) -> Variant:
    """The variant as a card sees it: without its place in models.toml. (A copy of its fields
    with two changed, not dataclasses.replace: a plan of 5,000 variants asks this 15,000 times,
    and the variant is validated already.)"""
    if variant.index == 0 and variant.line is None:
        return variant
    free = object.__new__(type(variant))
    free.__dict__.update(variant.__dict__, index=0, line=None)
    return free


def card_key(
    variant: Variant,
    parent: Variant | None,
    quantized: Sequence[Variant],
    links: Mapping[str, str],
    results: Sequence[Result],
    edit: Edit | None,
    copies: Mapping[str, bytes],
) -> str:
    """sha256 of everything a card's render reads that is known before it renders."""
    copied = sorted(
        (f.copy, digest(copies[f.copy]) if f.copy in copies else None)
        for f in variant.files
        if f.copy is not None
    )
    parts = (
        position_free(variant),
        position_free(parent) if parent is not None else None,
        tuple(position_free(v) for v in quantized),
        sorted(links.items()),
        tuple(results),
        (edit.patch_file, edit.base, edit.edited) if edit is not None else None,
        copied,
    )
    return "card:" + digest(repr(parts).encode("utf-8"))


def digests(files: Mapping[str, bytes]) -> dict[str, str]:
    """The digest of every file under cards/, worked out once per render."""
    return {name: digest(data) for name, data in files.items()}


def reads_of(names: Sequence[str] | set[str], known: Mapping[str, str]) -> dict[str, str | None]:
    """The digests of the files a render loaded (None for a name that did not exist)."""
    return {name: known.get(name) for name in sorted(names)}


def still_valid(reads: Reads, known: Mapping[str, str]) -> bool:
    """Whether every file a cached render loaded is still what it was."""
    return all(known.get(name) == sha for name, sha in reads.items())
