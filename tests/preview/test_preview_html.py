"""The review page as HTML (README.md, `nb-release preview`): self-contained, everything
escaped, changes marked."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path

from pipeline.card import html as html_card
from pipeline.card.diff import diff_card
from pipeline.card.render import render_all
from pipeline.manifest.model import load_manifest
from pipeline.ownership import Drift, Ownership
from pipeline.plan import preview
from pipeline.plan.model import Plan, make_plan
from pipeline.records import CommitRecord, LiveCard, RenderedCard

ROOT = Path(__file__).resolve().parents[2]

HOSTILE = """---
language:
- nb
tags:
- "<script>alert(1)</script>"
license: "<b>mit</b>"
---
# Title <img src=x onerror=alert(2)>

<script>alert(3)</script>

[click](javascript:alert(4)) ![pixel](https://tracker.example/p.png)

| a | b |
| --- | --- |
| <i>x</i> | y |
"""

GOOD = """---
language:
- nb
tags:
- norwegian
license: mit
base_model: NbAiLab/base
base_model_relation: quantized
---
# Title

Same paragraph.

A new paragraph.
"""


def plan_of(*pairs: tuple[str, str | None, str]) -> Plan:
    """A plan for (repo_id, live content or None, rendered content) pairs."""
    rendered = [RenderedCard(repo, repo.split("/")[1], "t.md.j2", new) for repo, _, new in pairs]
    live = [LiveCard(repo, True, "a" * 40, old) for repo, old, _ in pairs]
    diffs = [diff_card(r, state) for r, state in zip(rendered, live, strict=True)]
    return make_plan(
        diffs,
        rendered,
        live,
        hub="http://127.0.0.1:1",
        fingerprint="sha256:0",
        tool_version="0",
        now=datetime(2025, 1, 1, tzinfo=UTC),
    )


class Elements(HTMLParser):
    """Every start tag with its attributes."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def elements(page: str) -> list[tuple[str, dict[str, str | None]]]:
    parser = Elements()
    parser.feed(page)
    return parser.tags


def test_hostile_card_content_is_escaped_everywhere() -> None:
    plan = plan_of(("NbAiLab/m", HOSTILE.replace("alert", "prompt"), HOSTILE))
    page = preview.render_page(plan, {"NbAiLab/m": HOSTILE.replace("alert", "prompt")}, "x")
    tags = elements(page)
    names = {tag for tag, _ in tags}
    assert "script" not in names and "img" not in names and "i" not in names and "b" not in names
    assert not any(k.startswith("on") for _, attrs in tags for k in attrs)
    hrefs = [attrs.get("href") or "" for tag, attrs in tags if tag == "a"]
    assert not [h for h in hrefs if h.lower().startswith(("javascript:", "data:", "vbscript:"))]
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page  # the tag, as text in the panel
    assert "&lt;script&gt;alert(3)&lt;/script&gt;" in page
    assert '<a class="image" href="https://tracker.example/p.png">[image: pixel]</a>' in page
    assert "<table>" in page and "<th>a</th>" in page  # GFM tables


def test_the_page_loads_nothing_and_runs_nothing() -> None:
    plan = plan_of(("NbAiLab/m", GOOD, GOOD.replace("Same", "Other")))
    page = preview.render_page(plan, {"NbAiLab/m": GOOD}, "x")
    assert f'<meta http-equiv="Content-Security-Policy" content="{preview.CSP}">' in page
    assert "default-src 'none'" in preview.CSP
    for tag, attrs in elements(page):
        assert tag not in ("script", "link", "img", "iframe", "object", "embed"), tag
        assert "src" not in attrs, tag
    assert "@import" not in page and "url(" not in page


def test_changed_blocks_and_panel_rows_are_marked() -> None:
    new = GOOD.replace("A new paragraph.", "A rewritten paragraph.").replace(
        "license: mit", "license: apache-2.0"
    )
    plan = plan_of(("NbAiLab/m", GOOD, new))
    page = preview.render_page(plan, {"NbAiLab/m": GOOD}, "x")
    assert page.count('<div class="blk changed"><p>A') == 2  # live and rendered
    assert '<div class="blk"><p>Same paragraph.</p>' in page
    assert page.count('<div class="meta-row changed" data-key="license">') == 2
    assert '<div class="meta-row" data-key="base_model_relation"><dt>Relation' in page
    row = '<td class="action">update</td><td>pending</td><td>publish</td><td class="num">+2</td>'
    assert row in page


def test_block_marks_name_additions_and_removals() -> None:
    old, new = ["a", "b", "c"], ["a", "c", "d"]
    assert html_card.marks(old, new) == (["", "removed", ""], ["", "", "added"])
    assert html_card.blocks("# T\n\npara\n\n- x\n- y\n\n```\ncode\n```\n") == [
        "# T\n",
        "para\n",
        "- x\n- y\n",
        "```\ncode\n```\n",
    ]


def test_a_card_new_on_the_hub_shows_no_live_side() -> None:
    plan = plan_of(("NbAiLab/m", None, GOOD))
    page = preview.render_page(plan, {"NbAiLab/m": None}, "x")
    assert "No README.md on the Hub." in page
    assert page.count('<div class="blk added">') == 3


def test_live_contents_reads_each_changed_card_at_the_planned_commit() -> None:
    plan = plan_of(("NbAiLab/a", GOOD, GOOD), ("NbAiLab/b", GOOD, GOOD + "\nMore.\n"))
    reads: list[tuple[str, str]] = []

    def read(repo: str, revision: str) -> str:
        reads.append((repo, revision))
        return GOOD

    assert preview.live_contents(plan, read) == {"NbAiLab/b": GOOD}
    assert reads == [("NbAiLab/b", "a" * 40)]


def test_every_card_of_the_family_renders_with_its_sections_and_panel() -> None:
    cards = render_all(load_manifest(ROOT / "models.toml"), ROOT / "cards")
    plan = plan_of(*[(c.repo_id, None, c.content) for c in cards])
    page = preview.render_page(plan, {c.repo_id: None for c in cards}, "x")
    assert page.count('<section class="card"') == 16
    for card in cards:
        assert f'id="{preview.anchor(card.repo_id)}"' in page
    assert len(re.findall(r'data-key="base_model_relation"><dt>', page)) == 5  # the gguf cards
    assert '<pre><code class="language-python">' in page


def test_a_cards_heading_names_its_action_and_state_once_when_they_are_the_same() -> None:
    new = GOOD.replace("Same", "Other")
    plan = plan_of(("NbAiLab/new", None, GOOD), ("NbAiLab/m", GOOD, new))
    page = preview.render_page(plan, {"NbAiLab/new": None, "NbAiLab/m": GOOD}, "x")
    assert '<h2>NbAiLab/new <span class="action">(create)</span></h2>' in page
    assert '<h2>NbAiLab/m <span class="action">(update, pending)</span></h2>' in page
    assert "(create, create)" not in page


def test_a_drifted_card_shows_the_decision_sync_would_take() -> None:
    new = GOOD.replace("Same", "Other")
    plan = plan_of(("NbAiLab/m", GOOD, new), ("NbAiLab/d", GOOD, new))
    published = CommitRecord("b" * 40, "2025-01-01T00:00:00Z", ("bot",), "Update model card", "")
    drift = Drift(commits=(), edit_diff="", lines_added=0, lines_removed=0)
    drifted = replace(plan.entries[1], owner=Ownership("drift", published=published, drift=drift))
    plan = replace(plan, entries=(plan.entries[0], drifted))
    page = preview.render_page(plan, {"NbAiLab/m": GOOD, "NbAiLab/d": GOOD}, "x")
    assert '<td class="action">update</td><td>pending</td><td>publish</td>' in page
    assert '<td class="action">update</td><td>drift</td><td>skip</td>' in page
    assert '<h2>NbAiLab/d <span class="action">(update, drift: skip)</span></h2>' in page
    assert "1 of 2 cards would be written on x by `nb-release sync`" in page
