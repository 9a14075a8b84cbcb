"""Read back what the Hub parsed of every managed card and compare it with what was meant.

One listing per namespace (1,000 repos a page, `expand` naming the parsed fields), so N repos
cost ceil(N/1000) requests per namespace. The YAML 1.1 check needs the card's text at the listed
head: it is the rendered card when the cache knows that head holds it, or the cached README at
that head; only a card whose text at that head the cache does not know is read (one request).
A card found read as meant is noted in the cache with a digest of all its comparison read (the
card, the Hub's answer, the text): the next verify compares again only what changed.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass

from pipeline.card.readback import Mismatch, compare, meant_data
from pipeline.hub.client import Hub
from pipeline.records import ListedModel, RenderedCard


@dataclass(frozen=True)
class Verification:
    """What `verify` found: the repos checked, in manifest order, and every mismatch."""

    hub: str  # the target as shown to the user
    repos: tuple[str, ...]
    mismatches: tuple[Mismatch, ...]
    unlisted: tuple[str, ...]  # managed repos the listing does not show (or without a card)
    read: int  # cards whose text was read for the YAML 1.1 check (not known to the cache)

    @property
    def ok(self) -> bool:
        return not self.mismatches and not self.unlisted


def verify_cards(
    hub: Hub, cards: Sequence[RenderedCard], same: dict[str, str] | None = None
) -> Verification:
    """Compare each card's front matter with what the Hub's listing shows it parsed.

    `same`: repo -> a head sha known to hold exactly the rendered card (the cache's record)."""
    listed: dict[str, ListedModel] = {}
    for namespace in dict.fromkeys(card.repo_id.split("/")[0] for card in cards):
        # The listing names repos as the Hub spells them; the manifest's case may differ.
        listed.update({k.lower(): v for k, v in hub.list_parsed(namespace).items()})
    texts, read = _texts(hub, cards, listed, same or {})
    mismatches: list[Mismatch] = []
    unlisted: list[str] = []
    cache, endpoint = hub.cache, hub.target.cache_key
    before = cache.verified(endpoint) if cache is not None else {}
    verified = dict(before)
    for card in cards:
        model = listed.get(card.repo_id.lower())
        verified.pop(card.repo_id, None)
        if model is None or model.card_data is None:
            unlisted.append(card.repo_id)
            continue
        text = texts.get(card.repo_id)
        seen = _compared(card, model, text)
        if before.get(card.repo_id) == seen:
            verified[card.repo_id] = seen  # compared before, to the same answer: read as meant
            continue
        found = compare(card.repo_id, meant_data(card.content), model, text)
        mismatches += found
        if not found:
            verified[card.repo_id] = seen
    if cache is not None and verified != before:
        cache.put_verified(endpoint, verified)
    return Verification(
        hub=hub.target.display,
        repos=tuple(card.repo_id for card in cards),
        mismatches=tuple(mismatches),
        unlisted=tuple(unlisted),
        read=read,
    )


def _compared(card: RenderedCard, model: ListedModel, text: str | None) -> str:
    """A digest of all a card's comparison reads: the card, what the Hub parsed of it and the
    text at its head. The same digest, the same verdict (compare is a pure function)."""
    seen = json.dumps([card.content, asdict(model), text], sort_keys=True, default=str)
    return hashlib.sha256(seen.encode("utf-8", "surrogatepass")).hexdigest()


def _texts(
    hub: Hub,
    cards: Sequence[RenderedCard],
    listed: dict[str, ListedModel],
    same: dict[str, str],
) -> tuple[dict[str, str], int]:
    """The text of each card at its listed head, known (cache) or read; how many were read."""
    texts: dict[str, str] = {}
    to_read: list[str] = []
    cache = hub.cache
    for card in cards:
        model = listed.get(card.repo_id.lower())
        sha = model.sha if model is not None else None
        if model is None or model.card_data is None or sha is None:
            continue
        if same.get(card.repo_id) == sha:
            texts[card.repo_id] = card.content
            continue
        if cache is not None:
            found, content = cache.readme(hub.target.cache_key, card.repo_id, sha)
            if found and content is not None:
                texts[card.repo_id] = content
                continue
        to_read.append(card.repo_id)
    for live in hub.read_cards(to_read):
        if live.content is not None:
            texts[live.repo_id] = live.content
    return texts, len(to_read)
