"""A settled repo's entry is the one make_plan makes of an unchanged card and companions."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from pipeline.card.diff import diff_card
from pipeline.hub.cache import card_digest
from pipeline.ownership import Ownership
from pipeline.plan.listing import likely_to_differ
from pipeline.plan.model import make_plan
from pipeline.plan.settled import Settled, next_record, settled_entry, settled_repos
from pipeline.records import CardFace, LiveCard, ManagedFile, RenderedCard, SameHead

SHA = "a" * 40


@pytest.mark.parametrize("on_drift", [None, "overwrite", "skip"])
@pytest.mark.parametrize(
    "files", [(), (ManagedFile("LICENSE", "licence\n"), ManagedFile("NOTICE", "notice\n"))]
)
def test_a_settled_entry_is_what_make_plan_makes_of_an_unchanged_card(
    on_drift: str | None, files: tuple[ManagedFile, ...]
) -> None:
    card = RenderedCard(
        "n/a", "a", "base.md.j2", "---\nx: 1\n---\ncard\n", on_drift=on_drift, files=files
    )
    live = LiveCard("n/a", exists=True, head_sha=SHA, content=card.content, files=files)
    diff = diff_card(card, live)
    made = make_plan(
        [diff],
        [card],
        [live],
        hub="http://h",
        fingerprint="sha256:f",
        tool_version="0",
        now=datetime.now(UTC),
        owners={"n/a": Ownership(state="unchanged")},
        policies={"n/a": (on_drift, None)},  # type: ignore[dict-item]
    )
    face = CardFace("n/a", "a", card_digest(card), on_drift, None, tuple(f.path for f in files))
    assert settled_entry(Settled(face, SameHead(SHA, face.digest, ()))) == made.entries[0]


def test_only_a_listed_head_noted_for_this_very_card_is_settled() -> None:
    faces = [CardFace(f"n/{x}", x, f"digest-{x}", None, None, ()) for x in "abcde"]
    record = {
        "n/a": SameHead(SHA, "digest-a", ()),  # settled
        "n/b": SameHead(SHA, "digest-old", ()),  # its card changed since
        "n/c": SameHead("b" * 40, "digest-c", ()),  # its head moved
        "n/d": SameHead(SHA, "digest-d", None),  # its rules were not noted
        "n/e": SameHead(SHA, "digest-e", ()),  # its hand edit is kept
    }
    heads = {f.repo_id: SHA for f in faces}
    assert list(settled_repos(faces, record, heads, kept={"n/e"})) == ["n/a"]


def test_a_note_stays_while_its_head_stands_and_goes_when_it_moves() -> None:
    # Three repos whose card changed since their note: "n/a" still at the noted head (a pending
    # change: its note stays, naming the card the head holds), "n/b" whose head moved (a hand
    # edit: its note goes), and "n/c" now holding its new card (noted anew).
    cards = [RenderedCard(f"n/{x}", x, "base.md.j2", f"new {x}\n") for x in "abc"]
    before = {f"n/{x}": SameHead(SHA, f"old-{x}", ()) for x in "abc"}
    live = [
        LiveCard("n/a", exists=True, head_sha=SHA, content="old a\n"),
        LiveCard("n/b", exists=True, head_sha="b" * 40, content="hand b\n"),
        LiveCard("n/c", exists=True, head_sha="c" * 40, content="new c\n"),
    ]
    digests = {card.repo_id: card_digest(card) for card in cards}
    heads = {state.repo_id: state.head_sha or "" for state in live}
    now = next_record(cards, live, heads, [], {}, digests, before)
    assert now == {
        "n/a": before["n/a"],
        "n/c": SameHead("c" * 40, digests["n/c"], ()),
    }
    assert likely_to_differ(
        [CardFace(c.repo_id, c.variant, digests[c.repo_id], None, None, ()) for c in cards],
        now,
        limit=8,
    ) == ["n/a"]
    assert next_record(cards, live, heads, [], {}, digests) == {"n/c": now["n/c"]}  # no note


def test_no_guess_of_pending_changes_past_the_limit() -> None:
    faces = [CardFace(f"n/{i}", str(i), "new", None, None, ()) for i in range(3)]
    record = {face.repo_id: SameHead(SHA, "old", ()) for face in faces}
    assert likely_to_differ(faces, record, limit=3) == ["n/0", "n/1", "n/2"]
    assert likely_to_differ(faces, record, limit=2) == []
