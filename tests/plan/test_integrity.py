"""plan_problems: a saved plan held against a fresh render (pure; the tampered files that apply
refuses end to end are in tests/integration/test_client.py)."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

import pytest

from pipeline.card.diff import diff_card
from pipeline.plan._integrity import plan_problems
from pipeline.plan.model import Plan, make_plan
from pipeline.records import LiveCard, ManagedFile, RenderedCard

SHA = "0123456789abcdef0123456789abcdef01234567"
CARD = RenderedCard("NbAiLab/a", "a", "base.md.j2", "# Card\n", on_drift="skip")


def plan_of(card: RenderedCard) -> Plan:
    live = LiveCard(card.repo_id, True, SHA, "# Old\n")
    return make_plan(
        [diff_card(card, live)],
        [card],
        [live],
        hub="h",
        fingerprint="f",
        tool_version="v",
        now=datetime(2025, 1, 31, tzinfo=UTC),
        policies={card.repo_id: ("skip", None)},
    )


def test_the_plan_of_the_render_is_faithful() -> None:
    assert plan_problems(plan_of(CARD), [CARD]) == []


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"on_drift": "overwrite"}, "on_drift is 'overwrite' in the plan, 'skip' in the manifest"),
        ({"on_drift": None}, "on_drift is unset in the plan, 'skip' in the manifest"),
        ({"on_adopt": "pr"}, "on_adopt is 'pr' in the plan, unset in the manifest"),
    ],
)
def test_a_policy_other_than_the_manifests_is_refused(
    change: dict[str, str | None], expected: str
) -> None:
    plan = plan_of(CARD)
    edited = dataclasses.replace(plan.entries[0], **change)  # type: ignore[arg-type]
    problems = plan_problems(dataclasses.replace(plan, entries=(edited,)), [CARD])
    assert problems == [f"entries[0] (NbAiLab/a): {expected}"]


def test_a_companion_file_other_than_the_render_or_undeclared_is_refused() -> None:
    card = dataclasses.replace(CARD, files=(ManagedFile("NOTICE", "Llama 3.1 notice\n"),))
    plan = plan_of(card)
    assert plan_problems(plan, [card]) == []
    entry = plan.entries[0]
    forged = dataclasses.replace(entry.files[0], content="something else\n")
    stray = dataclasses.replace(entry.files[0], path="LICENSE")
    for files, expected in (
        ((forged,), "files: 'NOTICE' is not the file the manifest renders now"),
        ((entry.files[0], stray), "files: the manifest declares no file 'LICENSE'"),
    ):
        edited = dataclasses.replace(entry, files=files)
        problems = plan_problems(dataclasses.replace(plan, entries=(edited,)), [card])
        assert problems == [f"entries[0] (NbAiLab/a): {expected}"]
