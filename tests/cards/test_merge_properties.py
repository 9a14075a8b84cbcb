"""Property: a hand edit of a card merged through a template or manifest change (merge.three_way)
keeps both changes when the merge is clean, and is a located conflict when it is not.

base is a card as the shipped models.toml and cards/ render it now; theirs is base with random
hand edits (lines replaced, inserted and deleted, front matter included); ours is the same card
rendered again by render_all, the real code path, from an in-memory copy of the sources with
random changes: plain-text lines of a template inserted, replaced or deleted, and manifest
values (knowledge_cutoff, developer, author, tags) changed.

Every line a side adds is new text (a numbered marker, or a manifest value no card has), so
"the line is in the result" is a plain test of membership; a hand edit may also insert blank
lines, which only the checks that hold for any line look at.
"""

from __future__ import annotations

import dataclasses
import difflib
import re
from collections import Counter
from collections.abc import Sequence
from functools import lru_cache

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from pipeline.card.merge import Merged, three_way
from pipeline.card.render import Selection, render_all
from pipeline.manifest.model import load_manifest_bytes
from pipeline.manifest.sources import SourceFiles, load_sources
from tests.cards.card_context import CARDS, ROOT

FILES, MANIFEST = load_sources(ROOT / "models.toml", CARDS)
BASE_CARDS = {card.repo_id: card.content for card in render_all(MANIFEST, FILES)}
REPOS = sorted(BASE_CARDS)

