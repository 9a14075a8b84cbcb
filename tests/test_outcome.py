"""What a publish prints: a line per repo in the plan's order, counts in plain English, hints a
`make` user can follow, and progress that names no repo when there is no terminal."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from rich.console import Console

from pipeline.card.diff import CardDiff
from pipeline.cli.terminal import progress
from pipeline.english import plural
from pipeline.hub.client import CommitResult, Target
from pipeline.ownership import Decision, Ownership
from pipeline.plan.model import PlanEntry
from pipeline.plan.outcome import apply_lines, left_lines
from pipeline.plan.publish import ApplyResult, MergeNote
from pipeline.plan.report import _WHERE_ALL, _WHERE_DIFFS
from pipeline.records import CommitRecord

LOCAL = Target(url="http://127.0.0.1:1", local_root=Path(".hub"))
REMOTE = Target(url="https://huggingface.co")


def _commit(repo_id: str) -> str:
    return f"https://huggingface.co/{repo_id}/commit/{'c' * 40}"


def test_results_are_listed_in_the_plans_order_whatever_their_outcome() -> None:
    result = ApplyResult(
        results=(
            CommitResult("NbAiLab/b-failed", "failed", message="HTTP 500"),
            CommitResult("NbAiLab/a", "published", commit_url=_commit("NbAiLab/a")),
            CommitResult("NbAiLab/c-already", "already", message="already up to date"),
            CommitResult("NbAiLab/d", "stale", message="the head moved"),
        ),
        unchanged=(),
    )
    lines = apply_lines(result, REMOTE)
    named = [next(w for w in line.split() if w.startswith("NbAiLab/")) for line in lines[:4]]
    assert named == [r.repo_id for r in result.results]
    assert lines[4].startswith("Done on https://huggingface.co: 1 published")


def test_result_lines_are_aligned_in_columns() -> None:
    result = ApplyResult(
        results=(
            CommitResult("NbAiLab/a", "published", commit_url=_commit("NbAiLab/a")),
            CommitResult("NbAiLab/a-much-longer-name", "already", message="already up to date"),
            CommitResult("NbAiLab/b", "failed", message="HTTP 500"),
        ),
        unchanged=(),
    )
    lines = apply_lines(result, REMOTE)
    assert lines[:3] == [
        f"  published  NbAiLab/a                   {_commit('NbAiLab/a')}",
        "  up to date NbAiLab/a-much-longer-name",
        "  failed     NbAiLab/b                   HTTP 500",
    ]


def test_an_up_to_date_card_is_not_said_to_be_up_to_date_twice() -> None:
    result = ApplyResult(
        results=(
            CommitResult("NbAiLab/a", "already", message="already up to date"),
            CommitResult("NbAiLab/b", "already", message="already proposed in refs/pr/3"),
        ),
        unchanged=(),
    )
    lines = apply_lines(result, LOCAL)
    assert lines[0] == "  up to date NbAiLab/a"
    assert lines[1] == "  up to date NbAiLab/b  already proposed in refs/pr/3"
    assert all(line.count("up to date") <= 1 for line in lines[:2])


@pytest.mark.parametrize(("count", "shown"), [(1, "1 repo left"), (3, "3 repos left")])
def test_a_stopped_run_counts_in_plain_english(count: int, shown: str) -> None:
    from pipeline.hub.client import QuotaError

    left = tuple(f"NbAiLab/m{n}" for n in range(count))
    stopped = QuotaError("the Hub's quota for commits is spent", 0.0, hint="run again at 13:00")
    result = ApplyResult(results=(), unchanged=(), left=left, stopped=stopped)
    text = "\n".join(apply_lines(result, REMOTE))
    assert f"Stopped: {shown} to publish." in text
    assert "(s)" not in text
    interrupted = ApplyResult(results=(), unchanged=(), left=left, interrupted=True)
    assert f"Interrupted: {plural(count, 'repo')} not started" in "\n".join(
        apply_lines(interrupted, REMOTE)
    )


def _entry(repo_id: str, state: str) -> PlanEntry:
    diff = CardDiff(repo_id, "update", (), False, None, "", 1, 1)
    owner = Ownership(state=state)  # type: ignore[arg-type]  # a State, as the test names it
    return PlanEntry(repo_id, repo_id.split("/")[1], "update", "a" * 40, "x", diff, owner)


def test_left_cards_hint_at_what_works_from_make_too() -> None:
    left = [_entry("NbAiLab/drifted", "drift"), _entry("NbAiLab/mine-before", "adopt")]
    decisions: dict[str, Decision] = {"NbAiLab/drifted": "skip", "NbAiLab/mine-before": "skip"}
    lines = left_lines(left, decisions)
    assert lines[0] == "  drift         NbAiLab/drifted      left as is"
    assert lines[1] == "  adopt         NbAiLab/mine-before  left as is"
    text = "\n".join(lines)
    assert "2 cards changed by someone else" in text and "(s)" not in text
    assert (
        "`nb-release sync --on-drift pr --on-adopt pr` "
        "(from make: `make sync SYNCFLAGS='--on-drift pr --on-adopt pr'`)"
    ) in text
    assert "`make history REPOS=REPO`" in text
    # The drifted card (not the adopted one) can be kept: the way to a green nightly sync.
    assert (
        "`nb-release keep NbAiLab/drifted` (from make: `make keep REPOS='NbAiLab/drifted'`)"
    ) in text


def test_a_proposed_card_is_named_by_its_result_only() -> None:
    """A card the policy proposes has a `proposed` result line; it is not listed again."""
    left = [_entry("NbAiLab/drifted", "drift"), _entry("NbAiLab/other", "drift")]
    lines = left_lines(left, {"NbAiLab/drifted": "pr", "NbAiLab/other": "skip"})
    assert not any("NbAiLab/drifted" in line for line in lines)
    assert lines[0] == "  drift         NbAiLab/other  left as is"
    assert lines[1].startswith(
        "2 cards changed by someone else or never published by nb-release were left on main as "
        "the policy says (1 proposed as a pull request, listed above); "
    )


def test_a_proposed_card_gets_no_hint_to_propose_it() -> None:
    lines = left_lines([_entry("NbAiLab/drifted", "drift")], {"NbAiLab/drifted": "pr"})
    assert lines[0].startswith(
        "1 card changed by someone else or never published by nb-release was left on main as the "
        "policy says (proposed as a pull request, listed above); "
    )
    assert len(lines) == 1


def test_nothing_left_prints_nothing() -> None:
    assert left_lines([], {}) == []


@pytest.mark.parametrize(
    ("count", "noun", "many", "shown"),
    [
        (0, "card", None, "0 cards"),
        (1, "card", None, "1 card"),
        (2, "card", None, "2 cards"),
        (1, "entry", "entries", "1 entry"),
        (5, "entry", "entries", "5 entries"),
    ],
)
def test_plural(count: int, noun: str, many: str | None, shown: str) -> None:
    assert plural(count, noun, many) == shown


def test_progress_without_a_terminal_names_no_repo() -> None:
    out = io.StringIO()
    console = Console(file=out, width=1000)
    with progress(console, "Publishing") as (start, advance):
        start(3, 0)
        for repo_id in ("NbAiLab/c", "NbAiLab/a", "NbAiLab/b"):  # completion order
            advance(repo_id)
    assert out.getvalue() == "Publishing: 3\n"


def test_progress_with_nothing_to_do_prints_nothing() -> None:
    out = io.StringIO()
    with progress(Console(file=out, width=1000), "Publishing") as (start, _):
        start(0, 0)
    assert out.getvalue() == ""


def test_progress_says_how_many_came_from_the_cache() -> None:
    out = io.StringIO()
    with progress(Console(file=out, width=1000), "Reading live cards") as (start, advance):
        start(1, 15)
        advance("NbAiLab/moved")
    assert out.getvalue() == (
        "Reading live cards: 1 to read from the Hub, 15 from the cache "
        "(their head commit is unchanged)\n"
    )


def test_the_make_targets_and_variables_the_hints_name_exist_and_are_documented() -> None:
    root = Path(__file__).resolve().parents[1]
    makefile = (root / "Makefile").read_text(encoding="utf-8")
    readme = (root / "README.md").read_text(encoding="utf-8")
    left = [_entry("NbAiLab/drifted", "drift"), _entry("NbAiLab/mine-before", "adopt")]
    hints = "\n".join(left_lines(left, {"NbAiLab/drifted": "skip", "NbAiLab/mine-before": "skip"}))
    hints += "\n" + _WHERE_DIFFS + "\n" + _WHERE_ALL
    targets = set(re.findall(r"`make (\w+)", hints))
    variables = set(re.findall(r"`make \w+ (\w+)=", hints))
    assert targets == {"diff", "history", "keep", "sync"} and variables == {"REPOS", "SYNCFLAGS"}
    for target in targets:
        assert f"\n{target}:" in makefile, target
        assert f"`make {target}`" in readme, target
    for variable in variables:
        assert f"$({variable})" in makefile, variable
        assert f"{variable}=" in readme, variable


def test_a_merge_says_it_merged_or_why_it_went_to_a_pull_request() -> None:
    hand = CommitRecord("e" * 40, "2025-01-01T00:00:00Z", ("alice",), "Add a table", "")
    result = ApplyResult(
        results=(
            CommitResult("NbAiLab/a", "published", commit_url=_commit("NbAiLab/a")),
            CommitResult(
                "NbAiLab/b",
                "proposed",
                commit_url=_commit("NbAiLab/b"),
                pr_url="https://huggingface.co/NbAiLab/b/discussions/3",
            ),
        ),
        unchanged=(),
        merges={
            "NbAiLab/a": MergeNote(kept=(hand,)),
            "NbAiLab/b": MergeNote(conflict="they conflict at line 9"),
        },
    )
    lines = apply_lines(result, REMOTE)
    assert lines[:2] == [
        f"  merged     NbAiLab/a  {_commit('NbAiLab/a')} (1 hand commit kept)",
        "  proposed   NbAiLab/b  https://huggingface.co/NbAiLab/b/discussions/3 "
        "(not merged: they conflict at line 9; main left as is)",
    ]
    assert lines[2].startswith(
        "Done on https://huggingface.co: 1 published (1 merged with a hand edit), "
        "1 proposed as a pull request,"
    )
