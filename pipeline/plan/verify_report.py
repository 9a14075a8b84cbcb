"""A Verification as text (rich), Markdown and JSON, in plain English.

Library code never prints: `render_text` writes to the Console it is given; the others return
strings.
"""

from __future__ import annotations

import json
from typing import Any

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from pipeline.card.readback import HUB
from pipeline.english import agrees, plural
from pipeline.plan.verify import Verification
from pipeline.safetext import printable

VERIFY_SCHEMA_VERSION = 1
VERIFY_KIND = "nb-release.verify-report"
_MAX_VALUE = 120


def summary_line(found: Verification) -> str:
    """One sentence: how many cards, and how many keys the Hub reads otherwise than meant."""
    cards = plural(len(found.repos), "card")
    if found.ok:
        return (
            f"Verified {cards} on {found.hub}: the Hub reads "
            f"{agrees(len(found.repos), 'it', 'every one')} as the manifest means it "
            "(0 mismatches)."
        )
    parts = []
    if found.mismatches:
        repos = len({m.repo_id for m in found.mismatches})
        parts.append(
            f"{plural(len(found.mismatches), 'mismatch', 'mismatches')} in "
            f"{plural(repos, 'repo')}: {agrees(repos, 'its card is', 'their cards are')} not "
            "read as the manifest means"
        )
    if found.unlisted:
        parts.append(
            f"{plural(len(found.unlisted), 'repo')} the Hub's listing shows without a card"
        )
    return f"Verified {cards} on {found.hub}: " + "; ".join(parts) + "."


def _reader(reader: str) -> str:
    return "the Hub reads" if reader == HUB else f"{reader} reads"


def _short(text: str) -> str:
    text = printable(text)
    return text if len(text) <= _MAX_VALUE else text[: _MAX_VALUE - 3] + "..."


def render_text(found: Verification, console: Console) -> None:
    """The mismatches as a table (repo, key, meant, read), then the summary line."""
    if found.mismatches or found.unlisted:
        table = Table(box=box.SIMPLE_HEAD, show_edge=False)
        for column in ("repo", "key", "meant", "read"):
            table.add_column(column, overflow="fold")
        for m in found.mismatches:
            cells = (m.repo_id, m.key, _short(m.meant), f"{_reader(m.reader)} {_short(m.read)}")
            table.add_row(*(Text(cell) for cell in cells))  # Hub text: never read as markup
        for repo_id in found.unlisted:
            cells = (repo_id, "(card)", "a card", "the Hub's listing shows none")
            table.add_row(*(Text(cell) for cell in cells))
        console.print(table)
    console.print(summary_line(found), markup=False)


def render_markdown(found: Verification, title: str = "nb-release verify") -> str:
    lines = [f"### {title}", "", summary_line(found), ""]
    if found.mismatches or found.unlisted:
        lines += ["| repo | key | meant | read |", "| --- | --- | --- | --- |"]
        for m in found.mismatches:
            cells = (m.repo_id, m.key, _short(m.meant), f"{_reader(m.reader)} {_short(m.read)}")
            lines.append("| " + " | ".join(_cell(c) for c in cells) + " |")
        for repo_id in found.unlisted:
            lines.append(f"| {_cell(repo_id)} | (card) | a card | the Hub's listing shows none |")
        lines.append("")
    return "\n".join(lines)


def _cell(text: str) -> str:
    return "`" + text.replace("`", "'").replace("|", "\\|") + "`"


def render_json(found: Verification) -> str:
    document: dict[str, Any] = {
        "schema_version": VERIFY_SCHEMA_VERSION,
        "kind": VERIFY_KIND,
        "hub": found.hub,
        "summary": {
            "repos": len(found.repos),
            "mismatches": len(found.mismatches),
            "unlisted": len(found.unlisted),
            "cards_read": found.read,
            "text": summary_line(found),
        },
        "mismatches": [
            {
                "repo_id": m.repo_id,
                "key": m.key,
                "meant": m.meant,
                "read": m.read,
                "reader": m.reader,
            }
            for m in found.mismatches
        ],
        "unlisted": list(found.unlisted),
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
