"""The review page: one self-contained HTML file for a plan (README.md, `nb-release preview`).

The plan's table first, then each changed card as the Hub would show it, the live card and the
rendered one side by side, the blocks and side-panel rows that change marked. CSS is inline;
there is no script, font or image from anywhere, and a Content-Security-Policy says so to the
browser. Everything taken from a card, the plan or the Hub passes through `html.escape` or the
Markdown renderer of html_card.py, which escapes raw HTML.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Mapping
from pathlib import Path

from pipeline.atomic import make_folders, write_text_atomically
from pipeline.card import html as html_card
from pipeline.english import agrees
from pipeline.ownership import POLICY_STATES
from pipeline.plan.collection_report import NO_COLLECTIONS, Collections, html_section
from pipeline.plan.model import Plan, PlanEntry
from pipeline.plan.report import (
    Decided,
    decided_by,
    metadata_summary,
    shown_state,
    unmanaged_lines,
)
from pipeline.safetext import printable_lines

# No script, no network: styles inline, images only as data: (the renderer makes none).
CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'"

CSS = """
:root { color-scheme: light; --line: #e5e7eb; --muted: #6b7280; }
* { box-sizing: border-box; }
body { margin: 0; padding: 1.5rem 2rem; font: 15px/1.55 system-ui, -apple-system, "Segoe UI",
  Roboto, "Helvetica Neue", Arial, sans-serif; color: #111827; background: #fff; }
h1 { font-size: 1.5rem; margin: 0 0 .25rem; }
.summary { color: var(--muted); margin: 0 0 1.5rem; }
table { border-collapse: collapse; margin: 0 0 1rem; }
th, td { border: 1px solid var(--line); padding: .35rem .7rem; text-align: left;
  vertical-align: top; }
th { background: #f9fafb; }
table.plan td.num { text-align: right; font-variant-numeric: tabular-nums; }
.action { font-weight: 600; }
section.card { border-top: 2px solid var(--line); margin-top: 2rem; padding-top: 1rem; }
section.card > h2 { font-size: 1.25rem; margin: 0 0 .75rem; }
.sides { display: grid; grid-template-columns: minmax(0, 1fr) minmax(0, 1fr); gap: 1.25rem; }
.side > h3 { font-size: .8rem; text-transform: uppercase; letter-spacing: .05em;
  color: var(--muted); margin: 0 0 .5rem; }
.missing { color: var(--muted); font-style: italic; }
.hub { display: grid; grid-template-columns: minmax(0, 1fr) 15rem; gap: 1.25rem;
  border: 1px solid var(--line); border-radius: .5rem; padding: 1rem; }
.markdown { overflow-wrap: anywhere; }
.markdown h1, .markdown h2, .markdown h3, .markdown h4 { line-height: 1.25; margin: 1rem 0 .5rem; }
.markdown pre { background: #f3f4f6; padding: .75rem; border-radius: .375rem; overflow-x: auto; }
.markdown code { font: .85em/1.5 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
.markdown hr { border: 0; border-top: 1px solid var(--line); }
.markdown a { color: #2563eb; }
.blk { border-left: 3px solid transparent; padding-left: .5rem; margin-left: -.75rem; }
.blk.changed { background: #fef9c3; border-left-color: #ca8a04; }
.blk.added { background: #dcfce7; border-left-color: #16a34a; }
.blk.removed { background: #fee2e2; border-left-color: #dc2626; }
.meta { font-size: .85rem; border-left: 1px solid var(--line); padding-left: 1rem; }
.meta dl { margin: 0; }
.meta-row { margin: 0 0 .75rem; padding: .25rem; border-radius: .25rem; }
.meta-row.changed { background: #fef9c3; }
.meta dt { font-weight: 600; color: var(--muted); }
.meta dd { margin: .2rem 0 0; }
.chip { display: inline-block; border: 1px solid var(--line); border-radius: 1rem;
  padding: 0 .5rem; margin: 0 .25rem .25rem 0; background: #f9fafb; }
.meta-error { color: #b91c1c; }
.legend span { padding: 0 .4rem; margin: 0 .5rem 0 0; }
"""


def anchor(repo_id: str) -> str:
    """The id of a card's section: the repo id with `/` as `--` (repo ids are Hub-validated)."""
    return "card-" + repo_id.replace("/", "--")


def _plan_table(plan: Plan, decided: Decided) -> str:
    rows = []
    for entry in plan.entries:
        changed = entry in plan.changes
        name = html.escape(entry.repo_id)
        repo = f'<a href="#{html.escape(anchor(entry.repo_id), quote=True)}">{name}</a>'
        diff = entry.diff
        rows.append(
            "<tr>"
            f"<td>{repo if changed else name}</td>"
            f'<td class="action">{html.escape(str(entry.action))}</td>'
            f"<td>{html.escape(shown_state(entry))}</td>"
            f"<td>{html.escape(decided.of(entry))}</td>"
            f'<td class="num">+{diff.lines_added}</td>'
            f'<td class="num">-{diff.lines_removed}</td>'
            f"<td>{html.escape(metadata_summary(entry))}</td>"
            "</tr>"
        )
    return (
        '<table class="plan"><thead><tr><th>repo</th><th>action</th><th>state</th>'
        "<th>decision</th><th>added</th><th>removed</th><th>metadata</th></tr></thead><tbody>"
        + "".join(rows)
        + "</tbody></table>"
    )


def _card_section(entry: PlanEntry, live: str | None, decided: Decided) -> str:
    new = html_card.view(entry.content or "", f"{entry.repo_id} (rendered)")
    old = html_card.view(live, f"{entry.repo_id} (live)") if live is not None else None
    old_marks, new_marks = html_card.marks(old.blocks if old else (), new.blocks)
    changed = html_card.changed_keys(old.data if old else {}, new.data)
    if old is None:
        live_html = '<p class="missing">No README.md on the Hub.</p>'
    else:
        live_html = html_card.card_html(old, old_marks, changed)
    repo = html.escape(entry.repo_id)
    # A new card's state is its action (create, create-repo): named once.
    words = dict.fromkeys((str(entry.action), shown_state(entry)))
    heading = ", ".join(words)
    if entry.state in POLICY_STATES:
        # Someone else's card: what the policy does with it is the news, not the action.
        heading += f": {decided.of(entry)}"
    return (
        f'<section class="card" id="{html.escape(anchor(entry.repo_id), quote=True)}" '
        f'data-repo="{html.escape(entry.repo_id, quote=True)}">'
        f'<h2>{repo} <span class="action">({html.escape(heading)})</span></h2>'
        '<div class="sides">'
        f'<article class="side live"><h3>Live on the Hub</h3>{live_html}</article>'
        '<article class="side rendered"><h3>Rendered from the manifest</h3>'
        f"{html_card.card_html(new, new_marks, changed)}</article>"
        f"</div>{_files_html(entry)}</section>"
    )


def _files_html(entry: PlanEntry) -> str:
    """Each companion file that changes (NOTICE): its action, state and diff, as text."""
    parts = [
        f'<div class="file"><h3>{html.escape(f.path)} '
        f'<span class="action">({html.escape(f.action)}, {html.escape(f.state)})</span></h3>'
        f"<pre>{html.escape(printable_lines(f.diff))}</pre></div>"
        for f in entry.files
        if f.action != "unchanged" and f.diff
    ]
    return "".join(parts)


def render_page(
    plan: Plan,
    live: Mapping[str, str | None],
    target: str,
    decided: Decided | None = None,
    collections: Collections = NO_COLLECTIONS,
) -> str:
    """The whole page; `live` holds the live README.md of each changed repo (None: none);
    `decided` what a run does with each (by default: what `nb-release sync` would do)."""
    decided = decided or decided_by(plan)
    changes = plan.changes
    written = sum(1 for entry in changes if decided.writes(entry))
    summary = (
        f"{written} of {len(plan.entries)} cards would be written on {target} by "
        f"`nb-release {decided.command}`"
    )
    left = len(changes) - written
    if left:
        other = agrees(left, "other changed card is", "other changed cards are")
        summary += f" ({left} {other} left as the policy says)"
    summary += f"; plan made {plan.created_at} by nb-release {plan.tool_version}."
    legend = (
        '<p class="legend">Marked blocks: <span class="blk changed">changed</span>'
        '<span class="blk added">added</span><span class="blk removed">removed</span></p>'
    )
    sections = "".join(_card_section(e, live.get(e.repo_id), decided) for e in changes)
    advice = "".join(
        f'<p class="unmanaged">{html.escape(line)}</p>' for line in unmanaged_lines(plan)
    )
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        "<title>nb-release preview</title>"
        f"<style>{CSS}</style></head><body>"
        "<header><h1>nb-release preview</h1>"
        f'<p class="summary">{html.escape(summary)}</p></header>'
        f'<section id="plan"><h2>Plan</h2>{_plan_table(plan, decided)}{legend}{advice}</section>'
        f"{html_section(collections.diffs)}"  # the collections: collection_report.py
        f"{sections}</body></html>\n"
    )


def live_contents(plan: Plan, read: Callable[[str, str], str | None]) -> dict[str, str | None]:
    """The live README.md of each changed repo at the commit the plan diffed against, through
    `read(repo_id, revision)`; None for a repo without one."""
    return {
        entry.repo_id: read(entry.repo_id, entry.head_sha) if entry.head_sha else None
        for entry in plan.changes
    }


def write_page(page: str, path: Path) -> Path:
    """Write the page atomically (parents created); return its path."""
    make_folders(path.parent)
    write_text_atomically(path, page)
    return path
