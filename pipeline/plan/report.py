"""Three renderings of a Plan: the terminal (rich), Markdown (PR comment, CI summary) and JSON.

Library code never prints: `render_text` writes to the Console it is given (configured once, in the
CLI); the others return strings. All three are deterministic, so tests compare them byte for byte.
"""

from __future__ import annotations

import html
import json
import math
import re
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, assert_never

from rich import box
from rich.console import Console
from rich.rule import Rule
from rich.table import Table
from rich.text import Text

from pipeline.card.diff import CardDiff, JsonValue, MetadataChange
from pipeline.compliance import Finding
from pipeline.english import plural
from pipeline.ownership import (
    ACTIONS,
    DRIFT_STATES,
    POLICY_STATES,
    STATES,
    Decision,
    Policies,
    Policy,
    State,
    writes,
)
from pipeline.plan.collection_report import (
    NO_COLLECTIONS,
    Collections,
    json_collections,
    markdown_lines,
    text_lines,
)
from pipeline.plan.files import FileEntry
from pipeline.plan.model import Plan, PlanEntry, decide_all
from pipeline.records import CommitRecord
from pipeline.safetext import printable, printable_lines

REPORT_SCHEMA_VERSION = 8
# GitHub's limit for a comment or a job summary, in characters.
MARKDOWN_LIMIT = 65_536
# What render_markdown aims at by default: room left for a line a caller adds (the PR comment's
# marker, a heading of its own).
MARKDOWN_FIT = MARKDOWN_LIMIT - 1024
REPORT_KIND = "nb-release.plan-report"

_MAX_VALUE = 120  # characters of a metadata value shown in text and Markdown (JSON has it all)
_MAX_KEYS = 4  # metadata keys named in the summary table before "+N more"
_PLAIN_SCALAR = re.compile(r"^[A-Za-z0-9_./@+-]+$")


def _state_style(state: State) -> str:
    """The colour of a state in the text report (mypy names a state given none)."""
    if state == "create" or state == "create-repo":
        return "green"
    if state == "pending" or state == "proposed":
        return "yellow"
    if state == "drift" or state == "drift+pending":
        return "bold magenta"
    if state == "adopt":
        return "cyan"
    if state == "unchanged":
        return "dim"
    if state == "missing-repo":
        return "bold red"
    assert_never(state)


# Where a summary's reader finds the per-card diffs when no report file was written: true of
# plan, release and sync alike, and open to `make` users, who cannot pass flags to `make release`.
_WHERE_DIFFS = "`nb-release plan` shows them until they are published (from make: `make diff`)"
# Where the whole report is when diffs were left out of the Markdown (the text is never cut).
_WHERE_ALL = "`nb-release plan` shows every diff (from make: `make diff`)"
_CHANGE_MARK = {"added": "+", "removed": "-", "changed": "~"}
_CHANGE_STYLE = {"added": "green", "removed": "red", "changed": "yellow"}


# --- decisions ----------------------------------------------------------------------------

# What a plan assumes will act on it: the nightly run, which leaves drift and adoptions alone.
PLAN_COMMAND = "sync"
SYNC_DEFAULTS = Policies(on_drift="skip", on_adopt="skip")


@dataclass(frozen=True)
class Decided:
    """What a run does with each repo, and the command whose default policies it assumes
    where neither the command line nor the manifest sets one."""

    command: str
    decisions: Mapping[str, Decision]

    def of(self, entry: PlanEntry) -> Decision:
        return self.decisions[entry.repo_id]

    def writes(self, entry: PlanEntry) -> bool:
        return writes(self.of(entry))


def decided_by(
    plan: Plan,
    command: str = PLAN_COMMAND,
    *,
    on_drift: Policy | None = None,
    on_adopt: Policy | None = None,
    default: Policies = SYNC_DEFAULTS,
) -> Decided:
    """Each repo's decision: the command line's policy, else the manifest's, else `default`."""
    return Decided(command, decide_all(plan, on_drift, on_adopt, default))


_DOES: dict[Decision, str] = {
    "skip": "leave as {it} {are}",
    "pr": "propose as a pull request",
    "merge": "merge the hand edit into the new render (a pull request if they conflict)",
    "publish": "overwrite",
}


