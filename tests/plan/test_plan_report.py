"""The three plan reports, compared byte for byte with tests/plan/golden/ (golden_files.py)."""

from __future__ import annotations

import io
import json
from dataclasses import replace
from datetime import UTC, datetime

import pytest
from rich.console import Console

from pipeline.card.diff import MetadataChange, diff_card
from pipeline.ownership import Drift, Ownership, Policies, Policy
from pipeline.plan.model import Plan, make_plan
from pipeline.plan.report import (
    decided_by,
    decision_lines,
    format_value,
    overwritten_lines,
    render_json,
    render_markdown,
    render_text,
    summary_line,
)
from pipeline.records import CommitRecord, LiveCard, RenderedCard
from tests.golden_files import Golden

SHA = "0123456789abcdef0123456789abcdef01234567"

BASE = """\
---
license: llama3.1
language:
- "no"
- nb
- nn
- en
- sv
- da
pipeline_tag: text-generation
---
# NB-Llama-3.1-8B

NB-Llama-3.1-8B is a continued pre-training of Meta's Llama-3.1-8B on public Norwegian,
English, Swedish and Danish data, by the National Library of Norway (NB-AiLab).

## Model details
- Developer: National Library of Norway (NB-AiLab)
- Knowledge cutoff: May 2024
- Parameters: 8 billion
"""

GGUF = """\
---
base_model: NbAiLab/nb-llama-3.2-1B
license: llama3.2
tags:
- llama-cpp
- gguf
- quantization
---
# NB-Llama-3.2-1B Q4_K_M GGUF

A Q4_K_M quantisation made with llama.cpp, for testing on modest hardware.

## Usage

```bash
llama-cli --hf-file nb-llama-3.2-1b_1200-q4_k_m.gguf -p "Hei"
```

## Links
- llama.cpp: https://github.com/ggerganov/llama.cpp
"""

GGUF_LIVE = (
    GGUF.replace("license: llama3.2", "license: llama3.1")
    .replace("- quantization\n", "")
    .replace("base_model: NbAiLab/nb-llama-3.2-1B\n", "")
    .replace("```bash\nllama-cli", "```\nllama-cli")
    .replace(' -p "Hei"', "")
)


def card(repo: str, content: str, *, allow_create: bool = False) -> RenderedCard:
    return RenderedCard(f"NbAiLab/{repo}", repo, "base.md.j2", content, allow_create)


def state(repo: str, content: str | None, *, exists: bool = True) -> LiveCard:
    return LiveCard(f"NbAiLab/{repo}", exists, SHA if exists else None, content)


def golden_plan() -> Plan:
    """create, update with metadata and body changes, re-formatting only, unchanged, missing."""
    pairs = [
        (card("nb-llama-3.2-3B", BASE.replace("3.1-8B", "3.2-3B")), state("nb-llama-3.2-3B", None)),
        (
            card("nb-llama-3.2-1B-Q4_K_M-GGUF", GGUF),
            state("nb-llama-3.2-1B-Q4_K_M-GGUF", GGUF_LIVE),
        ),
        (
            card("nb-llama-3.1-8B", BASE),
            state("nb-llama-3.1-8B", BASE.replace('- "no"', "- 'no'").replace("\n", "\r\n")),
        ),
        (card("nb-llama-3.1-70B", BASE), state("nb-llama-3.1-70B", BASE.replace("\n", "\r\n"))),
        (card("nb-llama-3.1-70B-sft", BASE), state("nb-llama-3.1-70B-sft", None, exists=False)),
    ]
    rendered = [r for r, _ in pairs]
    live = [lv for _, lv in pairs]
    return make_plan(
        [diff_card(r, lv) for r, lv in pairs],
        rendered,
        live,
        hub="https://huggingface.co",
        fingerprint="sha256:5f2b9c0e",
        tool_version="0.1.0",
        now=datetime(2025, 1, 31, 12, 0, tzinfo=UTC),
    )


def text_of(plan: Plan) -> str:
    out = io.StringIO()
    render_text(plan, Console(file=out, width=100, color_system=None, force_terminal=False))
    return out.getvalue()


def test_golden_plan_has_every_action() -> None:
    actions = [e.action for e in golden_plan().entries]
    assert actions == ["create", "update", "update", "unchanged", "missing-repo"]
    assert golden_plan().entries[2].diff.reformat_only


def test_text_report(golden: Golden) -> None:
    golden("report.txt", text_of(golden_plan()))


def test_markdown_report(golden: Golden) -> None:
    golden("report.md", render_markdown(golden_plan()))


def test_json_report(golden: Golden) -> None:
    golden("report.json", render_json(golden_plan()))


def test_markdown_fence_is_longer_than_any_backtick_run() -> None:
    markdown = render_markdown(golden_plan())
    # The GGUF body diff holds ``` fences, so the diff block is fenced with four.
    assert "````diff\n--- a/README.md\n" in markdown
    assert markdown.count("````") == 2


