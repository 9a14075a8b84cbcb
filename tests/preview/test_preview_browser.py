"""The review page in a real headless browser (Debian's chromium, over DevTools): it loads with no
console error and no network request, shows every changed card, and lays a card out as the Hub
does, the side panel beside the body. Set NB_RELEASE_PREVIEW_PNG=FILE to keep the screenshot.

Never skipped: without chromium each test fails with the line that installs it. Marked `browser`;
`make unit` runs none of them, and `pytest -m "not browser"` leaves them out on purpose."""

from __future__ import annotations

import os
import struct
from pathlib import Path
from typing import Any

import pytest

from tests.preview.cdp import chromium_path, open_page
from tests.preview.support import PreviewRun

WIDTH, HEIGHT = 1600, 1200

pytestmark = pytest.mark.browser

# The layout of the first card's rendered side, measured in the browser.
LAYOUT = """(() => {
  const card = document.querySelector("section.card");
  const side = card.querySelector("article.rendered");
  const box = (el) => { const r = el.getBoundingClientRect();
    return {x: r.left + scrollX, y: r.top + scrollY, width: r.width, height: r.height}; };
  return {card: box(card), body: box(side.querySelector(".body")),
          panel: box(side.querySelector("aside.meta")), live: box(card.querySelector(".live")),
          rendered: box(side)};
})()"""

CARDS = """Array.from(document.querySelectorAll("section.card"), (s) => ({
  repo: s.dataset.repo,
  blocks: s.querySelectorAll(".rendered .blk").length,
  marked: s.querySelectorAll(".rendered .blk.changed, .rendered .blk.added").length,
  panel: Array.from(s.querySelectorAll(".rendered .meta-row"), (r) => r.dataset.key),
}))"""


@pytest.fixture(scope="module")
def chromium() -> str:
    found = chromium_path()
    if found is None:
        pytest.fail(
            "chromium is not installed, and the browser tests need it: install it with"
            " `apt-get install chromium` (Debian, as root), or leave them out with"
            ' `pytest -m "not browser"`',
            pytrace=False,
        )
    return found


@pytest.fixture(scope="module")
def browser(
    chromium: str, preview_run: PreviewRun, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Any]:
    """Open the page once; what the browser saw, measured and captured."""
    assert preview_run.status == 0
    profile = tmp_path_factory.mktemp("chromium-profile")
    with open_page(profile, WIDTH, HEIGHT) as page:
        page.call("Page.navigate", url=preview_run.page.as_uri())
        page.wait_for("Page.loadEventFired")
        layout = page.evaluate(LAYOUT)
        cards = page.evaluate(CARDS)
        title = page.evaluate("document.title")
        card = layout["card"]
        png = page.screenshot(
            {
                "x": card["x"],
                "y": card["y"],
                "width": card["width"],
                "height": min(card["height"], 1400),
            }
        )
        events = list(page.events)
    return {"layout": layout, "cards": cards, "title": title, "png": png, "events": events}


def _of(events: list[dict[str, Any]], method: str) -> list[dict[str, Any]]:
    return [e.get("params", {}) for e in events if e.get("method") == method]


def test_the_page_loads_with_no_console_error(browser: dict[str, Any]) -> None:
    errors = [e for e in _of(browser["events"], "Runtime.consoleAPICalled") if e["type"] == "error"]
    errors += _of(browser["events"], "Runtime.exceptionThrown")
    logged = [e["entry"] for e in _of(browser["events"], "Log.entryAdded")]
    errors += [e for e in logged if e.get("level") == "error"]
    assert errors == []
    assert browser["title"] == "nb-release preview"  # the hostile <script> did not run


def test_the_page_makes_no_network_request(browser: dict[str, Any]) -> None:
    urls = [e["request"]["url"] for e in _of(browser["events"], "Network.requestWillBeSent")]
    assert urls and all(url.startswith("file://") for url in urls), urls
    assert len(urls) == 1  # the page itself: no style sheet, font, image or script


def test_every_changed_card_is_on_the_page(
    browser: dict[str, Any], preview_run: PreviewRun
) -> None:
    cards = browser["cards"]
    assert [c["repo"] for c in cards] == list(preview_run.repos)
    for card in cards:
        assert card["blocks"] > 10 and card["marked"] >= 1, card
        assert {"license", "language", "base_model", "tags"} <= set(card["panel"]), card
    ggufs = [c for c in cards if c["repo"].endswith("-GGUF")]
    assert ggufs and all("base_model_relation" in c["panel"] for c in ggufs)


def test_a_card_is_laid_out_as_on_the_hub(browser: dict[str, Any]) -> None:
    layout = browser["layout"]
    body, panel = layout["body"], layout["panel"]
    # The side panel sits beside the body, to its right, starting level with it.
    assert panel["x"] >= body["x"] + body["width"]
    assert abs(panel["y"] - body["y"]) < 5
    assert body["width"] > panel["width"] > 100
    # Live and rendered side by side, each half of the card.
    live, rendered = layout["live"], layout["rendered"]
    assert rendered["x"] >= live["x"] + live["width"] and abs(rendered["y"] - live["y"]) < 5
    # The screenshot is a PNG of the card at its measured size.
    png: bytes = browser["png"]
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and png[12:16] == b"IHDR"
    width, height = struct.unpack(">II", png[16:24])
    assert width == round(layout["card"]["width"])
    assert height == round(min(layout["card"]["height"], 1400))
    keep = os.environ.get("NB_RELEASE_PREVIEW_PNG")
    if keep:
        Path(keep).write_bytes(png)