def decision_lines(plan: Plan, decided: Decided) -> list[str]:
    """What the run `decided` assumes does with the cards someone else changed or wrote, one
    line per decision: `nb-release sync` would leave as it is: REPO (drift)."""
    lines = []
    for decision, words in _DOES.items():
        entries = [e for e in (*plan.drifted, *plan.adopted) if decided.of(e) == decision]
        if entries:
            many = len(entries) > 1
            does = words.format(it="they" if many else "it", are="are" if many else "is")
            named = ", ".join(f"{e.repo_id} ({e.state})" for e in entries)
            lines.append(f"`nb-release {decided.command}` would {does}: {named}")
    return lines


def overwritten_lines(plan: Plan, published: Collection[str]) -> list[str]:
    """For each drifted or adopted card published to main (`published` names the repos): the
    commits it replaced and the command that brings the card back as it was (the head the plan
    read). `make` has no restore target: the command is the one way."""
    lines: list[str] = []
    for entry in (*plan.drifted, *plan.adopted):
        if entry.repo_id not in published or entry.owner is None or entry.head_sha is None:
            continue
        drift = entry.owner.drift
        commits = drift.commits if drift is not None else entry.owner.replaced
        what = "a hand edit" if entry.state in DRIFT_STATES else "a card nb-release never published"
        named = "; ".join(who_line(c) for c in commits[:5])
        if len(commits) > 5:
            named += f"; and {plural(len(commits) - 5, 'older commit')}"
        lines.append(f"  replaced {what} on {entry.repo_id}: {named or 'no commit named'}")
        restore = f"nb-release restore {entry.repo_id} --to {entry.head_sha[:12]}"
        # The card, when it changed; each companion someone else changed, by its path.
        card_changed = bool(entry.diff.lines_added or entry.diff.lines_removed)
        paths = [f.path for f in entry.files if f.state in POLICY_STATES]
        commands = ([f"`{restore}`"] if card_changed or not paths else []) + [
            f"`{restore} --file {printable(path)}`" for path in paths
        ]
        lines.append(f"  to bring it back: {' and '.join(commands)}")
    return lines


# --- shared wording -------------------------------------------------------------------------


def summary_line(plan: Plan) -> str:
    """`Plan: 2 to create, 3 to update, 11 unchanged.` (+ drift, adoptions, errors, if any)."""
    counts = plan.state_counts()
    creating = counts["create"] + counts["create-repo"]
    create = f"{creating} to create"
    if counts["create-repo"]:
        create += f" ({counts['create-repo']} in a new repo)"
    update = f"{counts['pending'] + counts['proposed']} to update"
    if counts["proposed"]:
        update += f" ({counts['proposed']} proposed in nb-release's pull requests)"
    parts = [create, update, f"{counts['unchanged']} unchanged"]
    drifted = sum(counts[state] for state in DRIFT_STATES)
    if drifted:
        parts.append(f"{drifted} drifted (changed on the Hub since nb-release's last publish)")
    if counts["adopt"]:
        parts.append(f"{counts['adopt']} to adopt (never published by nb-release)")
    errors = counts["missing-repo"]
    if errors:
        parts.append(plural(errors, "error"))
    return "Plan: " + ", ".join(parts) + "."


def unmanaged_lines(plan: Plan) -> list[str]:
    """Advice, never an error: each repo of the family's `manage` scope the manifest lacks, or
    that this run could not check (no listing was read: no Hub request is spent on it)."""
    found = plan.unmanaged
    if found is None:
        return []
    if found.repos is None:
        return [
            f"unmanaged: not checked for {found.scope} (this run read no listing of the "
            "namespace: a selection, --no-cache, a new local Hub, or a single repo)"
        ]
    return [
        f"unmanaged: {repo} matches {found.scope} and is not in the manifest "
        "(add it to models.toml, or run `nb-release import`)"
        for repo in found.repos
    ]


def shown_state(entry: PlanEntry) -> str:
    """An entry's state as the reports show it: `proposed (PR #3)`, or the state with the pull
    request nb-release has open on the repo (`drift, PR #3 open`), or the state alone."""
    if entry.pull is None:
        return entry.state
    if entry.state == "proposed":
        return f"proposed (PR #{entry.pull.number})"
    return f"{entry.state}, PR #{entry.pull.number} open"


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
    keys = [name(printable(c.key_path)) for c in diff.metadata_changes]
    shown = ", ".join(keys[:_MAX_KEYS])
    if len(keys) > _MAX_KEYS:
        shown += f", +{len(keys) - _MAX_KEYS} more"
    return shown


