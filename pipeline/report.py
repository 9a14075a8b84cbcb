"""Three renderings of a Plan: the terminal (rich), Markdown (PR comment, CI summary) and JSON.

Library code never prints: `render_text` writes to the Console it is given (configured once, in the
CLI); the others return strings. All three are deterministic, so tests compare them byte for byte.
"""

from __future__ import annotations

import html
import json
import math
import re
from collections.abc import Callable
from typing import Any

from rich import box
from rich.console import Console
from rich.rule import Rule
from rich.table import Table
from rich.text import Text

from pipeline.diff import ACTIONS, WRITE_ACTIONS, Action, CardDiff, JsonValue, MetadataChange
from pipeline.plan import Plan, PlanEntry, dumps_json

REPORT_SCHEMA_VERSION = 1
REPORT_KIND = "nb-release.plan-report"

_MAX_VALUE = 120  # characters of a metadata value shown in text and Markdown (JSON has it all)
_MAX_KEYS = 4  # metadata keys named in the summary table before "+N more"
_PLAIN_SCALAR = re.compile(r"^[A-Za-z0-9_./@+-]+$")

_ACTION_STYLE: dict[Action, str] = {
    "create": "green",
    "create-repo": "green",
    "update": "yellow",
    "unchanged": "dim",
    "missing-repo": "bold red",
}
_CHANGE_MARK = {"added": "+", "removed": "-", "changed": "~"}
_CHANGE_STYLE = {"added": "green", "removed": "red", "changed": "yellow"}


# --- shared wording -------------------------------------------------------------------------


def summary_line(plan: Plan) -> str:
    """`Plan: 2 to create, 3 to update, 11 unchanged.` (+ new repos and errors, if any)."""
    counts = plan.counts()
    creating = counts["create"] + counts["create-repo"]
    create = f"{creating} to create"
    if counts["create-repo"]:
        create += f" ({counts['create-repo']} in a new repo)"
    parts = [create, f"{counts['update']} to update", f"{counts['unchanged']} unchanged"]
    errors = counts["missing-repo"]
    if errors:
        parts.append(f"{errors} error{'s' if errors != 1 else ''}")
    return "Plan: " + ", ".join(parts) + "."


def metadata_summary(entry: PlanEntry, name: Callable[[str], str] = str) -> str:
    """What the summary table says about an entry's front matter; `name` formats a key path."""
    diff = entry.diff
    if entry.action == "missing-repo":
        return "repo does not exist"
    if entry.action == "unchanged":
        return ""
    if entry.action in {"create", "create-repo"}:
        return "new card"
    if diff.live_metadata_error:
        return "live front matter unreadable"
    if diff.reformat_only:
        return "re-formatting only"
    if not diff.metadata_changes:
        return "body only"
    keys = [name(c.key_path) for c in diff.metadata_changes]
    shown = ", ".join(keys[:_MAX_KEYS])
    if len(keys) > _MAX_KEYS:
        shown += f", +{len(keys) - _MAX_KEYS} more"
    return shown


def lines_summary(diff: CardDiff) -> str:
    return f"+{diff.lines_added} -{diff.lines_removed}"


def _lines_cell(entry: PlanEntry) -> str:
    # Nothing is written for these, so a line count would only mislead.
    return "" if entry.action in {"unchanged", "missing-repo"} else lines_summary(entry.diff)


def change_line(change: MetadataChange) -> str:
    """`~ license: 'llama3.1' -> 'llama3.2'`, `+ base_model: 'x'`, `- tags[3]: 'y'`."""
    mark = _CHANGE_MARK[change.kind]
    if change.kind == "added":
        return f"{mark} {change.key_path}: {format_value(change.new)}"
    if change.kind == "removed":
        return f"{mark} {change.key_path}: {format_value(change.old)}"
    return f"{mark} {change.key_path}: {format_value(change.old)} -> {format_value(change.new)}"