def test_json_report_is_versioned_and_counts() -> None:
    data = json.loads(render_json(golden_plan()))
    assert data["schema_version"] == 8
    assert data["kind"] == "nb-release.plan-report"
    assert data["summary"] == {
        "create": 1,
        "create-repo": 0,
        "update": 2,
        "unchanged": 1,
        "missing-repo": 1,
        "changes": 3,
        "writes": 3,
        "errors": 1,
        "total": 5,
        "states": {
            "unchanged": 1,
            "pending": 2,
            "proposed": 0,
            "drift": 0,
            "drift+pending": 0,
            "adopt": 0,
            "create": 1,
            "create-repo": 0,
            "missing-repo": 1,
        },
        "text": "Plan: 1 to create, 2 to update, 1 unchanged, 1 error.",
    }
    assert "content" not in data["entries"][0]


def test_summary_line_without_errors_and_with_new_repos() -> None:
    rendered = [card("a", BASE, allow_create=True), card("b", BASE)]
    live = [state("a", None, exists=False), state("b", BASE)]
    plan = make_plan(
        [diff_card(r, lv) for r, lv in zip(rendered, live, strict=True)],
        rendered,
        live,
        hub="h",
        fingerprint="f",
        tool_version="v",
        now=datetime(2025, 1, 1, tzinfo=UTC),
    )
    assert summary_line(plan) == "Plan: 1 to create (1 in a new repo), 0 to update, 1 unchanged."


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("llama3.1", "'llama3.1'"),
        ("it's", "'it''s'"),
        ("two\nlines", '"two\\nlines"'),
        (None, "null"),
        (True, "true"),
        (1.5, "1.5"),
        (["no", 1], "['no', 1]"),
        ({"name": "x", "a b": []}, "{name: 'x', 'a b': []}"),
        ("x" * 200, "'" + "x" * 118 + "…"),
    ],
)
def test_format_value(value: object, shown: str) -> None:
    assert format_value(value) == shown  # type: ignore[arg-type]


def test_change_lines_in_text_report() -> None:
    text = text_of(golden_plan())
    assert "~ license: 'llama3.1' -> 'llama3.2'" in text
    assert "+ base_model: 'NbAiLab/nb-llama-3.2-1B'" in text
    assert "+ tags[2]: 'quantization'" in text
    assert "re-formatting only" in text


def test_reports_never_hold_a_token() -> None:
    rendered = [card("a", BASE)]
    live = [state("a", None)]
    plan = make_plan(
        [diff_card(rendered[0], live[0])],
        rendered,
        live,
        hub="https://x:hf_secrettoken@hub.example/?token=hf_secrettoken",
        fingerprint="f",
        tool_version="v",
        now=datetime(2025, 1, 1, tzinfo=UTC),
    )
    for output in (text_of(plan), render_markdown(plan), render_json(plan)):
        assert "hf_secret" not in output


def test_metadata_change_order_is_kept() -> None:
    diff = golden_plan().entries[1].diff
    assert diff.metadata_changes == (
        MetadataChange("license", "changed", "llama3.1", "llama3.2"),
        MetadataChange("tags[2]", "added", None, "quantization"),
        MetadataChange("base_model", "added", None, "NbAiLab/nb-llama-3.2-1B"),
    )


def test_card_text_is_never_read_as_rich_markup() -> None:
    content = BASE.replace("## Model details", "[bold]not markup[/bold] :smile:")
    rendered = [card("a", content)]
    live = [state("a", BASE)]
    plan = make_plan(
        [diff_card(rendered[0], live[0])],
        rendered,
        live,
        hub="h",
        fingerprint="f",
        tool_version="v",
        now=datetime(2025, 1, 1, tzinfo=UTC),
    )
    assert "+[bold]not markup[/bold] :smile:\n" in text_of(plan)
    out = io.StringIO()
    render_text(plan, Console(file=out, width=100, color_system="truecolor", force_terminal=True))
    assert "[bold]not markup[/bold] :smile:" in out.getvalue()
    assert "\x1b[" in out.getvalue()


_TABLE_ROWS = [
    [],
    [("NbAiLab/a", "unchanged", "", "")],
    [
        ("NbAiLab/nb-llama-3.2-1B", "pending", "+3 -3", "body only"),
        ("NbAiLab/nb-llama-3.1-8B-Q4_K_M-GGUF", "drift+pending", "+120 -4", "tags[3], +2 more"),
        ("NbAiLab/x", "create", "+80 -0", "license, language, tags, base_model, +9 more"),
    ],
    [("NbAiLab/" + "long-name-" * 8, "missing-repo", "", "")],
]


