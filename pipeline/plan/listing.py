"""The namespace listing a plan reads (one request per 1,000 repos: every repo's head sha and
file names), and a warm plan's head start: its listing goes on the wire as soon as the Hub is
open, before the plan's own code is even loaded.

Light on purpose: it imports only what a command has loaded by the time it opens the Hub, so
that starting the listing costs nothing the plan would not pay anyway.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from pipeline.aside import Aside
from pipeline.hub.cache import RenderIndex
from pipeline.hub.client import Hub, find_open_pulls
from pipeline.manifest.selection import Selection
from pipeline.manifest.sources import SourceFiles, Sources, read_sources, toml_document
from pipeline.manifest.touched import raw_namespaces, touched_variants
from pipeline.ownership import PR_TITLE
from pipeline.records import CardFace, OpenPull, SameHead

Heads = dict[str, str]  # repo id: head sha
Paths = dict[str, frozenset[str]]  # repo id: the paths of its files


def list_namespaces(
    hub: Hub, namespaces: Sequence[str], files_too: bool = True
) -> tuple[Heads, Paths]:
    """The head sha and the file paths of every repo of these namespaces: one listing each
    (without `files_too`, a lighter one: every repo's paths empty)."""
    heads: Heads = {}
    files: Paths = {}
    for namespace in namespaces:
        for repo_id, (sha, paths) in hub.list_heads(namespace, files_too).items():
            files[repo_id] = paths
            if sha:
                heads[repo_id] = sha
    return heads, files


class Listing:
    """The listing of `namespaces` (list_namespaces), made on a thread of its own from the
    moment it is asked for."""

    def __init__(self, hub: Hub, namespaces: Sequence[str], files_too: bool = True) -> None:
        self.namespaces = sorted(namespaces)
        self.files_too = files_too
        self._read = Aside(
            lambda: list_namespaces(hub, self.namespaces, files_too), "nb-release-listing"
        )

    def result(self) -> tuple[Heads, Paths]:
        """The heads and file names (see aside.py for the wait)."""
        return self._read.result()


class EarlyPulls:
    """nb-release's open pull requests on a few repos, and who made each one's head (its
    commits, once `listing` names the head: the Hub's cache keeps them by sha), asked on
    threads of their own before the plan knows it needs them: a guess (planning.build_plan
    takes what it needs of it; ownership reads the commits from the cache)."""

    def __init__(self, hub: Hub, repo_ids: Sequence[str], listing: Listing | None = None) -> None:
        self.asked = frozenset(repo_ids)
        wanted = list(repo_ids)
        self._read = Aside(lambda: find_open_pulls(hub, wanted, PR_TITLE), "nb-release-pulls")
        self._histories = (
            Aside(lambda: _read_histories(hub, wanted, listing), "nb-release-histories")
            if listing is not None
            else None
        )

    def found(self) -> dict[str, OpenPull] | None:
        """The open pull requests found (repo id: its pull request), or None when the read
        failed: the plan reads again what it needs, and meets the failure there. Returns
        once the histories are read too (none is then asked twice)."""
        if self._histories is not None:
            self._histories.settle()
        try:
            return self._read.result()
        except Exception:
            return None


def _read_histories(hub: Hub, repo_ids: Sequence[str], listing: Listing) -> None:
    """The commits of each repo's listed head, unless it is nb-release's own commit: kept in
    the Hub's cache for read_ownership. A failure is left for read_ownership to meet."""
    try:
        heads = listing.result()[0]
        for repo_id in repo_ids:
            sha = heads.get(repo_id)
            if sha and hub.own_commit(repo_id, sha) is None:
                hub.list_commits(repo_id, sha)
    except Exception:
        return


@dataclass(frozen=True)
class WarmStart:
    """What a plan has read before it begins: the project's files, the card keys of their last
    render (None: not rendered from these bytes before) and the listing, already under way
    when the render is known (its namespaces are in the render's index)."""

    files: SourceFiles
    index: RenderIndex | None
    listing: Listing | None
    record: dict[str, SameHead]  # the cache's note of the heads that hold their cards
    last: RenderIndex | None = None  # the last render's index, whatever bytes it was made from
    # The open pull requests of the repos an edit of the manifest touched (manifest/touched.py).
    pulls: EarlyPulls | None = None


def warm_start(
    sources: Sources, selection: Selection, hub: Hub, confirm: bool = False
) -> WarmStart:
    """Read the project's files and, when their render is cached, start its listing: of the
    heads alone when the plan trusts the listing and every card's repo was found holding it at
    a noted head (if the heads have not moved, no repo needs its file names; planning.build_plan
    reads those of a repo whose head moved), else with every repo's file names. `confirm`: see
    planning.read_live."""
    cache = hub.cache
    files = read_sources(sources.manifest, sources.cards, cache)  # read once: hashed = rendered
    last = cache.last_render(selection) if cache is not None else None
    index = last if last is not None and last.fingerprint == files.fingerprint else None
    record = cache.same_record(hub.target.cache_key, selection) if cache is not None else {}
    listing = None
    pulls = None
    if index is not None and index.namespaces and not hub.fresh:
        noted = index.faces is not None and all(
            (head := record.get(face.repo_id)) is not None
            and head.digest == face.digest
            and head.failed is not None
            for face in index.faces
        )
        listing = Listing(hub, index.namespaces, files_too=confirm or not noted)
        if hub.target.token and index.faces is not None:
            likely = likely_to_differ(index.faces, record, hub.concurrency)
            pulls = EarlyPulls(hub, likely, listing) if likely else None
    elif last is not None and last.namespaces and not hub.fresh:
        # Bytes rendered afresh: the listing (with the file names) is on the wire while the
        # manifest is validated, in the namespaces the last render had (planning.EarlyReads
        # takes it when the manifest's are the same).
        listing = Listing(hub, last.namespaces, files_too=True)
        if hub.target.token:
            pulls = _touched_pulls(hub, files, last, listing)
    elif last is None and cache is not None and not hub.fresh:
        # A family never rendered here (a cold plan): the listing is on the wire while the
        # manifest is validated, in the namespaces its raw parse names (planning.EarlyReads
        # takes it when they are the validated manifest's).
        document = toml_document(files.manifest_bytes, shared=True)
        namespaces = raw_namespaces(document) if document is not None else None
        if namespaces:
            listing = Listing(hub, namespaces, files_too=True)
    return WarmStart(files, index, listing, record, last, pulls)


def likely_to_differ(
    faces: Sequence[CardFace], record: Mapping[str, SameHead], limit: int
) -> list[str]:
    """The repos whose card is sure to differ from their files if their head has not moved
    since it was noted: the head noted holds another card (a pending change). A guess for reads
    a plan starts early, so a few: none when more than `limit`."""
    likely = [
        face.repo_id
        for face in faces
        if (head := record.get(face.repo_id)) is not None and head.digest != face.digest
    ]
    return likely if len(likely) <= limit else []


def _touched_pulls(
    hub: Hub, files: SourceFiles, last: RenderIndex, listing: Listing
) -> EarlyPulls | None:
    """The open pull requests of the repos whose variants an edit of the manifest touched (the
    templates unchanged), asked before the manifest is validated: each such card is about to
    differ from its repo's, and the plan will look for nb-release's pull request there. Only
    repos of the last render, and a few: a guess is worth a few reads."""
    now = toml_document(files.manifest_bytes, shared=True)
    if files.earlier is None or now is None or last.faces is None:
        return None
    if files.templates_fingerprint != last.templates:
        return None
    names = touched_variants(files.earlier, now, hub.concurrency)
    if not names:
        return None
    repo_ids = [f.repo_id for f in last.faces if f.variant in names]
    return EarlyPulls(hub, repo_ids, listing) if repo_ids else None