def format_value(value: JsonValue) -> str:
    """A metadata value on one line, YAML-flavoured, cut at _MAX_VALUE characters."""
    text = _flow(value)
    if len(text) > _MAX_VALUE:
        text = text[: _MAX_VALUE - 1] + "…"
    return text


def _flow(value: JsonValue) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(value) if math.isfinite(value) else str(value)
    if isinstance(value, str):
        if value.isprintable():
            return "'" + value.replace("'", "''") + "'"
        return json.dumps(value, ensure_ascii=False)  # escapes newlines and control characters
    if isinstance(value, list):
        return "[" + ", ".join(_flow(item) for item in value) + "]"
    return "{" + ", ".join(f"{_key(k)}: {_flow(v)}" for k, v in value.items()) + "}"


def _key(key: str) -> str:
    return key if _PLAIN_SCALAR.match(key) else _flow(key)


_MISSING = "does not exist on the Hub and the manifest does not allow creating it"
_MISSING_HINT = "create the repo on the Hub, or set {} for it in {}"


# --- text -----------------------------------------------------------------------------------


def render_text(plan: Plan, console: Console) -> None:
    """The plan for a terminal: summary table, each changed card's diff, the closing line."""
    console.print(Text(f"Plan against {plan.hub}", style="bold"), soft_wrap=True)
    console.print(
        Text(f"fingerprint {plan.fingerprint} · {plan.created_at}", style="dim"), soft_wrap=True
    )
    console.print()
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
    table.add_column("Repo", overflow="fold")
    table.add_column("Action", no_wrap=True)
    table.add_column("+/-", justify="right", no_wrap=True)
    table.add_column("Metadata", overflow="fold")
    for entry in plan.entries:
        table.add_row(
            Text(entry.repo_id),
            Text(entry.action, style=_ACTION_STYLE[entry.action]),
            Text(_lines_cell(entry)),
            Text(metadata_summary(entry)),
        )
    console.print(table)
    for entry in plan.changes:
        console.print()
        _text_entry(entry, console)
    if plan.errors:
        console.print()
    for entry in plan.errors:
        console.print(Text(f"error: {entry.repo_id} {_MISSING}", style="bold red"), soft_wrap=True)
        hint = _MISSING_HINT.format("allow_create = true", "models.toml")
        console.print(Text(f"  hint: {hint}"), soft_wrap=True)
    console.print()
    console.print(Text(summary_line(plan), style="bold"), soft_wrap=True)


def _text_entry(entry: PlanEntry, console: Console) -> None:
    diff = entry.diff
    title = f"{entry.repo_id}: {entry.action} ({lines_summary(diff)})"
    console.print(Rule(Text(title, style=_ACTION_STYLE[entry.action]), align="left"))
    if diff.live_metadata_error:
        console.print(Text(f"! {diff.live_metadata_error}", style="red"), soft_wrap=True)
    if diff.reformat_only:
        console.print(
            Text("front matter re-formatting only: the metadata is the same", style="dim"),
            soft_wrap=True,
        )
    for change in diff.metadata_changes:
        console.print(Text(change_line(change), style=_CHANGE_STYLE[change.kind]), soft_wrap=True)
    if diff.body_diff:
        if diff.metadata_changes or diff.live_metadata_error or diff.reformat_only:
            console.print()
        body = Text()
        for line in diff.body_diff.splitlines(keepends=True):
            body.append(line, style=_diff_line_style(line))
        body.rstrip()
        console.print(body, soft_wrap=True)


def _diff_line_style(line: str) -> str:
    if line.startswith(("--- ", "+++ ")):
        return "bold"
    if line.startswith("@@"):
        return "cyan"
    if line.startswith("+"):
        return "green"
    if line.startswith("-"):
        return "red"
    return ""


# --- Markdown -------------------------------------------------------------------------------


