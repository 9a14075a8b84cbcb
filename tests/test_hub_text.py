"""Text from the Hub in nb-release's output: commit titles, authors, live card lines, error bodies.

The Hub's text is written by anyone with write access to a repo (or by whatever answers in the
Hub's place). Printed raw, it can run GitHub Actions workflow commands (a line starting `::`
after leading spaces, or `##[` anywhere), forge lines of nb-release's own output, drive the
terminal (ESC/OSC sequences, C1 controls) or break out of the Markdown report. These tests feed
hostile records straight into the renderers; tests/integration/test_hub_text.py drives the same
strings through the real client and the CLI.
"""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime

import pytest
from markdown_it import MarkdownIt
from rich.console import Console

from pipeline.card.diff import diff_card
from pipeline.hub._retry import RateLimited
from pipeline.hub.client import Hub, Target
from pipeline.ownership import Drift, Ownership
from pipeline.plan.model import Plan, make_plan
from pipeline.plan.report import render_markdown, render_text
from pipeline.records import CommitRecord, LiveCard, RenderedCard

SHA = "0123456789abcdef0123456789abcdef01234567"
NOW = datetime(2025, 1, 31, 12, 0, tzinfo=UTC)

# A commit title as an adversary writes it: a workflow command, terminal escapes, a forged line
# of `history`, rich markup, and a Markdown breakout (blank lines, a heading, HTML, an image).
TITLE = (
    "Fix typo\n::error::pwned by the title\x1b]52;c;ZXZpbA==\x07\x1b[2J [bold]loud[/bold]\n"
    "  0123456789ab  2025-01-01T00:00:00Z  bot  Update  [nb-release sha256:forged]\n\n"
    "## Plan owned\n\n</details>\n\n![x](https://evil.example/x.png) [click](https://evil.example)"
    "\n\n``` ` ``\n##[error]legacy command\u202eevil\x9b2J"
)
AUTHOR = "mallory\x1b[31m\u2066"
# Live card lines as an adversary writes them: a workflow command on a context line (a space
# first: GitHub trims it), terminal escapes, a C1 NEL, a code fence, an HTML close.
LIVE_BODY = (
    "# Card\n::error::from the card\n\x1b]52;c;AAAA\x07\x1b[2J\nkeep\x85::warning::after NEL\n"
    "````\n</details>\n\n## Plan owned\n"
)
# A front-matter key and value that hold newlines and controls.
LIVE_HEAD = '---\nlicense: llama3.1\n"k\\n::error::key\\e[2J": "v\\n::error::value\\x9b"\n---\n'

CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def _plan() -> Plan:
    published = "---\nlicense: llama3.1\n---\n# Card\n::error::published\n"
    live = LIVE_HEAD + LIVE_BODY
    rendered = "---\nlicense: llama3.1\n---\n# Card, new\n"
    hostile = CommitRecord("e" * 40, "2025-01-31T10:00:00.000Z", (AUTHOR,), TITLE, "")
    ours = CommitRecord(SHA, "2025-01-30T10:00:00.000Z", ("bot",), "Update model card", "")
    edit = "--- a\n+++ b\n@@ -1,2 +1,2 @@\n # Card\n ::error::edit context\n+\x1b[2J\n"
    owner = Ownership(
        state="drift+pending",
        published=ours,
        drift=Drift((hostile,), edit, 1, 0),
        replaced=(hostile,),
    )
    card = RenderedCard("NbAiLab/x", "x", "base.md.j2", rendered)
    state = LiveCard("NbAiLab/x", True, "f" * 40, live)
    adopt_card = RenderedCard("NbAiLab/y", "y", "base.md.j2", rendered)
    adopt_live = LiveCard("NbAiLab/y", True, "d" * 40, "# Card\n" + published)
    adopt = Ownership(state="adopt", replaced=(hostile,))
    return make_plan(
        [diff_card(card, state), diff_card(adopt_card, adopt_live)],
        [card, adopt_card],
        [state, adopt_live],
        hub="https://huggingface.co",
        fingerprint="sha256:5f2b9c0e",
        tool_version="0.1.0",
        now=NOW,
        owners={"NbAiLab/x": owner, "NbAiLab/y": adopt},
    )


def assert_safe_lines(text: str) -> None:
    """No control character but newline and tab, no line that GitHub runs as a command."""
    found = CONTROL.findall(text)
    assert found == [], f"control characters reach the output: {found!r}"
    for line in text.split("\n"):
        assert not line.lstrip().startswith("::"), f"a workflow command: {line!r}"
        assert "##[" not in line, f"a legacy workflow command: {line!r}"
    assert "\n[nb-release sha256:forged]" not in text
    assert not re.search(r"^\s*0123456789ab  2025-01-01", text, re.MULTILINE)


@pytest.mark.parametrize("summary", [False, True])
def test_the_text_report_escapes_hub_text(summary: bool) -> None:
    out = io.StringIO()
    render_text(_plan(), Console(file=out, width=1000, soft_wrap=True), summary=summary)
    text = out.getvalue()
    assert_safe_lines(text)
    # Escaped visibly, not dropped: a reader sees what the title holds.
    assert "Fix typo\\n::error::pwned by the title\\x1b]52;c;ZXZpbA==\\x07\\x1b[2J" in text
    assert "[bold]loud[/bold]" in text  # rich markup is not interpreted
    if not summary:
        assert "-\\x1b]52;c;AAAA\\x07\\x1b[2J" in text