def lines_summary(diff: CardDiff) -> str:
    return f"+{diff.lines_added} -{diff.lines_removed}"


def who_line(commit: CommitRecord) -> str:
    """`0123456789ab 2025-01-31T12:00:00Z alice: Add evaluation table` (Hub text, escaped)."""
    authors = ", ".join(commit.authors) or "?"
    return printable(f"{commit.commit_id[:12]} {commit.created_at} {authors}: {commit.title}")


def ownership_lines(entry: PlanEntry) -> list[str]:
    """What backs a drift or adopt state, in plain words (empty for the other states)."""
    owner = entry.owner
    if owner is None or entry.state not in POLICY_STATES:
        return []
    if entry.state == "adopt":
        lines = ["README.md was never published by nb-release; its commits:"]
        lines += [f"  {who_line(c)}" for c in owner.replaced[:5]]
        if len(owner.replaced) > 5:
            lines.append(f"  and {len(owner.replaced) - 5} older")
        return lines
    lines = []
    if owner.published is not None:
        lines.append(f"nb-release last published it in {who_line(owner.published)}")
    commits = owner.drift.commits if owner.drift else ()
    lines.append(f"changed on the Hub since, in {plural(len(commits), 'commit')}:")
    lines += [f"  {who_line(c)}" for c in commits]
    if entry.state == "drift+pending":
        lines.append("the manifest or templates changed too (drift+pending)")
    return lines


def _lines_cell(entry: PlanEntry) -> str:
    # Nothing is written for these, so a line count would only mislead.
    return "" if entry.action in {"unchanged", "missing-repo"} else lines_summary(entry.diff)


def change_line(change: MetadataChange) -> str:
    """`~ license: 'llama3.1' -> 'llama3.2'`, `+ base_model: 'x'`, `- tags[3]: 'y'`."""
    mark = _CHANGE_MARK[change.kind]
    if change.kind == "added":
        line = f"{mark} {change.key_path}: {format_value(change.new)}"
    elif change.kind == "removed":
        line = f"{mark} {change.key_path}: {format_value(change.old)}"
    else:
        line = f"{mark} {change.key_path}: {format_value(change.old)} -> {format_value(change.new)}"
    return printable(line)  # the live card's keys and values are Hub text


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


def rule_lines(plan: Plan) -> list[str]:
    """The compliance rules' section: per rule it fails, its repos by name and what it says
    (once when it says the same of each; else repo by repo); none when every rule passes. The
    Markdown and JSON reports list every finding."""
    if not plan.findings:
        return []
    lines = ["Compliance rules (advisory, not blocking):"]
    by_rule: dict[str, list[Finding]] = {}
    for finding in plan.findings:
        by_rule.setdefault(finding.rule, []).append(finding)
    for rule, found in by_rule.items():
        names = ", ".join(f.repo_id.split("/")[-1] for f in found)
        lines.append(f"  {rule}: {plural(len(found), 'repo')}: {names}")
        if len({f.message for f in found}) == 1:
            lines.append(f"    {found[0].message}")
        else:
            lines += [f"    {f.repo_id.split('/')[-1]}: {f.message}" for f in found]
    return lines


