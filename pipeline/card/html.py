"""One model card as the Hub shows it, in HTML: the body as GitHub-flavoured Markdown, the front
matter as the Hub's side panel (license, languages, base model and relation, library, tags).

The card's text is not trusted: it comes from the Hub, where anyone with write access may have
edited it. Raw HTML in the Markdown is escaped (markdown-it's `html` option off), links with
script or data URLs are refused by markdown-it's link validation, images are shown as links so
that opening the page makes no network request, and every other value passes through
`html.escape`.
"""

from __future__ import annotations

import difflib
import html
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.renderer import RendererHTML
from markdown_it.token import Token
from markdown_it.utils import EnvType, OptionsDict

from pipeline.card import frontmatter
from pipeline.errors import CardError

# The keys of the Hub's side panel, in its order, with their labels.
PANEL_KEYS: tuple[tuple[str, str], ...] = (
    ("license", "License"),
    ("language", "Languages"),
    ("base_model", "Base model"),
    ("base_model_relation", "Relation to the base model"),
    ("library_name", "Library"),
    ("pipeline_tag", "Task"),
    ("tags", "Tags"),
)


def _image_as_link(
    self: RendererHTML, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
) -> str:
    """An image becomes a link to it: the preview loads nothing from the network."""
    token = tokens[idx]
    src = html.escape(str(token.attrGet("src") or ""), quote=True)
    alt = html.escape(self.renderInlineAsText(token.children or [], options, env))
    return f'<a class="image" href="{src}">[image: {alt}]</a>'


def markdown() -> MarkdownIt:
    """The renderer: CommonMark plus GFM tables, strikethrough and bare-URL links; no raw HTML."""
    md = MarkdownIt("commonmark", {"html": False, "linkify": True, "typographer": False})
    md.enable(["table", "strikethrough", "linkify"])
    md.add_render_rule("image", _image_as_link)
    return md


_MD = markdown()


def render_markdown(text: str) -> str:
    return str(_MD.render(text))


def blocks(body: str) -> list[str]:
    """The body cut into its top-level Markdown blocks (heading, paragraph, list, table, code),
    each the source lines it spans; text between blocks (blank lines) is dropped."""
    lines = body.splitlines(keepends=True)
    out: list[str] = []
    for token in _MD.parse(body):
        if token.level == 0 and token.nesting in (0, 1) and token.map is not None:
            start, end = token.map
            # A list's range takes in the blank line after it; a block is its own lines only.
            out.append("".join(lines[start:end]).rstrip("\n") + "\n")
    return out


@dataclass(frozen=True)
class CardView:
    """A card split for display: its front-matter data (or why it cannot be read) and blocks."""

    data: Mapping[str, Any]
    metadata_error: str | None
    blocks: tuple[str, ...]


def view(content: str, card: str) -> CardView:
    yaml_text, body = frontmatter.split(content)
    data: Mapping[str, Any] = {}
    error = None
    if yaml_text is not None:
        try:
            loaded = frontmatter.load(yaml_text, card=card, line_offset=1)
        except CardError as exc:
            error = exc.problems[0].message if exc.problems else exc.message
        else:
            if isinstance(loaded, Mapping):
                data = loaded
            elif loaded is not None:
                error = f"the front matter is a {type(loaded).__name__}, not a mapping"
    return CardView(data=data, metadata_error=error, blocks=tuple(blocks(body)))


def marks(old: Sequence[str], new: Sequence[str]) -> tuple[list[str], list[str]]:
    """For each block of `old` and of `new`: "" when unchanged, else "removed", "added" or
    "changed" (a block replaced by another)."""
    old_marks = [""] * len(old)
    new_marks = [""] * len(new)
    matcher = difflib.SequenceMatcher(None, list(old), list(new), autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        for i in range(i1, i2):
            old_marks[i] = "changed" if tag == "replace" else "removed"
        for j in range(j1, j2):
            new_marks[j] = "changed" if tag == "replace" else "added"
    return old_marks, new_marks


def changed_keys(old: Mapping[str, Any], new: Mapping[str, Any]) -> frozenset[str]:
    return frozenset(k for k in set(old) | set(new) if old.get(k) != new.get(k))


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value
    return "" if value is None else str(value)


def _items(value: Any) -> list[str]:
    if isinstance(value, list | tuple):
        return [_text(item) for item in value]
    return [_text(value)] if value is not None else []


def panel(data: Mapping[str, Any], error: str | None, changed: frozenset[str]) -> str:
    """The Hub's side panel for `data`; rows of `changed` keys are marked."""
    rows: list[str] = []
    if error is not None:
        rows.append(f'<p class="meta-error">Front matter not readable: {html.escape(error)}</p>')
    for key, label in PANEL_KEYS:
        if key not in data:
            if key in changed:
                rows.append(
                    f'<div class="meta-row changed" data-key="{key}"><dt>{label}</dt>'
                    "<dd><em>none</em></dd></div>"
                )
            continue
        values = _items(data[key])
        chips = "".join(f'<span class="chip">{html.escape(v)}</span>' for v in values)
        mark = " changed" if key in changed else ""
        rows.append(
            f'<div class="meta-row{mark}" data-key="{key}"><dt>{label}</dt><dd>{chips}</dd></div>'
        )
    return '<aside class="meta"><dl>' + "".join(rows) + "</dl></aside>"


def card_html(card: CardView, block_marks: Sequence[str], changed: frozenset[str]) -> str:
    """The body (each block rendered, changed ones marked) beside the side panel."""
    parts = []
    for text, mark in zip(card.blocks, block_marks, strict=True):
        css = f"blk {mark}" if mark else "blk"
        parts.append(f'<div class="{css}">{render_markdown(text)}</div>')
    body = '<div class="body markdown">' + "".join(parts) + "</div>"
    return '<div class="hub">' + body + panel(card.data, card.metadata_error, changed) + "</div>"