def test_the_text_report_on_a_terminal_escapes_hub_text() -> None:
    out = io.StringIO()
    console = Console(file=out, width=1000, force_terminal=True, color_system=None)
    render_text(_plan(), console)
    text = out.getvalue()
    assert "\x1b]52" not in text and "\x1b[2J" not in text and "\x9b" not in text


@pytest.mark.parametrize("summary", [False, True])
def test_the_markdown_report_keeps_hub_text_in_its_code(summary: bool) -> None:
    markdown = render_markdown(_plan(), summary=summary)
    assert_safe_lines(markdown)
    html = MarkdownIt("commonmark", {"html": True}).enable("table").render(markdown)
    # The only headings, HTML blocks, images and links are the report's own.
    assert re.findall(r"<h\d>", html) == ["<h2>"]
    assert "<img" not in html and "<a " not in html
    blocks = 0 if summary else 2
    assert html.count("<details>") == blocks and html.count("</details>") == blocks
    assert "## Plan owned" not in [line.strip() for line in markdown.splitlines()]


def test_a_title_cannot_open_a_code_block_that_swallows_the_report() -> None:
    markdown = render_markdown(_plan())
    html = MarkdownIt("commonmark", {"html": True}).render(markdown)
    # Each card's diff stays one code block, its HTML-looking lines inside it.
    assert html.count("&lt;/details&gt;") >= 1
    assert html.count("</details>") == 2


def test_hub_error_text_is_escaped() -> None:
    hub = Hub(Target(url="http://127.0.0.1:9", token="hf_secretsecretsecret"))
    exc = ValueError("\x1b]52;c;AAAA\x07::error::boom hf_secretsecretsecret\nsecond line")
    message = hub._error(exc, "reading NbAiLab/x").message
    assert_safe_lines(message)
    assert "secret" not in message


def test_a_diff_context_line_cannot_be_a_workflow_command() -> None:
    # No control character at all: a context line starts with a space, which the runner trims.
    rendered = "---\nlicense: llama3.1\n---\n# Card\n::add-mask::x\nnew\n"
    live = "---\nlicense: llama3.1\n---\n# Card\n::add-mask::x\nold\n"
    card = RenderedCard("NbAiLab/x", "x", "base.md.j2", rendered)
    state = LiveCard("NbAiLab/x", True, "f" * 40, live)
    plan = make_plan(
        [diff_card(card, state)],
        [card],
        [state],
        hub="h",
        fingerprint="f",
        tool_version="0",
        now=NOW,
    )
    out = io.StringIO()
    render_text(plan, Console(file=out, width=1000, soft_wrap=True))
    for text in (out.getvalue(), render_markdown(plan)):
        assert " \\x3a:add-mask::x" in text
        assert_safe_lines(text)


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("Fix typo", "Fix typo"),
        ("std::vector and a::b", "std::vector and a::b"),
        ("::error::x", "\\x3a:error::x"),
        ("  ::error::x", "  \\x3a:error::x"),
        (" \t::error::x", " \\t::error::x"),  # the tab is shown, so nothing to trim
        ("see ##[error]x", "see ##\\x5berror]x"),
        ("a\nb\r\x1b[2J\x07\x9b\u202e\u2028", "a\\nb\\r\\x1b[2J\\x07\\x9b\\u202e\\u2028"),
    ],
)
def test_printable(text: str, shown: str) -> None:
    from pipeline.safetext import printable

    assert printable(text) == shown
    assert printable(shown) == shown  # once is enough: escaping twice changes nothing


def test_printable_lines_keeps_lines_and_tabs() -> None:
    from pipeline.safetext import printable_lines

    diff = "--- a\n+++ b\n@@ -1 +1 @@\n ::error::x\n-\tcode\x1b[2J\n+\u2028::x\n"
    assert printable_lines(diff) == (
        "--- a\n+++ b\n@@ -1 +1 @@\n \\x3a:error::x\n-\tcode\\x1b[2J\n+\\u2028::x\n"
    )


# --- far-off waits ----------------------------------------------------------------------------


def _quota_message(wait_s: float, now: float) -> tuple[str, str]:
    hub = Hub(Target(url="http://127.0.0.1:9"))
    error = hub._error(RateLimited("commits", wait_s, now + wait_s), "publishing NbAiLab/x")
    return error.message, error.hint or ""


def test_a_wait_of_days_names_the_date() -> None:
    now = datetime(2026, 12, 3, 17, 0, 0, tzinfo=UTC).timestamp()
    message, hint = _quota_message(3600, now)  # within the day: the short form, as before
    assert "resets in 3600 s (at 18:00:00 UTC)" in message
    assert "run the command again after 18:00:00 UTC" in hint
    now = datetime(2026, 12, 3, 17, 22, 28, tzinfo=UTC).timestamp()
    message, hint = _quota_message(999999, now)  # Retry-After: 999999, 11.6 days
    assert "resets in 11 days 13 h (at 2026-12-15 07:10 UTC)" in message
    assert "run the command again after 2026-12-15 07:10 UTC" in hint


def test_a_wait_past_midnight_names_the_date() -> None:
    now = datetime(2026, 12, 3, 23, 30, 0, tzinfo=UTC).timestamp()
    message, _ = _quota_message(3600, now)
    assert "(at 2026-12-04 00:30 UTC)" in message


@pytest.mark.parametrize("wait_s", [2299966626.0, 10.0**20, float("inf")])
def test_an_absurd_wait_is_capped(wait_s: float) -> None:
    now = datetime(2026, 12, 3, 17, 0, 0, tzinfo=UTC).timestamp()
    message, hint = _quota_message(wait_s, now)
    assert "resets in more than a year" in message
    assert str(int(min(wait_s, 10**12))) not in message
    assert "raise --max-wait" not in hint
