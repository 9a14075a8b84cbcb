"""Make a Plan against a Hub: render (or take the renders from the cache), read the live cards
(the listing's head shas first, then only what the cache lacks), diff, decide ownership.

No printing: callers pass progress callbacks and get a Plan back; publish.py applies it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from pipeline import __version__
from pipeline.cache import Cache
from pipeline.diff import diff_card
from pipeline.history import read_ownership
from pipeline.hub import Hub
from pipeline.manifest import Manifest, load_manifest_bytes
from pipeline.ownership import Policy, resolve_policy
from pipeline.plan import Plan, make_plan
from pipeline.records import LiveCard, RenderedCard
from pipeline.render import render_all
from pipeline.selection import Selection
from pipeline.sources import SourceFiles, Sources, read_sources

Progress = Callable[[str], None]


def render_cards(
    files: SourceFiles, manifest: Manifest, selection: Selection, cache: Cache | None
) -> list[RenderedCard]:
    """Render every selected card, or take them from the cache when the manifest, templates,
    selection and nb-release are all unchanged (the render would be the same)."""
    cards = cache.rendered(files.fingerprint, selection) if cache is not None else None
    if cards is None:
        cards = render_all(manifest, files, selection)
        if cache is not None:
            cache.put_rendered(files.fingerprint, selection, cards)
    return cards


def read_live(
    hub: Hub, repo_ids: Sequence[str], cache: Cache | None, on_read: Progress | None = None
) -> list[LiveCard]:
    """The live card of every repo, in order: from the cache when the listing shows its head
    sha is one whose README.md is cached; read from the Hub (and cached) otherwise."""
    by_namespace: dict[str, int] = {}
    for repo_id in repo_ids:
        namespace = repo_id.split("/")[0]
        by_namespace[namespace] = by_namespace.get(namespace, 0) + 1
    heads: dict[str, str] = {}
    if cache is not None and not hub.fresh:
        for namespace, count in by_namespace.items():
            if count >= 2:  # a listing page costs what one read costs
                heads.update(hub.list_heads(namespace))
    known: dict[str, LiveCard] = {}
    endpoint = hub.target.cache_key
    for repo_id in repo_ids:
        sha = heads.get(repo_id)
        if cache is None or sha is None:
            continue
        found, content = cache.readme(endpoint, repo_id, sha)
        if found:
            known[repo_id] = LiveCard(repo_id, exists=True, head_sha=sha, content=content)
            if on_read is not None:
                on_read(repo_id)
    to_read = [r for r in repo_ids if r not in known]
    for card in hub.read_cards(to_read, on_done=on_read):
        known[card.repo_id] = card
        # Only a README read with its commit in one answer is cached: "no README" may pair a
        # 404 with a head read a moment later (see Hub.read_card).
        if cache is not None and card.exists and card.head_sha and card.content is not None:
            cache.put_readme(endpoint, card.repo_id, card.head_sha, card.content)
    return [known[r] for r in repo_ids]


def build_plan(
    sources: Sources,
    selection: Selection,
    hub: Hub,
    hub_label: str,
    on_read: Progress | None = None,
    on_start: Callable[[int], None] | None = None,
    cache: Cache | None = None,
) -> Plan:
    """Validate and render everything, then read the live cards and diff them."""
    files = read_sources(sources.manifest, sources.cards)  # read once: hashed = rendered
    cached = cache.rendered(files.fingerprint, selection) if cache is not None else None
    if cached is not None:
        # These exact bytes (and this nb-release) were validated and rendered before: a warm
        # plan of thousands of repos need not validate the manifest again.
        cards = cached
    else:
        manifest = load_manifest_bytes(files.manifest_path, files.manifest_bytes)
        cards = render_cards(files, manifest, selection, cache)
    if on_start is not None:
        on_start(len(cards))
    if hub.target.local and hub.fresh:
        # A new embedded local Hub starts as an empty mirror of the family: every repo exists,
        # none has a card, so the first release shows `create` for each (never on a real Hub).
        for card in cards:
            hub.create_repo(card.repo_id)
    live = read_live(hub, [c.repo_id for c in cards], cache, on_read)
    diffs = [diff_card(card, state) for card, state in zip(cards, live, strict=True)]
    owners = read_ownership(hub, cards, live, diffs)
    policies: dict[str, tuple[Policy | None, Policy | None]] = {
        card.repo_id: (
            resolve_policy(card.on_drift, default="skip") if card.on_drift else None,
            resolve_policy(card.on_adopt, default="skip") if card.on_adopt else None,
        )
        for card in cards
    }
    return make_plan(
        diffs,
        cards,
        live,
        hub=hub_label,
        fingerprint=files.fingerprint,
        tool_version=__version__,
        now=datetime.now(UTC),
        owners=owners,
        policies=policies,
    )
