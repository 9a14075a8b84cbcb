"""Make a Plan against a Hub: render (or take the renders from the cache), read the live cards
(the listing's head shas first, then only what the cache lacks), diff, decide ownership.

No printing: callers pass progress callbacks and get a Plan back; publish.py applies it.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from concurrent.futures import Future
from dataclasses import replace
from datetime import UTC, datetime
from queue import SimpleQueue
from typing import TYPE_CHECKING

from pipeline import __version__
from pipeline.aside import ENDED, Aside, Ended, as_they_come, result_of
from pipeline.card.diff import CardDiff, diff_card
from pipeline.card.edits import read_edits
from pipeline.hub.cache import Cache, RenderIndex, card_digest, face_of
from pipeline.hub.client import (
    README,
    Hub,
    Refusal,
    as_named,
    cards_at,
    file_oids,
    read_files_against,
    repo_files,
)
from pipeline.manifest.scope import ManagedScope, managed_scope
from pipeline.manifest.selection import Selection, select
from pipeline.manifest.sources import SourceFiles, Sources, read_sources
from pipeline.ownership import PR_TITLE
from pipeline.plan.history import read_owners
from pipeline.plan.listing import (
    EarlyPulls,
    Listing,
    WarmStart,
    likely_to_differ,
    list_namespaces,
    warm_start,
)
from pipeline.plan.model import Plan, Unmanaged, make_plan
from pipeline.plan.rulecheck import run_rules
from pipeline.plan.settled import Settled, next_record, policies_of, settled_entry, settled_repos
from pipeline.records import CardFace, LiveCard, ManagedFile, OpenPull, RenderedCard, SameHead

if TYPE_CHECKING:
    from pipeline.manifest.model import Manifest
    from pipeline.plan.verify import Verification

Progress = Callable[[str], None]
# (to read from the Hub, taken from the cache): called once, before the first read
Start = Callable[[int, int], None]
# A plan's listing: each repo's head sha, each repo's file names, the states read from it
_Listed = tuple[dict[str, str], dict[str, frozenset[str]], dict[str, LiveCard]]


def render_cards(
    files: SourceFiles, manifest: Manifest, selection: Selection, cache: Cache | None
) -> list[RenderedCard]:
    """Render every selected card, or take them from the cache: all of them when the manifest,
    templates, selection and nb-release are all unchanged, else each card whose inputs are."""
    cards = cache.rendered(files.fingerprint, selection) if cache is not None else None
    return cards if cards is not None else _render(files, manifest, selection, cache)[0]


def _render(
    files: SourceFiles,
    manifest: Manifest,
    selection: Selection,
    cache: Cache | None,
    known: Mapping[str, CardFace] | None = None,
    on_card: Callable[[RenderedCard, CardFace], None] | None = None,
) -> tuple[list[RenderedCard], list[str], list[CardFace] | None]:
    """Render every selected card whose inputs changed, taking the others from the cache
    (card/incremental.py), and note the whole render's cards in the cache: the cards, every
    key, and every face (None without a cache). A card whose key is in `known` is neither read
    nor rendered (it is not in the cards; its face is known's). `on_card` hears each card of
    the cards, with its face, as soon as the render has it."""
    from pipeline.card.render import render_incremental  # only on a miss: jinja2, YAML

    known = known or {}
    had: list[CardFace] = []  # the face of each card of the cards, in order

    def heard(card: RenderedCard) -> None:
        had.append(face_of(card))
        if on_card is not None:
            on_card(card, had[-1])

    cards, keys = render_incremental(
        manifest, files, selection, cache, skip=known, on_rendered=heard
    )
    if cache is None:
        return cards, keys, None
    made = iter(had)
    faces = [known[key] if key in known else next(made) for key in keys]
    cache.put_rendered(files.fingerprint, selection, keys, faces, files.templates_fingerprint)
    return cards, keys, faces


def rendered_cards(
    files: SourceFiles, selection: Selection, cache: Cache | None
) -> list[RenderedCard]:
    """The selected cards, from the cache when these exact bytes (and this nb-release) were
    validated and rendered before: a warm run of thousands of repos need not validate the
    manifest again; else validated and rendered now."""
    cached = cache.rendered(files.fingerprint, selection) if cache is not None else None
    if cached is not None:
        return cached
    from pipeline.manifest.model import load_manifest_bytes  # pydantic: only when not cached

    manifest = load_manifest_bytes(files.manifest_path, files.manifest_bytes)
    return _render(files, manifest, selection, cache)[0]


def verify_published(
    hub: Hub, sources: Sources, selection: Selection, only: Collection[str] | None = None
) -> Verification:
    """What the Hub parsed of every selected card (or those of `only`) against the render."""
    from pipeline.plan.verify import verify_cards  # the YAML readers: only when verifying

    files = read_sources(sources.manifest, sources.cards)
    cards = rendered_cards(files, selection, hub.cache)
    if only is not None:
        cards = [card for card in cards if card.repo_id in only]
    cache = hub.cache
    endpoint = hub.target.cache_key
    same = cache.same_heads(endpoint, selection, cards) if cache is not None else {}
    return verify_cards(hub, cards, same)


def read_live(
    hub: Hub,
    cards: Sequence[RenderedCard],
    on_read: Progress | None = None,
    on_start: Start | None = None,
    same: Mapping[str, str] | None = None,
    confirm: bool = False,
    listed: Mapping[str, str] | None = None,
    early: Mapping[str, LiveCard] | None = None,
    oids: Mapping[tuple[str, str], Mapping[str, str]] | None = None,
) -> list[LiveCard]:
    """The live card of every repo, in order: from the Hub's cache when the listing shows its head
    sha is one whose README.md is cached (or, per `same`, is the rendered card itself); read
    from the Hub (and cached) otherwise.

    The listing may lag behind a repo's newest commit (a CDN, a replica): with `confirm`, each
    cache hit is first checked against the head one cheap request returns (Hub.read_head), and
    a repo whose head moved is read like a miss. `sync` and `release` confirm (they decide
    drift and publish); a plan trusts the listing (one request per 1,000 repos) and says so.

    `on_start` hears how many are read and how many came from the cache; `on_read` hears of
    each repo read from the Hub (a cache hit is no progress worth a line of its own);
    `listed` is each namespace's listing (repo id: head sha), when one was made. `early` holds
    the states already read while the cards were rendered (EarlyReads): none is read again;
    `oids` the companion files' blob ids read then (read_files_against)."""
    same = same or {}
    as_rendered = {
        card.repo_id: LiveCard(
            card.repo_id,
            exists=True,
            head_sha=same[card.repo_id],
            content=card.content,
            files=card.files,
        )
        for card in cards
        if card.repo_id in same
    }
    repo_ids = [card.repo_id for card in cards]
    if early is not None:
        # Read here only what was not read early (a noted head whose card changed).
        missing = [r for r in repo_ids if r not in early]
        states = dict(early)
        if missing:
            states.update(_read_states(hub, missing, as_rendered, on_read, None, confirm, listed))
    else:
        states = _read_states(hub, repo_ids, as_rendered, on_read, on_start, confirm, listed)
    return _with_companions(hub, cards, [states[r] for r in repo_ids], oids)


def _read_states(
    hub: Hub,
    repo_ids: Sequence[str],
    as_rendered: Mapping[str, LiveCard],
    on_read: Progress | None,
    on_start: Start | None,
    confirm: bool,
    listed: Mapping[str, str] | None,
) -> dict[str, LiveCard]:
    """read_live's README.md of each repo, by repo id (see read_live): needs no rendered card,
    so it may run while the cards are rendered."""
    cache = hub.cache
    by_namespace: dict[str, int] = {}
    for repo_id in repo_ids:
        namespace = repo_id.split("/")[0]
        by_namespace[namespace] = by_namespace.get(namespace, 0) + 1
    heads: dict[str, str] = dict(listed or {})
    if cache is not None and not hub.fresh and listed is None:
        for namespace, count in by_namespace.items():
            if count >= 2:  # a listing page costs what one read costs
                heads.update(list_namespaces(hub, [namespace])[0])
    known: dict[str, LiveCard] = {}
    endpoint = hub.target.cache_key
    for repo_id in repo_ids:
        sha = heads.get(repo_id)
        if cache is None or sha is None:
            continue
        state = as_rendered.get(repo_id)
        if state is not None and state.head_sha == sha:
            known[repo_id] = state
            continue
        found, content = cache.readme(endpoint, repo_id, sha)
        if found:
            known[repo_id] = LiveCard(repo_id, exists=True, head_sha=sha, content=content)
    if confirm and known:
        for repo_id, head in hub.read_heads(list(known)).items():
            if head != known[repo_id].head_sha:
                del known[repo_id]
    to_read = [r for r in repo_ids if r not in known]
    if on_start is not None:
        on_start(len(to_read), len(known))
    for live in hub.read_cards(to_read, on_done=on_read):
        known[live.repo_id] = live
        # Only a README read with its commit in one answer is cached: "no README" may pair a
        # 404 with a head read a moment later (see Hub.read_card).
        if cache is not None and live.exists and live.head_sha and live.content is not None:
            cache.put_readme(endpoint, live.repo_id, live.head_sha, live.content)
    return known


class EarlyReads:
    """The Hub reads of a plan, started before its cards are rendered: rendering is CPU work
    and the reads mostly wait on the wire, so a cold plan takes about the longer of the two,
    not their sum. One thread runs the listing, the README reads (bounded by the pacer, as
    ever) and the companion files' blob ids (one paths-info request per repo). It is silent:
    a template's error must be the run's first words; the plan reports its count after.

    The blob ids are taken as they come (deferred_states): once the cards are rendered, each
    answer is compared with its card while the rest are still on the wire, so what is left
    when the last answer lands is that answer's work, not the whole family's."""

    def __init__(
        self,
        hub: Hub,
        wanted: Sequence[tuple[str, tuple[str, ...]]],  # (repo id, its companion paths)
        confirm: bool,
        noted: Mapping[str, str] | None = None,
        listing: Listing | None = None,
    ) -> None:
        """`noted`: repo id: the head sha an earlier run found holding its card (SameHead); a
        repo the listing shows at that head is not read: if its card is unchanged, its entry
        needs no read (settled.py); if not, the plan reads it once the cards are rendered.
        `listing`: one already on the wire (listing.warm_start), taken if it is of these
        namespaces with the file names."""
        self._args = (hub, wanted, confirm, noted or {}, listing)
        # (repo id, sha): the companions' (and a deferred README's) blob ids, for
        # _with_companions; whole once deferred_states has returned.
        self.oids: dict[tuple[str, str], dict[str, str]] = {}
        self.read = 0  # how many cards were read from the Hub (the rest came from the cache)
        self.deferred: dict[str, str] = {}  # repo id: listed head, its README known by blob id
        self._answers: SimpleQueue[tuple[tuple[str, str], dict[str, str]] | Ended] = SimpleQueue()
        self._listed: Future[_Listed] = Future()
        self._reads = Aside(self._run, "nb-release-early-reads")

    def _run(self) -> None:
        try:
            self._read()
        finally:
            self._answers.put(ENDED)

    def _read(self) -> None:
        try:
            self._listed.set_result(self._list())
        except BaseException as exc:  # handed to the waiting thread as is
            self._listed.set_exception(exc)
            raise
        states = self._listed.result()[2]
        hub, wanted, _, _, _ = self._args
        paths = dict(wanted)
        cache, key = hub.cache, hub.target.cache_key

        def cached(repo_id: str, sha: str) -> bool:
            return cache is not None and all(
                cache.file(key, repo_id, sha, path)[0] for path in paths[repo_id]
            )

        asked = [
            (repo_id, state.head_sha, paths[repo_id])
            for repo_id, state in states.items()
            if state.head_sha is not None and paths[repo_id] and not cached(repo_id, state.head_sha)
        ] + [(repo_id, sha, (README, *paths[repo_id])) for repo_id, sha in self.deferred.items()]
        file_oids(hub, asked, lambda item, found: self._answers.put(((item[0], item[1]), found)))

    def _list(self) -> _Listed:
        hub, wanted, confirm, noted, listing = self._args
        repo_ids = [repo_id for repo_id, _ in wanted]
        namespaces = sorted({r.split("/")[0] for r in repo_ids})
        if listing is not None and listing.files_too and listing.namespaces == namespaces:
            heads, listed_files = listing.result()
        else:
            heads, listed_files = list_namespaces(hub, namespaces)
        repo_ids = [r for r in repo_ids if r not in noted or heads.get(r) != noted[r]]
        cache, key = hub.cache, hub.target.cache_key
        if not confirm:
            # A README the cache lacks at the listed head is known by its blob id, asked
            # with the companions' (one request a repo): read only if it differs from the
            # render (deferred_states, once the cards are rendered).
            cached = cache if cache is not None and cache.holds_any("readme") else None
            self.deferred = {
                r: heads[r]
                for r in repo_ids
                if r in heads and not (cached is not None and cached.readme(key, r, heads[r])[0])
            }
        rest = [r for r in repo_ids if r not in self.deferred]
        states = _read_states(hub, rest, {}, None, self._started, confirm, heads)
        self.read += len(self.deferred)
        return heads, listed_files, states

    def _started(self, to_read: int, cached: int) -> None:
        self.read = to_read

    def deferred_states(self, hub: Hub, cards: Sequence[RenderedCard]) -> dict[str, LiveCard]:
        """The deferred repos' live cards, once the cards are rendered: a README whose blob id
        is the render's is the render, one the head lacks is none, and only one that differs
        is read (at that head). Its companions are known the same way: each is the render or
        absent, else _with_companions reads it."""
        rendered = {card.repo_id: card for card in cards}
        out: dict[str, LiveCard] = {}
        differ: list[tuple[str, str]] = []
        cache, key = hub.cache, hub.target.cache_key
        for (repo_id, sha), named in as_they_come(self._answers, self._reads):
            self.oids[(repo_id, sha)] = named
            if self.deferred.get(repo_id) != sha:
                continue  # a README read whole: its companions are _with_companions' work
            card = rendered.get(repo_id)
            same, known = as_named(named.get(README), card.content) if card else (False, None)
            if card is None or not same:
                differ.append((repo_id, sha))
                continue
            files: list[ManagedFile] = []
            for file in card.files:
                settled, content = as_named(named.get(file.path), file.content or "")
                files.append(ManagedFile(file.path, content))
                if not settled:
                    files = []  # it differs: read by _with_companions
                    break
            out[repo_id] = LiveCard(
                repo_id, exists=True, head_sha=sha, content=known, files=tuple(files)
            )
            if cache is not None:
                cache.put_readme(key, repo_id, sha, known)
                for file in files:
                    cache.put_file(key, repo_id, sha, file.path, file.content)
        for (repo_id, _), live in zip(differ, cards_at(hub, differ), strict=True):
            out[repo_id] = live
        return out

    def result(self) -> _Listed:
        """The listing's heads and file names, and each non-deferred repo's state (see aside.py
        for the wait); the blob ids may still be on the wire."""
        return result_of(self._listed)


def _with_companions(
    hub: Hub,
    cards: Sequence[RenderedCard],
    live: Sequence[LiveCard],
    oids: Mapping[tuple[str, str], Mapping[str, str]] | None = None,
) -> list[LiveCard]:
    """Each live card with its companion files at the head it was read at: from the live card
    when it came whole from the cache (same heads), else each file read at that commit (the
    cache keeps a file at a sha, so a warm plan reads none). Only the paths the manifest
    declares are read."""
    wanted: list[tuple[str, str, str, str]] = []
    for card, state in zip(cards, live, strict=True):
        if state.files or not card.files or state.head_sha is None:
            continue
        wanted += [(card.repo_id, f.path, state.head_sha, f.content or "") for f in card.files]
    read = read_files_against(hub, wanted, oids) if wanted else []
    found = {(r, p, sha): content for (r, p, sha, _), content in zip(wanted, read, strict=True)}
    out: list[LiveCard] = []
    for card, state in zip(cards, live, strict=True):
        if not state.files and card.files:
            files = tuple(
                ManagedFile(f.path, found.get((card.repo_id, f.path, state.head_sha or "")))
                for f in card.files
            )
            state = replace(state, files=files)
        out.append(state)
    return out


def build_plan(
    sources: Sources,
    selection: Selection,
    hub: Hub,
    hub_label: str,
    on_read: Progress | None = None,
    on_start: Start | None = None,
    confirm: bool = False,
    start: WarmStart | None = None,
    prevalidate: bool = False,
) -> Plan:
    """Validate and render everything, then read the live cards and diff them (`confirm`: see
    read_live). The renders and live cards come from the Hub's cache (`hub.cache`) when it has
    them. `start`: the files and listing the command began with (listing.warm_start), else
    begun here; a warm plan's listing is on the wire while its cards are read from the cache.
    `prevalidate`: ask the Hub's validate-yaml about each card that would be written while the
    ownership reads are made (the command's check before any write then takes the answers)."""
    cache = hub.cache
    start = start if start is not None else warm_start(sources, selection, hub, confirm)
    files, index, listing, record = start.files, start.index, start.listing, start.record
    endpoint = hub.target.cache_key
    kept: dict[str, str] | None = None
    pulls_early = [start.pulls] if start.pulls is not None else []
    early_verdicts: _VerdictsAsked | None = None
    listed_now: tuple[dict[str, str], dict[str, frozenset[str]]] | None = None
    settled: dict[str, Settled] = {}
    faces = index.faces if index is not None else None
    if faces is not None and listing is not None and not confirm:
        # A warm plan: the repos whose listed head holds their card need no card read.
        listed_now = listing.result()
        kept = _kept_edits(files)
        settled = settled_repos(faces, record, listed_now[0], kept)
    cached = None
    if cache is not None and index is not None:
        keys = index.keys
        if settled and faces is not None:
            keys = [k for k, f in zip(keys, faces, strict=True) if f.repo_id not in settled]
        cached = cache.cards(keys)
    early: EarlyReads | None = None
    if cached is not None:
        cards = cached
        if prevalidate and faces is not None:
            early_verdicts = _VerdictsAsked(hub, record)
            by_repo = {face.repo_id: face for face in faces}
            for card in cards:
                early_verdicts.card(card, by_repo[card.repo_id])
    else:
        settled = {}
        from pipeline.manifest.model import load_manifest_bytes  # pydantic: only when not cached

        manifest = load_manifest_bytes(files.manifest_path, files.manifest_bytes)
        # A repo at the head noted for this very card is settled, whatever was rendered; the
        # cards of the last render whose key is unchanged, cards/ unchanged, are known by their
        # faces: neither read nor rendered, and compared only if their repo is not settled.
        settle = not confirm and not hub.fresh and cache is not None
        known = _known_faces(start.last, files) if settle else {}
        if cache is not None and not hub.fresh:
            wanted = [
                (v.repo_id, tuple(f.path for f in v.files)) for v in select(manifest, selection)
            ]
            noted = {r: head.sha for r, head in record.items()} if settle else None
            # Silent while the cards render: a template's error must be the run's first words.
            early = EarlyReads(hub, wanted, confirm, noted, listing)
        early_verdicts = _VerdictsAsked(hub, record) if prevalidate else None
        ask = early_verdicts.card if early_verdicts is not None else None
        rendered, keys, made_faces = _render(files, manifest, selection, cache, known, ask)
        cards = rendered
        faces = tuple(made_faces) if made_faces is not None else None
        pulls_early += _pulls_early(hub, faces, record, pulls_early)
        if settle and faces is not None and early is not None:
            listed_now = early.result()[:2]
            kept = _kept_edits(files)
            settled = settled_repos(faces, record, listed_now[0], kept)
            compared = _compared(cache, rendered, keys, faces, known, settled)
            if compared is None:  # a known card's entry is gone (the cache's limit): render it
                settled = {}
                compared = _render(files, manifest, selection, cache)[0]
            cards = compared
    if hub.target.local and hub.fresh:
        # A new embedded local Hub starts as an empty mirror of the family: every repo exists,
        # none has a card, so the first release shows `create` for each (never on a real Hub).
        for card in cards:
            hub.create_repo(card.repo_id)
    # Each compared card's digest: its face's (worked out when it was rendered), else now.
    by_face = {face.repo_id: face.digest for face in faces} if faces is not None else {}
    digests = (
        {card.repo_id: by_face.get(card.repo_id) or card_digest(card) for card in cards}
        if cache is not None
        else {}
    )
    same = {
        repo_id: head.sha
        for repo_id, head in record.items()
        if repo_id in digests and head.digest == digests[repo_id]
    }
    # The one listing per namespace: the heads read_live needs, the file names the rules read.
    states: dict[str, LiveCard] | None = None
    namespaces = sorted({card.repo_id.split("/")[0] for card in cards})
    if early is not None:
        heads, listed_files, states = early.result()
        states = {**states, **early.deferred_states(hub, cards)}
        if on_start is not None:
            on_start(early.read, len(states) - early.read + len(settled))
    elif listed_now is not None and listing is not None:
        heads, listed_files = listed_now
        if not listing.files_too:  # the heads alone: the compared repos' file names now
            listed_files = {**listed_files, **_files_of(hub, cards, heads, listing.namespaces)}
    elif listing is not None and listing.namespaces == namespaces and listing.files_too:
        heads, listed_files = listing.result()
    else:
        heads, listed_files = list_namespaces(hub, namespaces)
    # A compared card whose repo is still at the head noted for another card differs for sure:
    # the user its pull request would be found under is asked now, beside the reads to come.
    user = None
    if hub.target.token and any(
        (head := record.get(c.repo_id)) is not None
        and heads.get(c.repo_id) == head.sha
        and head.digest != digests.get(c.repo_id)
        for c in cards
    ):
        user = Aside(hub.whoami)
    order = [face.repo_id for face in faces] if settled and faces is not None else None
    noted_rules = {r: (s.face.variant, s.head.failed or ()) for r, s in settled.items()}
    findings = run_rules(
        files.manifest_path, files.manifest_bytes, cards, listed_files, noted_rules, order
    )
    listed = heads if cache is not None and not hub.fresh else {}
    oids = early.oids if early is not None else None

    def started(to_read: int, taken: int) -> None:
        if on_start is not None:
            on_start(to_read, taken + len(settled))  # a settled card came from the cache too

    live = read_live(hub, cards, on_read, started, same, confirm, listed, states, oids)
    if cache is not None:
        now = next_record(cards, live, heads, findings, settled, digests, record)
        if now != record:
            cache.put_same_record(endpoint, selection, now)
    diffs = [diff_card(card, state) for card, state in zip(cards, live, strict=True)]
    # The cards sure to be written under any policy: new ones, and those whose repo holds the
    # card nb-release found there last (no hand in it: pending, not drift).
    writing = {
        c.repo_id: c.content
        for c, d, state in zip(cards, diffs, live, strict=True)
        if d.writes
        and (
            d.action != "update"
            or ((head := record.get(c.repo_id)) is not None and head.sha == state.head_sha)
        )
    }
    verdicts = None
    if prevalidate and writing:

        def validated() -> dict[str, list[Refusal]]:
            if early_verdicts is not None:
                early_verdicts.settle()  # its answers are the Hub object's: not asked twice
            return hub.validate_cards(writing)

        verdicts = Aside(validated)
    kept = kept if kept is not None else _kept_edits(files)
    # Who made each changed card and file, and the open pull requests: asked side by side (the
    # pull requests asked early are taken).
    pull_repos = _may_have_pulls(diffs, kept)
    asked, pulls = _taken(pulls_early, pull_repos)
    pull_repos = [r for r in pull_repos if r not in asked]
    found = read_owners(hub, cards, live, diffs, kept, pull_repos, PR_TITLE)
    owners, file_owners, pulls = found.cards, found.files, {**pulls, **found.pulls}
    policies = {card.repo_id: policies_of(card.on_drift, card.on_adopt) for card in cards}
    plan = make_plan(
        diffs,
        cards,
        live,
        hub=hub_label,
        fingerprint=files.fingerprint,
        tool_version=__version__,
        now=datetime.now(UTC),
        owners=owners,
        policies=policies,
        pulls=pulls,
        file_owners=file_owners,
    )
    for aside in (user, verdicts, early_verdicts):
        if aside is not None:
            # Its answer is the Hub object's (kept); its failure is met where it is asked again.
            aside.settle()
    if order is not None:
        made = {entry.repo_id: entry for entry in plan.entries}
        entries = tuple(settled_entry(settled[r]) if r in settled else made[r] for r in order)
        plan = replace(plan, entries=entries)
    plan = replace(plan, findings=findings)
    scope = managed_scope(files.manifest_path, files.manifest_bytes)
    if scope is None:
        return plan
    listings = {
        namespace: {r: heads.get(r, "") for r in listed_files if r.split("/")[0] == namespace}
        for namespace in {r.split("/")[0] for r in listed_files}
    }
    repo_ids = [entry.repo_id for entry in plan.entries]
    return replace(plan, unmanaged=unmanaged_repos(scope, selection, repo_ids, listings))


def _known_faces(last: RenderIndex | None, files: SourceFiles) -> dict[str, CardFace]:
    """The faces of the last render's cards by key, when cards/ is byte for byte what it
    rendered from (a card with the same key is then the same card); else none."""
    if last is None or last.faces is None or last.templates != files.templates_fingerprint:
        return {}
    return dict(zip(last.keys, last.faces, strict=True))


def _compared(
    cache: Cache | None,
    rendered: Sequence[RenderedCard],
    keys: Sequence[str],
    faces: Sequence[CardFace],
    known: Mapping[str, CardFace],
    settled: Mapping[str, Settled],
) -> list[RenderedCard] | None:
    """The cards a plan compares, in order: each one whose repo is not settled, rendered now
    or, when known, read from the cache (None when one is missing there)."""
    made = iter(rendered)
    wanted: list[tuple[int, str]] = []
    cards: list[RenderedCard | None] = []
    for key, face in zip(keys, faces, strict=True):
        if key not in known:
            card = next(made)
            if face.repo_id not in settled:
                cards.append(card)
        elif face.repo_id not in settled:
            wanted.append((len(cards), key))
            cards.append(None)
    if wanted:
        read = cache.cards([key for _, key in wanted]) if cache is not None else None
        if read is None:
            return None
        for (at, _), card in zip(wanted, read, strict=True):
            cards[at] = card
    return [card for card in cards if card is not None]


def _files_of(
    hub: Hub, cards: Sequence[RenderedCard], heads: Mapping[str, str], namespaces: Sequence[str]
) -> dict[str, frozenset[str]]:
    """The file paths of the compared cards' repos at their listed heads, for a plan whose
    listing named the heads alone: one request a repo (each commit's read once, cached), or,
    when that would cost more than a listing with file names, that listing."""
    wanted = [(card.repo_id, heads[card.repo_id]) for card in cards if card.repo_id in heads]
    if len(wanted) <= 8 * max(1, len(namespaces)):
        return repo_files(hub, wanted)
    return list_namespaces(hub, namespaces)[1]


def _kept_edits(files: SourceFiles) -> dict[str, str]:
    """The edited card of each repo whose hand edit the project keeps (card/edits.py): a live
    card equal to it is nb-release's own (ownership.decide_update)."""
    return {
        repo_id: edit.edited
        for repo_id, edit in read_edits(files.cards_dir, files.templates).items()
    }


def unmanaged_repos(
    scope: ManagedScope,
    selection: Selection,
    repo_ids: Sequence[str],
    listings: Mapping[str, Mapping[str, str]],
) -> Unmanaged:
    """The repos of the family's scope that the manifest lacks, from the listing the plan
    already made (never a request of its own); not checked without one, or under a selection
    (the cards then are not the whole manifest)."""
    listed = listings.get(scope.namespace)
    if listed is None or selection.only or selection.exclude:
        return Unmanaged(scope.describe(), None)
    known = {repo_id.casefold() for repo_id in repo_ids}
    missing = sorted(r for r in listed if scope.matches(r) and r.casefold() not in known)
    return Unmanaged(scope.describe(), tuple(missing))


def _pulls_early(
    hub: Hub,
    faces: Sequence[CardFace] | None,
    record: Mapping[str, SameHead],
    asked: Sequence[EarlyPulls],
) -> list[EarlyPulls]:
    """The open pull requests of the repos likely to differ (listing.likely_to_differ), asked
    as soon as the cards are rendered: beside the listing still on the wire, not after it; none
    `asked` already. Nothing without a token."""
    if faces is None or not hub.target.token:
        return []
    known = frozenset().union(*(early.asked for early in asked))
    likely = [r for r in likely_to_differ(faces, record, hub.concurrency) if r not in known]
    return [EarlyPulls(hub, likely)] if likely else []


class _VerdictsAsked:
    """The Hub's validate-yaml on each card whose repo's noted head holds another card (a pending
    change: listing.likely_to_differ), asked the moment the plan has the card: while the others
    are rendered, and before the reads that tell what the plan writes (the check before any
    write takes the answers, which the Hub object keeps). A few at the most: a family seen
    afresh is asked where the plan needs it."""

    def __init__(self, hub: Hub, record: Mapping[str, SameHead]) -> None:
        self._hub, self._record = hub, record
        self._asked: list[Aside[dict[str, list[Refusal]]]] = []

    def card(self, card: RenderedCard, face: CardFace) -> None:
        head = self._record.get(card.repo_id)
        if head is None or head.digest == face.digest or len(self._asked) >= self._hub.concurrency:
            return
        contents = {card.repo_id: card.content}
        self._asked.append(Aside(lambda: self._hub.validate_cards(contents)))

    def settle(self) -> None:
        """Wait until every answer is in (raising nothing: see Aside.settle)."""
        for read in self._asked:
            read.settle()


def _taken(
    early: Sequence[EarlyPulls], wanted: Sequence[str]
) -> tuple[frozenset[str], dict[str, OpenPull]]:
    """(the repos of `wanted` whose pull requests were asked early, their open pull requests).
    A repo asked early that is not wanted after all (a guess, or its head moved to this very
    card) cost one request; an early read that failed is made again where the plan needs
    it."""
    taken: set[str] = set()
    pulls: dict[str, OpenPull] = {}
    wanted_now = set(wanted)
    for read in early:
        found = read.found()
        if found is None:
            continue
        taken |= read.asked & wanted_now
        pulls.update({r: pull for r, pull in found.items() if r in wanted_now})
    return frozenset(taken), pulls


def _may_have_pulls(diffs: Sequence[CardDiff], kept: Mapping[str, str]) -> list[str]:
    """The repos whose open pull request from nb-release a plan looks for (one listing each):
    every card that differs from its render, and every card whose hand edit the project keeps
    (such a pull request, proposing the render over the edit, is no longer needed once the
    edit is kept). A card equal to its render with no kept edit costs nothing."""
    return [d.repo_id for d in diffs if d.action == "update" or d.repo_id in kept]
