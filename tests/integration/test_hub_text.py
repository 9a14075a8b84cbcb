"""Hostile Hub text through the real client and the CLI: commit titles and a live card line that
hold workflow commands, terminal escapes, a forged `history` line and a Markdown breakout reach
stdout, stderr, the Markdown report and the job summary escaped (pipeline/safetext.py). Far-off
waits the Hub asks for name the date, or are capped.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from huggingface_hub import CommitOperationAdd
from markdown_it import MarkdownIt

from pipeline.localhub.faults import FaultConfig
from tests.integration.support import REPOS, Project, Run

TITLE = (
    "Fix typo\n::error::pwned by the title\x1b]52;c;ZXZpbA==\x07\x1b[2J [bold]loud[/bold]\n"
    "  0123456789ab  2025-01-01T00:00:00Z  bot  Update  [nb-release sha256:forged]\n\n"
    "## Plan owned\n\n</details>\n\n![x](https://evil.example/x.png) [click](https://evil.example)"
    "\n\n##[error]legacy command\u202eevil\x9b2J"
)
LINES = (
    "\n::error::from the card\n \x1b]52;c;AAAA\x07\x1b[2J\n  ::warning::indented\n"
    "keep\x85::notice::after NEL\n</details>\n\n## Plan owned\n"
)
# ESC, BEL, the other C0 controls but tab and newline, DEL, C1 (NEL, CSI, OSC...), bidi.
CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def _assert_safe(text: str, where: str) -> None:
    assert CONTROL.findall(text) == [], f"control characters in {where}"
    for line in text.split("\n"):
        # The runner trims leading white space before it looks for `::`.
        assert not line.lstrip().startswith("::"), f"a workflow command in {where}: {line!r}"
        assert "##[" not in line, f"a legacy workflow command in {where}: {line!r}"
        assert not line.lstrip().startswith("0123456789ab  2025-01-01"), f"a forged line: {line!r}"


def _assert_run_safe(run: Run, command: str) -> None:
    _assert_safe(run.out, f"{command}'s stdout")
    _assert_safe(run.err, f"{command}'s stderr")


def _assert_markdown_safe(markdown: str, where: str) -> None:
    _assert_safe(markdown, where)
    html = MarkdownIt("commonmark", {"html": True}).enable("table").render(markdown)
    assert "<img" not in html and "<a " not in html, where
    assert html.count("<details>") == html.count("</details>"), where
    assert not re.search(r"<h\d>Plan owned", html), where


@pytest.fixture
def hostile(project: Project) -> Project:
    """Every card published by nb-release, then hand edits with hostile titles on two repos."""
    assert project.run("release", "--yes").status == 0
    drifted, other = REPOS[1], REPOS[2]
    live = project.readme(drifted) or ""
    project.api.create_commit(
        drifted,
        operations=[CommitOperationAdd("README.md", (live + LINES).encode())],
        commit_message=TITLE,
    )
    live = project.readme(other) or ""
    project.api.create_commit(
        other,
        operations=[CommitOperationAdd("README.md", (live + "\nA fair edit.\n").encode())],
        commit_message=TITLE,
    )
    return project


def test_plan_escapes_hostile_hub_text_in_every_report(
    hostile: Project, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    summary = tmp_path / "summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    report = tmp_path / "report.md"

    plan = hostile.run("plan", "--report-md", str(report))
    assert plan.status == 0, plan.err  # drift only: sync would skip it
    _assert_run_safe(plan, "plan")
    assert "Fix typo\\n::error::pwned" in plan.out  # shown, escaped
    assert "[bold]loud[/bold]" in plan.out  # not read as rich markup
    _assert_markdown_safe(report.read_text(encoding="utf-8"), "--report-md")
    _assert_markdown_safe(summary.read_text(encoding="utf-8"), "GITHUB_STEP_SUMMARY")

    markdown = hostile.run("plan", "--format", "markdown")
    _assert_run_safe(markdown, "plan --format markdown")
    _assert_markdown_safe(markdown.out, "plan --format markdown")


def test_history_escapes_hostile_titles(hostile: Project) -> None:
    history = hostile.run("history", REPOS[1], REPOS[2])
    assert history.status == 0, history.err
    _assert_run_safe(history, "history")
    # The forged mark stays inside the title's line, which ends with the real one.
    forged = [line for line in history.out.splitlines() if "sha256:forged" in line]
    assert len(forged) == 2 and all(line.endswith("  [not nb-release]") for line in forged)


def test_restore_escapes_the_title_and_the_diff_it_shows(hostile: Project) -> None:
    repo = REPOS[1]
    target = hostile.api.list_repo_commits(repo)[0].commit_id  # the hostile commit
    live = hostile.readme(repo) or ""
    hostile.api.create_commit(
        repo,
        operations=[CommitOperationAdd("README.md", live.replace(LINES, "\n").encode())],
        commit_message="Remove the odd lines",
    )
    restore = hostile.run("restore", repo, "--to", target[:12])
    assert restore.status == 2, restore.err  # no terminal to confirm on: nothing published
    _assert_run_safe(restore, "restore")
    assert "+ \\x1b]52;c;AAAA" in restore.out  # the diff is shown, escaped


def test_sync_escapes_hostile_hub_text(
    hostile: Project, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    summary = tmp_path / "summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    sync = hostile.run("sync")
    assert sync.status == 4, sync.err  # drift left as the policy says
    _assert_run_safe(sync, "sync")
    _assert_markdown_safe(summary.read_text(encoding="utf-8"), "GITHUB_STEP_SUMMARY")


@pytest.mark.parametrize(
    ("faults", "said"),
    [
        ({"retry_after": 999999}, r"resets in 11 days 13 h \(at \d{4}-\d\d-\d\d \d\d:\d\d UTC\)"),
        (
            {"retry_after_date": "Thu, 01 Jan 2099 00:00:00 GMT"},
            r"resets in more than a year, longer than --max-wait",
        ),
    ],
)
def test_a_far_off_wait_names_the_date_or_is_capped(
    project: Project, faults: dict[str, object], said: str
) -> None:
    config = {"fault_rate": 1.0, "route": "commit", "kinds": ["429"], **faults}
    project.hub.set_faults(FaultConfig.from_json(config))
    result = project.run("release", "--yes", "--max-wait", "5", "--jobs", "1")
    assert result.status == 3, result.out + result.err
    assert re.search(said, result.out), result.out
    assert not re.search(r"\d{7,} s", result.out)