def render_markdown(plan: Plan) -> str:
    """The plan as GitHub-flavoured Markdown, for a PR comment or a CI job summary."""
    out = [
        "## nb-release plan",
        "",
        f"Hub: {_code(plan.hub)} · fingerprint {_code(plan.fingerprint)} · {plan.created_at}",
        "",
        "| Repo | Action | +/- | Metadata |",
        "| --- | --- | ---: | --- |",
    ]
    for entry in plan.entries:
        summary = metadata_summary(entry, _code)
        cells = [_code(entry.repo_id), entry.action, _lines_cell(entry), summary]
        out.append("| " + " | ".join(_cell(c) for c in cells) + " |")
    out.append("")
    for entry in plan.changes:
        out += _markdown_entry(entry)
    for entry in plan.errors:
        hint = _MISSING_HINT.format(_code("allow_create = true"), _code("models.toml"))
        out += [f"> **Error:** {_code(entry.repo_id)} {_MISSING}.  ", f"> Hint: {hint}.", ""]
    out.append(f"**{summary_line(plan)}**")
    return "\n".join(out) + "\n"


def _markdown_entry(entry: PlanEntry) -> list[str]:
    diff = entry.diff
    summary = html.escape(f"{entry.repo_id} — {entry.action} ({lines_summary(diff)})")
    out = [f"<details><summary>{summary}</summary>", ""]
    if diff.live_metadata_error:
        out += [f"Live front matter unreadable: {_code(diff.live_metadata_error)}", ""]
    if diff.reformat_only:
        out += ["Front matter re-formatting only: the metadata is the same.", ""]
    if diff.metadata_changes:
        out += ["Metadata:", ""]
        out += [f"- {_code(change_line(c))}" for c in diff.metadata_changes]
        out.append("")
    if diff.body_diff:
        fence = _fence(diff.body_diff)
        out += [fence + "diff", diff.body_diff.rstrip("\n"), fence, ""]
    out += ["</details>", ""]
    return out


def _fence(text: str) -> str:
    """A backtick fence longer than any backtick run in `text`, so the block cannot end early."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    return "`" * max(3, longest + 1)


def _code(text: str) -> str:
    """`text` as an inline code span, whatever backticks it holds."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    ticks = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{ticks}{pad}{text}{pad}{ticks}"


def _cell(text: str) -> str:
    # A pipe ends a table cell even inside a code span; GitHub accepts `\|` in both places.
    return text.replace("|", "\\|")


# --- JSON -----------------------------------------------------------------------------------


def render_json(plan: Plan) -> str:
    """The versioned plan report (docs/plan-schema.md): summary counts and per-repo changes.

    Unlike the plan file it carries no card contents, so it stays small enough for CI artifacts.
    """
    counts = plan.counts()
    document: dict[str, Any] = {
        "schema_version": REPORT_SCHEMA_VERSION,
        "kind": REPORT_KIND,
        "tool_version": plan.tool_version,
        "created_at": plan.created_at,
        "hub": plan.hub,
        "fingerprint": plan.fingerprint,
        "plan_schema_version": plan.schema_version,
        "summary": {
            **{action: counts[action] for action in ACTIONS},
            "changes": len(plan.changes),
            "errors": len(plan.errors),
            "total": len(plan.entries),
            "text": summary_line(plan),
        },
        "entries": [_json_entry(entry) for entry in plan.entries],
    }
    return dumps_json(document)


def _json_entry(entry: PlanEntry) -> dict[str, Any]:
    diff = entry.diff
    return {
        "repo_id": entry.repo_id,
        "variant": entry.variant,
        "action": entry.action,
        "writes": entry.action in WRITE_ACTIONS,
        "head_sha": entry.head_sha,
        "lines_added": diff.lines_added,
        "lines_removed": diff.lines_removed,
        "reformat_only": diff.reformat_only,
        "live_metadata_error": diff.live_metadata_error,
        "metadata_changes": [
            {"key_path": c.key_path, "kind": c.kind, "old": c.old, "new": c.new}
            for c in diff.metadata_changes
        ],
        "body_diff": diff.body_diff,
    }