def render_text(
    plan: Plan,
    console: Console,
    *,
    summary: bool = False,
    full_report: str | None = None,
    collections: Collections = NO_COLLECTIONS,
) -> None:
    """The plan for a terminal: summary table, each changed card's diff, the closing line.

    With `summary`, the table and the totals only, and `full_report` says where the diffs are.
    """
    console.print(Text(f"Plan against {plan.hub}", style="bold"), soft_wrap=True)
    console.print(
        Text(f"fingerprint {plan.fingerprint} · {plan.created_at}", style="dim"), soft_wrap=True
    )
    console.print()
    rows = [
        (entry.repo_id, shown_state(entry), _lines_cell(entry), metadata_summary(entry))
        for entry in plan.entries
    ]
    plain = _plain_table(rows, console)
    if plain is not None:
        console.file.write(plain)
    else:
        table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
        table.add_column("Repo", overflow="fold")
        table.add_column("State", no_wrap=True)
        table.add_column("+/-", justify="right", no_wrap=True)
        table.add_column("Metadata", overflow="fold")
        for (repo_id, state, lines, metadata), entry in zip(rows, plan.entries, strict=True):
            table.add_row(
                Text(repo_id),
                Text(state, style=_state_style(entry.state)),
                Text(lines),
                Text(metadata),
            )
        console.print(table)
    for entry in [] if summary else plan.changes:
        console.print()
        _text_entry(entry, console)
    if plan.errors:
        console.print()
    for entry in plan.errors:
        console.print(Text(f"error: {entry.repo_id} {_MISSING}", style="bold red"), soft_wrap=True)
        hint = _MISSING_HINT.format("allow_create = true", "models.toml")
        console.print(Text(f"  hint: {hint}"), soft_wrap=True)
    console.print()
    for line in text_lines(collections.diffs):  # the collections: collection_report.py
        console.print(Text(line), soft_wrap=True)
    console.print(Text(summary_line(plan), style="bold"), soft_wrap=True)
    for line in unmanaged_lines(plan):
        console.print(Text(printable(line), style="yellow"), soft_wrap=True)
    for line in rule_lines(plan):  # advisory findings: reported, never blocking
        console.print(Text(line), soft_wrap=True)
    if summary:
        # Who changed what stays in the summary: it is what a person acts on.
        for entry in (*plan.drifted, *plan.adopted):
            console.print(Text(f"{entry.repo_id}: {entry.state}", style="bold"), soft_wrap=True)
            for line in ownership_lines(entry):
                console.print(Text(f"  {line}"), soft_wrap=True)
    if summary and plan.changes:
        where = full_report or _WHERE_DIFFS
        console.print(Text(f"Per-card diffs: {where}"), soft_wrap=True)


_HEADERS = ("Repo", "State", "+/-", "Metadata")


def _plain_table(rows: Sequence[tuple[str, str, str, str]], console: Console) -> str | None:
    """The summary table as rich draws it without a terminal, built as plain text: drawing
    thousands of rows through rich takes seconds. None when rich must draw it (a terminal,
    colour forced, a console that records, a table wider than the console, a cell that is not
    printable ASCII); tests check that both draw the same bytes."""
    if console.is_terminal or console.color_system is not None or console.record:
        return None
    widths = [len(h) for h in _HEADERS]
    for row in rows:
        for column, cell in enumerate(row):
            if not (cell.isascii() and cell.isprintable()):
                return None
            widths[column] = max(widths[column], len(cell))
    total = sum(widths) + 3 * (len(widths) - 1)
    if total > console.width:
        return None

    def line(cells: tuple[str, str, str, str]) -> str:
        repo, state, lines, metadata = cells
        return (
            f"{repo.ljust(widths[0])}   {state.ljust(widths[1])}   "
            f"{lines.rjust(widths[2])}   {metadata.ljust(widths[3])}\n"
        )

    out = [line(_HEADERS), "\u2500" * total + "\n"]
    out.extend(line(row) for row in rows)
    return "".join(out)


def _text_entry(entry: PlanEntry, console: Console) -> None:
    diff = entry.diff
    title = f"{entry.repo_id}: {shown_state(entry)} ({lines_summary(diff)})"
    if console.is_terminal:
        console.print(Rule(Text(title, style=_state_style(entry.state)), align="left"))
    else:  # a log: a rule would be as wide as the (very wide) console
        console.print(Text(f"── {title} ──", style=_state_style(entry.state)), soft_wrap=True)
    for line in ownership_lines(entry):
        console.print(Text(line, style="magenta"), soft_wrap=True)
    drift = entry.owner.drift if entry.owner else None
    if drift is not None and drift.edit_diff:
        console.print(Text("Their edit (nb-release's last publish -> live):", style="bold"))
        _text_diff(drift.edit_diff, console)
        console.print(Text("What nb-release would change (live -> rendered):", style="bold"))
    if diff.live_metadata_error:
        error = printable(diff.live_metadata_error)
        console.print(Text(f"! {error}", style="red"), soft_wrap=True)
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
        _text_diff(diff.body_diff, console)
    for file in _changed_files(entry):
        console.print(Text(_file_line(file), style="bold"), soft_wrap=True)
        _text_diff(file.diff, console)


def _changed_files(entry: PlanEntry) -> list[FileEntry]:
    """The companion files of an entry that differ from their render."""
    return [f for f in entry.files if f.action != "unchanged" and f.diff]


def _file_line(file: FileEntry) -> str:
    counts = f"+{file.lines_added} -{file.lines_removed}"
    words = ", ".join(dict.fromkeys((file.action, file.state)))  # a new file's state is its action
    return f"{printable(file.path)}: {words} ({counts})"


