"""A warm plan's settled repos: those whose README.md and companions, at the head the listing
shows, an earlier run found to be the very card this render makes (the cache's SameHead, noted
with the digest of that card), together with the compliance rules the repo failed there.

Their entries need neither the card's text nor the live one, so a warm plan of thousands of
repos loads only the cards it compares (its time and memory follow what changed, not the size of
the family). A settled entry is what make_plan makes of an unchanged card whose companions are
unchanged; tests/plan check the two agree.
"""

from __future__ import annotations

import functools
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

from pipeline.card.diff import CardDiff
from pipeline.compliance import Finding
from pipeline.ownership import Action, Ownership, Policy, resolve_policy, state_of_action
from pipeline.plan.files import FileEntry, repo_action, repo_owner
from pipeline.plan.model import PlanEntry
from pipeline.records import CardFace, LiveCard, RenderedCard, SameHead


@dataclass(frozen=True)
class Settled:
    """A repo planned from its face: its head is the one noted, with the rules it failed."""

    face: CardFace
    head: SameHead


def settled_repos(
    faces: Sequence[CardFace],
    record: Mapping[str, SameHead],
    heads: Mapping[str, str],
    kept: Collection[str],
) -> dict[str, Settled]:
    """The repos whose listed head is the one noted for a card of the same digest, with the
    rules failed there noted too. A repo whose hand edit the project keeps is never settled
    (its ownership reads the edit)."""
    out: dict[str, Settled] = {}
    for face in faces:
        head = record.get(face.repo_id)
        if (
            head is not None
            and head.failed is not None
            and head.digest == face.digest
            and heads.get(face.repo_id) == head.sha
            and face.repo_id not in kept
        ):
            out[face.repo_id] = Settled(face, head)
    return out


def policies_of(on_drift: str | None, on_adopt: str | None) -> tuple[Policy | None, Policy | None]:
    """A card's (on_drift, on_adopt) as Policies; None where the manifest sets none."""
    return (
        resolve_policy(on_drift, default="skip") if on_drift else None,
        resolve_policy(on_adopt, default="skip") if on_adopt else None,
    )


def settled_entry(settled: Settled) -> PlanEntry:
    """The plan entry of a settled repo: its card and companions unchanged at the noted head."""
    face = settled.face
    files, action, owner = _unchanged(face.files)
    on_drift, on_adopt = policies_of(face.on_drift, face.on_adopt)
    return PlanEntry(
        repo_id=face.repo_id,
        variant=face.variant,
        action=action,
        head_sha=settled.head.sha,
        content=None,
        diff=CardDiff(face.repo_id, action, (), False, None, "", 0, 0),
        owner=owner,
        on_drift=on_drift,
        on_adopt=on_adopt,
        files=files,
    )


@functools.lru_cache(maxsize=32)
def _unchanged(paths: tuple[str, ...]) -> tuple[tuple[FileEntry, ...], Action, Ownership | None]:
    """The companions' entries of a repo whose card and companions are unchanged, its action
    and its ownership (the same for every such repo with these paths: immutable, shared)."""
    files = tuple(FileEntry(path, "unchanged", None, "", 0, 0, None) for path in paths)
    action = repo_action("unchanged", files)
    return files, action, repo_owner(action, Ownership(state=state_of_action(action)), files)


def next_record(
    cards: Sequence[RenderedCard],
    live: Sequence[LiveCard],
    heads: Mapping[str, str],
    findings: Sequence[Finding],
    settled: Mapping[str, Settled],
    digest_of: Mapping[str, str],
    before: Mapping[str, SameHead] | None = None,
) -> dict[str, SameHead]:
    """The SameHead of every repo whose files at its head are its card: the settled ones as
    they were, and each compared card found equal now, with the rules it failed when the
    listing's files were of that very head (else None: the next plan compares it again).

    A note of `before` whose sha is still the repo's head stays, whatever the card is now: at
    that head the repo still holds the card the note names (a pending change keeps its note
    until it is published; the next plan knows that card differs, listing.likely_to_differ).
    A head that moved (a hand edit, a commit) drops it."""
    failed: dict[str, list[tuple[str, str]]] = {}
    for finding in findings:
        failed.setdefault(finding.repo_id, []).append((finding.rule, finding.message))
    record = {repo_id: s.head for repo_id, s in settled.items()}
    for card, state in zip(cards, live, strict=True):
        noted = (before or {}).get(card.repo_id)
        if noted is not None and state.head_sha == noted.sha and card.repo_id not in record:
            record[card.repo_id] = noted
        if state.head_sha is None or state.content != card.content or state.files != card.files:
            continue
        known = (
            tuple(failed.get(card.repo_id, ()))
            if heads.get(card.repo_id) == state.head_sha
            else None
        )
        record[card.repo_id] = SameHead(state.head_sha, digest_of[card.repo_id], known)
    return record