# Quick in `make unit` and `make test`; the 1,000-case run is `make thorough` (pytest -m thorough).
QUICK = settings(
    max_examples=50,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
THOROUGH = settings(QUICK, max_examples=1000)

WORD = st.text(alphabet="abcdefghijklmnopqrstuvwxyzæøå ÆØÅ-.,", max_size=12)


def _lines(text: str) -> list[str]:
    return text.splitlines(keepends=True)


# --- ours: the card rendered again from changed sources ------------------------------------------


def _text_lines(name: str) -> list[int]:
    """The lines of template `name` that are plain text of some card's body: no Jinja, not a
    `---` separator, and found as a line of a card below its front matter (so not inside a
    comment). The front matter changes through the manifest."""
    body_lines: set[str] = set()
    front_matter_lines: set[str] = set()
    for card in BASE_CARDS.values():
        lines = _lines(card)
        end = lines.index("---\n", 1)
        front_matter_lines.update(lines[: end + 1])
        body_lines.update(lines[end + 1 :])
    card_lines = body_lines - front_matter_lines
    lines = _lines(FILES.templates[name].decode("utf-8"))
    return [
        i
        for i, line in enumerate(lines)
        if line.strip()
        and line.strip() != "---"
        and not re.search(r"[{}%]", line)
        and line in card_lines
    ]


TEMPLATE_SPOTS = [
    (name, i) for name in sorted(FILES.templates) if name.endswith(".j2") for i in _text_lines(name)
]

MONTHS = ["January", "March", "June", "September", "December"]
DEVELOPERS = ["National Library of Norway", "NB AI-Lab, the National Library of Norway"]
AUTHORS = ["Per E Kummervold", "The NB AI-Lab team"]
NEW_TAGS = ["llama-3", "nb-ailab", "norsk", "scandinavian"]


@dataclasses.dataclass(frozen=True)
class SourceChange:
    """Template lines changed: (template, line index) -> ("insert" | "replace" | "delete", word);
    manifest text replaced: (old, new) pairs of models.toml."""

    template_edits: tuple[tuple[tuple[str, int], tuple[str, str]], ...]
    manifest_edits: tuple[tuple[str, str], ...]


def _tags_edit() -> st.SearchStrategy[tuple[str, str]]:
    """A change of [defaults] tags: some dropped, perhaps a new one; text-generation stays (the
    pipeline tag, which the metadata checks want among the tags)."""
    old = ["norwegian", "bokmål", "nynorsk", "swedish", "danish", "multilingual"]

    def line(tags: Sequence[str]) -> str:
        return "\ntags = [" + ", ".join(f'"{t}"' for t in [*tags, "text-generation"]) + "]\n"

    def edit(kept: list[bool], new: str | None) -> tuple[str, str]:
        tags = [t for t, keep in zip(old, kept, strict=True) if keep] + ([new] if new else [])
        return line(old), line(tags)

    return st.builds(
        edit,
        st.lists(st.booleans(), min_size=len(old), max_size=len(old)),
        st.none() | st.sampled_from(NEW_TAGS),
    )


MANIFEST_TEXT = FILES.manifest_bytes.decode("utf-8")
MANIFEST_EDIT = st.one_of(
    st.builds(
        lambda m, y: ('knowledge_cutoff = "May 2024"', f'knowledge_cutoff = "{m} {y}"'),
        st.sampled_from(MONTHS),
        st.integers(2024, 2026),
    ),
    st.sampled_from(DEVELOPERS).map(
        lambda d: ('developer = "National Library of Norway (NB-AiLab)"', f'developer = "{d}"')
    ),
    st.sampled_from(AUTHORS).map(lambda a: ('author = "Per Egil Kummervold"', f'author = "{a}"')),
    _tags_edit(),
)


def _source_changes() -> st.SearchStrategy[SourceChange]:
    """One to five changes: of template lines, of manifest values, or of both."""
    spots = st.dictionaries(
        st.sampled_from(TEMPLATE_SPOTS),
        st.tuples(st.sampled_from(["insert", "replace", "delete"]), WORD),
        max_size=3,
    ).map(lambda d: tuple(sorted(d.items())))
    values = st.lists(MANIFEST_EDIT, max_size=2, unique_by=lambda e: e[0]).map(tuple)
    return st.builds(SourceChange, spots, values).map(
        lambda c: c if c.template_edits or c.manifest_edits else SourceChange((), (CUTOFF,))
    )


CUTOFF = ('knowledge_cutoff = "May 2024"', 'knowledge_cutoff = "June 2025"')


def _changed_files(change: SourceChange) -> SourceFiles:
    templates = dict(FILES.templates)
    by_template: dict[str, list[tuple[int, tuple[str, str]]]] = {}
    for (name, index), edit in change.template_edits:
        by_template.setdefault(name, []).append((index, edit))
    for name, edits in by_template.items():
        lines = _lines(templates[name].decode("utf-8"))
        for index, (kind, word) in sorted(edits, reverse=True):
            marker = f"Template change at {name}:{index + 1}: {word}\n"
            if kind == "insert":
                lines.insert(index + 1, marker)
            elif kind == "replace":
                lines[index] = marker
            else:
                del lines[index]
        templates[name] = "".join(lines).encode("utf-8")
    text = MANIFEST_TEXT
    for old, new in change.manifest_edits:
        assert text.count(old) == 1, f"models.toml has no single {old!r}"
        text = text.replace(old, new, 1)
    return dataclasses.replace(FILES, manifest_bytes=text.encode("utf-8"), templates=templates)


@lru_cache(maxsize=256)
def _render(change: SourceChange, repo_id: str) -> str:
    """The card of `repo_id` as render_all renders it from the changed sources."""
    files = _changed_files(change)
    manifest = load_manifest_bytes(files.manifest_path, files.manifest_bytes)
    (card,) = render_all(manifest, files, Selection(only=(repo_id,)))
    return card.content


# --- theirs: the card edited by hand -------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class HandEdit:
    """Base line index -> ("insert" before it | "replace" | "delete" | "blank" inserted, word);
    the index len(lines) appends."""

    ops: tuple[tuple[int, tuple[str, str]], ...]

    def apply(self, base: list[str]) -> list[str]:
        ops = dict(self.ops)
        out: list[str] = []
        for i in range(len(base) + 1):
            line = base[i] if i < len(base) else None
            kind, word = ops.get(i, ("keep", ""))
            marker = f"Hand edit at line {i + 1}: {word}\n"
            if kind == "insert" or (line is None and kind in ("replace", "delete")):
                out.append(marker)
            elif kind == "blank":
                out.append("\n")
            elif kind == "replace":
                line = marker
            elif kind == "delete":
                line = None
            if line is not None:
                out.append(line)
        return out

    def deleted(self, base: list[str]) -> set[int]:
        """The base lines the edit removed (replaced or deleted)."""
        return {i for i, (kind, _) in self.ops if i < len(base) and kind in ("replace", "delete")}


def _hand_edits(base: list[str], near: Sequence[int]) -> st.SearchStrategy[HandEdit]:
    """One to six edits anywhere, in the front matter, or next to a line the render changed
    (`near`), where a conflict can arise."""
    front_matter_end = base.index("---\n", 1)
    place = st.integers(0, len(base)) | st.integers(0, front_matter_end)
    if near:
        place |= st.sampled_from(near)
    op = st.tuples(st.sampled_from(["insert", "replace", "delete", "blank"]), WORD)
    return st.dictionaries(place, op, min_size=1, max_size=6).map(
        lambda d: HandEdit(tuple(sorted(d.items())))
    )


def _changed_near(base: list[str], ours: list[str]) -> list[int]:
    """The base lines the render changed, and those next to them."""
    near: set[int] = set()
    for tag, i1, i2, _, _ in difflib.SequenceMatcher(
        None, base, ours, autojunk=False
    ).get_opcodes():
        if tag != "equal":
            near.update(range(max(i1 - 1, 0), min(i2 + 1, len(base)) + 1))
    return sorted(near)


# --- the property --------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Case:
    repo_id: str
    base: str
    ours: str
    theirs: str
    hand: HandEdit
    change: SourceChange


@st.composite
def cases(draw: st.DrawFn) -> Case:
    repo_id = draw(st.sampled_from(REPOS))
    base = BASE_CARDS[repo_id]
    change = draw(_source_changes())
    ours = _render(change, repo_id)
    hand = draw(_hand_edits(_lines(base), _changed_near(_lines(base), _lines(ours))))
    return Case(repo_id, base, ours, "".join(hand.apply(_lines(base))), hand, change)


def _slice_of(part: Sequence[str], whole: Sequence[str]) -> bool:
    n = len(part)
    return any(list(whole[i : i + n]) == list(part) for i in range(len(whole) - n + 1))


def check(case: Case) -> None:
    """Clean: both sides' changes are in the result; else located conflicts. No silent loss."""
    base, ours, theirs = _lines(case.base), _lines(case.ours), _lines(case.theirs)
    merged: Merged = three_way(case.base, case.ours, case.theirs)
    event("conflict" if merged.conflicts else "clean")
    if not merged.clean:
        assert merged.text is None and merged.conflicts
        previous_end = 0
        for conflict in merged.conflicts:
            start = conflict.base_line - 1
            assert previous_end <= start <= len(base), conflict
            assert base[start : start + len(conflict.base)] == list(conflict.base), conflict
            previous_end = start + len(conflict.base)
            assert _slice_of(conflict.ours, ours), conflict
            assert _slice_of(conflict.theirs, theirs), conflict
            assert conflict.ours != conflict.theirs, conflict
            assert conflict.ours != conflict.base and conflict.theirs != conflict.base, conflict
        return
    assert merged.text is not None
    result = _lines(merged.text)
    have = Counter(result)
    # Nothing from nowhere: every line of the result is a line of one side.
    assert set(result) <= set(ours) | set(theirs)
    # Every line either side added is in the result.
    for line in (set(theirs) - set(base)) | (set(ours) - set(base)):
        assert have[line], f"the added line {line!r} is lost"
    # A line the render dropped (every copy of it), which the hand edit did not add, is gone.
    for line in set(base) - set(ours) - {"\n"}:
        assert not have[line], f"the line {line!r} the render dropped is back"
    # A line the hand edit removed, one of its kind in base and kept by the render, is gone.
    for i in case.hand.deleted(base):
        line = base[i]
        if Counter(base)[line] == 1 and Counter(ours)[line] == 1:
            assert not have[line], f"the line {line!r} the hand edit removed is back"


def test_the_generated_changes_reach_every_card() -> None:
    # Each kind of change the property draws changes the card it is meant to: the generators are
    # not testing the merge of a card with itself.
    assert len(REPOS) == 16
    # The templates of companion files (cards/files/: NOTICE) write no line of a card.
    assert {name for name, _ in TEMPLATE_SPOTS} == {
        name for name in FILES.templates if name.endswith(".j2") and not name.startswith("files/")
    }
    cutoff = SourceChange((), (CUTOFF,))
    for repo_id in REPOS:
        assert "June 2025" in _render(cutoff, repo_id)
    layout_lines = _lines(FILES.templates["_layout.md.j2"].decode("utf-8"))
    layout = ("_layout.md.j2", layout_lines.index("### Citing & Authors\n"))
    assert layout in TEMPLATE_SPOTS
    inserted = SourceChange(((layout, ("insert", "x")),), ())
    for repo_id in REPOS:
        assert f"Template change at _layout.md.j2:{layout[1] + 1}: x\n" in _render(
            inserted, repo_id
        )


@QUICK
@given(cases())
def test_a_hand_edit_merges_through_a_source_change(case: Case) -> None:
    check(case)


@pytest.mark.thorough
@THOROUGH
@given(cases())
def test_a_hand_edit_merges_through_a_source_change_thoroughly(case: Case) -> None:
    check(case)