def _text_diff(text: str, console: Console) -> None:
    body = Text()
    for line in printable_lines(text).splitlines(keepends=True):
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


def render_markdown(
    plan: Plan,
    *,
    summary: bool = False,
    limit: int = MARKDOWN_FIT,
    full_report: str | None = None,
    title: str = "nb-release plan",
    collections: Collections = NO_COLLECTIONS,
) -> str:
    """The plan as GitHub-flavoured Markdown, for a PR comment or a CI job summary.

    Never longer than `limit` characters: the per-card diffs (collapsible blocks) that do not fit
    are left out, and a line says which and where the full report is (`full_report`).
    """
    head = [
        f"## {title}",
        "",
        f"Hub: {_code(plan.hub)} · fingerprint {_code(plan.fingerprint)} · {plan.created_at}",
        "",
        "| Repo | State | +/- | Metadata |",
        "| --- | --- | ---: | --- |",
    ]
    for entry in plan.entries:
        meta = metadata_summary(entry, _code)
        cells = [_code(entry.repo_id), shown_state(entry), _lines_cell(entry), meta]
        head.append("| " + " | ".join(_cell(c) for c in cells) + " |")
    head.append("")
    head += markdown_lines(collections.diffs)  # the collections: collection_report.py
    tail: list[str] = []
    for entry in plan.errors:
        hint = _MISSING_HINT.format(_code("allow_create = true"), _code("models.toml"))
        tail += [f"> **Error:** {_code(entry.repo_id)} {_MISSING}.  ", f"> Hint: {hint}.", ""]
    tail.append(f"**{summary_line(plan)}**")
    tail += [f"> {_cell(line)}  " for line in unmanaged_lines(plan)]
    if plan.findings:
        tail += ["", "Compliance rules (advisory, not blocking):", ""]
        tail += [f"- {_code(f.repo_id)}: {f.rule}: {f.message}" for f in plan.findings]
    blocks = [] if summary else [_markdown_entry(entry) for entry in plan.changes]
    where = full_report or (_WHERE_DIFFS if summary else _WHERE_ALL)

    def assemble(kept: list[list[str]], note: list[str]) -> str:
        lines = head + [line for block in kept for line in block] + note + tail
        return "\n".join(lines) + "\n"

    note = [f"Per-card diffs: {where}.", ""] if summary and plan.changes else []
    if summary:
        for entry in (*plan.drifted, *plan.adopted):
            head += [f"**{_code(entry.repo_id)}: {shown_state(entry)}**  "]
            head += [_code(line.strip()) + "  " for line in ownership_lines(entry)] + [""]
    text = assemble(blocks, note)
    if len(text) <= limit:
        return text
    # Keep whole blocks, in order, while they fit with the note about the rest.
    kept: list[list[str]] = []
    for count in range(len(blocks) + 1):
        left = len(blocks) - count
        note = [
            f"> **{left} of {len(blocks)} card diffs left out** to fit GitHub's "
            f"{MARKDOWN_LIMIT:,}-character limit: {', '.join(_left_out(plan, count))}. "
            f"Full report: {where}.",
            "",
        ]
        if len(assemble(blocks[: count + 1], note)) > limit or count == len(blocks):
            kept = blocks[:count]
            break
    text = assemble(kept, note)
    if len(text) > limit:  # even the table does not fit: cut it by lines, say so
        everything = full_report or _WHERE_ALL
        cut = f"\n\n> **Report cut at {limit:,} characters.** Full report: {everything}.\n"
        text = text[: limit - len(cut)].rsplit("\n", 1)[0] + cut
    return text


def _left_out(plan: Plan, kept: int) -> list[str]:
    names = [e.repo_id for e in plan.changes[kept:]]
    shown = [_code(n) for n in names[:10]]
    if len(names) > 10:
        shown.append(f"and {len(names) - 10} more")
    return shown