@pytest.mark.parametrize("rows", _TABLE_ROWS)
def test_the_plain_table_is_what_rich_draws(rows: list[tuple[str, str, str, str]]) -> None:
    """Without a terminal the summary table is built as plain text (thousands of rows through
    rich take seconds); it must be the same bytes rich draws."""
    from rich import box
    from rich.table import Table

    from pipeline.plan.report import _plain_table

    drawn = io.StringIO()
    console = Console(file=drawn, width=1000, soft_wrap=True, highlight=False)
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
    table.add_column("Repo", overflow="fold")
    table.add_column("State", no_wrap=True)
    table.add_column("+/-", justify="right", no_wrap=True)
    table.add_column("Metadata", overflow="fold")
    for row in rows:
        table.add_row(*row)
    console.print(table)
    assert _plain_table(rows, console) == drawn.getvalue()


def test_rich_draws_the_table_where_plain_text_would_differ() -> None:
    from pipeline.plan.report import _plain_table

    rows = [("NbAiLab/a", "pending", "+1 -1", "tags[0]")]
    terminal = Console(file=io.StringIO(), width=1000, force_terminal=True)
    narrow = Console(file=io.StringIO(), width=20)
    assert _plain_table(rows, terminal) is None
    assert _plain_table(rows, narrow) is None  # rich folds what does not fit
    wide_chars = [("NbAiLab/a", "pending", "+1 -1", "språk")]
    assert _plain_table(wide_chars, Console(file=io.StringIO(), width=1000)) is None


def _drift_plan(on_drift: Policy | None = None) -> Plan:
    """One drifted card (someone edited it on the Hub) and one pending card, each with its
    ownership, and the manifest's on_drift for the drifted one if given."""
    plan = golden_plan()
    published = CommitRecord(SHA, "2025-01-30T12:00:00Z", ("bot",), "Update model card", "")
    edit = CommitRecord("f" * 40, "2025-01-31T09:00:00Z", ("alice",), "Add evaluation table", "")
    drift = Drift(commits=(edit,), edit_diff="", lines_added=1, lines_removed=0)
    drifted = replace(
        plan.entries[1],
        owner=Ownership("drift", published=published, drift=drift, replaced=(edit,)),
        on_drift=on_drift,
    )
    pending = replace(plan.entries[2], owner=Ownership("pending", published=published))
    return replace(plan, entries=(plan.entries[0], drifted, pending, *plan.entries[3:]))


def test_json_report_says_what_sync_would_do_with_each_card() -> None:
    data = json.loads(render_json(_drift_plan()))
    assert data["decisions_assume"] == "sync"
    decisions = {e["state"]: (e["decision"], e["writes"]) for e in data["entries"]}
    assert decisions == {
        "create": ("publish", True),
        "drift": ("skip", False),  # sync's default for drift: left as it is
        "pending": ("publish", True),
        "unchanged": ("none", False),
        "missing-repo": ("error", False),
    }
    assert data["summary"]["writes"] == 2


def test_json_report_follows_the_manifests_policy_and_the_commands() -> None:
    data = json.loads(render_json(_drift_plan(on_drift="pr")))
    drifted = next(e for e in data["entries"] if e["state"] == "drift")
    assert (drifted["decision"], drifted["writes"]) == ("pr", True)
    plan = _drift_plan(on_drift="pr")
    release = decided_by(plan, "release", on_drift="overwrite", default=Policies("skip", "skip"))
    data = json.loads(render_json(plan, release))
    drifted = next(e for e in data["entries"] if e["state"] == "drift")
    assert data["decisions_assume"] == "release"
    assert (drifted["decision"], drifted["writes"]) == ("publish", True)


def test_decision_lines_say_what_sync_would_do_with_someone_elses_card() -> None:
    plan = _drift_plan()
    repo = plan.entries[1].repo_id
    assert decision_lines(plan, decided_by(plan)) == [
        f"`nb-release sync` would leave as it is: {repo} (drift)"
    ]
    release = decided_by(plan, "release", on_drift="overwrite")
    assert decision_lines(plan, release) == [
        f"`nb-release release` would overwrite: {repo} (drift)"
    ]
    assert decision_lines(golden_plan(), decided_by(golden_plan())) == []


def test_overwritten_lines_name_the_replaced_commits_and_the_restore() -> None:
    plan = _drift_plan()
    drifted = plan.entries[1]
    lines = overwritten_lines(plan, {drifted.repo_id, plan.entries[2].repo_id})
    assert lines == [
        f"  replaced a hand edit on {drifted.repo_id}: {'f' * 12} 2025-01-31T09:00:00Z alice: "
        "Add evaluation table",
        f"  to bring it back: `nb-release restore {drifted.repo_id} --to {SHA[:12]}`",
    ]
    assert overwritten_lines(plan, {plan.entries[2].repo_id}) == []