def _markdown_entry(entry: PlanEntry) -> list[str]:
    diff = entry.diff
    summary = html.escape(f"{entry.repo_id} — {shown_state(entry)} ({lines_summary(diff)})")
    out = [f"<details><summary>{summary}</summary>", ""]
    owner_lines = ownership_lines(entry)
    if owner_lines:
        out += [_code(line.strip()) + "  " for line in owner_lines] + [""]
    drift = entry.owner.drift if entry.owner else None
    if drift is not None and drift.edit_diff:
        edit = printable_lines(drift.edit_diff)
        fence = _fence(edit)
        out += ["Their edit (nb-release's last publish -> live):", ""]
        out += [fence + "diff", edit.rstrip("\n"), fence, ""]
        out += ["What nb-release would change (live -> rendered):", ""]
    if diff.live_metadata_error:
        out += [f"Live front matter unreadable: {_code(printable(diff.live_metadata_error))}", ""]
    if diff.reformat_only:
        out += ["Front matter re-formatting only: the metadata is the same.", ""]
    if diff.metadata_changes:
        out += ["Metadata:", ""]
        out += [f"- {_code(change_line(c))}" for c in diff.metadata_changes]
        out.append("")
    if diff.body_diff:
        body = printable_lines(diff.body_diff)
        fence = _fence(body)
        out += [fence + "diff", body.rstrip("\n"), fence, ""]
    for file in _changed_files(entry):
        text = printable_lines(file.diff)
        fence = _fence(text)
        out += [_code(_file_line(file)), "", fence + "diff", text.rstrip("\n"), fence, ""]
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


def render_json(
    plan: Plan, decided: Decided | None = None, collections: Collections = NO_COLLECTIONS
) -> str:
    """The versioned plan report (docs/plan-schema.md): summary counts and per-repo changes,
    with what `decided` (by default: what `sync` would do) does with each repo.

    Unlike the plan file it carries no card contents, so it stays small enough for CI artifacts.
    """
    decided = decided or decided_by(plan)
    from pipeline.plan.planfile import dumps_json  # pydantic: only for JSON, never a text plan

    counts = plan.counts()
    states = plan.state_counts()
    document: dict[str, Any] = {
        "schema_version": REPORT_SCHEMA_VERSION,
        "kind": REPORT_KIND,
        "tool_version": plan.tool_version,
        "created_at": plan.created_at,
        "hub": plan.hub,
        "fingerprint": plan.fingerprint,
        "plan_schema_version": plan.schema_version,
        "decisions_assume": decided.command,
        "summary": {
            **{action: counts[action] for action in ACTIONS},
            "states": {state: states[state] for state in STATES},
            "changes": len(plan.changes),
            "writes": sum(1 for entry in plan.entries if decided.writes(entry)),
            "errors": len(plan.errors),
            "total": len(plan.entries),
            "text": summary_line(plan),
        },
        "entries": [_json_entry(entry, decided.of(entry)) for entry in plan.entries],
        "unmanaged": None
        if plan.unmanaged is None
        else {
            "scope": plan.unmanaged.scope,
            "checked": plan.unmanaged.repos is not None,
            "repos": list(plan.unmanaged.repos or ()),
            "lines": unmanaged_lines(plan),
        },
        "rules": [
            {"repo_id": f.repo_id, "rule": f.rule, "level": f.level, "message": f.message}
            for f in plan.findings
        ],
        "collections": json_collections(collections),
    }
    return dumps_json(document)


def _json_entry(entry: PlanEntry, decision: Decision) -> dict[str, Any]:
    from pipeline.plan.planfile import change_to_json, commit_to_json

    diff = entry.diff
    return {
        "repo_id": entry.repo_id,
        "variant": entry.variant,
        "action": entry.action,
        "state": entry.state,
        "pull_request": None
        if entry.pull is None
        else {"number": entry.pull.number, "url": entry.pull.url},
        "decision": decision,
        "writes": writes(decision),
        "published": commit_to_json(entry.owner.published)
        if entry.owner and entry.owner.published
        else None,
        "drift": _json_drift(entry),
        "head_sha": entry.head_sha,
        "lines_added": diff.lines_added,
        "lines_removed": diff.lines_removed,
        "reformat_only": diff.reformat_only,
        "live_metadata_error": diff.live_metadata_error,
        "metadata_changes": [change_to_json(c) for c in diff.metadata_changes],
        "body_diff": diff.body_diff,
        "files": [
            {
                "path": f.path,
                "action": f.action,
                "state": f.state,
                "lines_added": f.lines_added,
                "lines_removed": f.lines_removed,
                "diff": f.diff,
            }
            for f in entry.files
        ],
    }


def _json_drift(entry: PlanEntry) -> dict[str, Any] | None:
    from pipeline.plan.planfile import drift_to_json

    drift = entry.owner.drift if entry.owner else None
    return None if drift is None else drift_to_json(drift)
