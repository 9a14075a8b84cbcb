"""make_plan, and the plan file: JSON round trip, atomic write, bad files as PlanError."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

from pipeline.card.diff import CardDiff, MetadataChange, diff_card
from pipeline.errors import PlanError
from pipeline.ownership import ACTIONS, POLICIES, UPDATE_STATES, WRITE_ACTIONS, Drift, Ownership
from pipeline.plan import planfile
from pipeline.plan.model import HEAD_ACTIONS, Plan, PlanEntry, make_plan
from pipeline.plan.planfile import plan_from_json, plan_to_json, read_plan, write_plan
from pipeline.records import CommitRecord, LiveCard, OpenPull, RenderedCard
from tests.golden_files import Golden

NOW = datetime(2025, 1, 31, 12, 0, 0, 123456, tzinfo=UTC)
SHA = "0123456789abcdef0123456789abcdef01234567"
CARD = "---\nlicense: llama3.1\n---\n# Card\n"


def cards() -> tuple[list[RenderedCard], list[LiveCard]]:
    rendered = [
        RenderedCard("NbAiLab/a", "a", "base.md.j2", CARD),
        RenderedCard("NbAiLab/b", "b", "base.md.j2", CARD),
        RenderedCard("NbAiLab/c", "c", "base.md.j2", CARD),
        RenderedCard("NbAiLab/d", "d", "base.md.j2", CARD),
        RenderedCard("NbAiLab/e", "e", "base.md.j2", CARD, allow_create=True),
    ]
    live = [
        LiveCard("NbAiLab/a", True, SHA, None),
        LiveCard("NbAiLab/b", True, SHA, CARD.replace("3.1", "3.2")),
        LiveCard("NbAiLab/c", True, SHA, CARD),
        LiveCard("NbAiLab/d", False, None, None),
        LiveCard("NbAiLab/e", False, None, None),
    ]
    return rendered, live


def sample_plan(hub: str = "https://huggingface.co") -> Plan:
    rendered, live = cards()
    diffs = [diff_card(r, lv) for r, lv in zip(rendered, live, strict=True)]
    return make_plan(
        list(reversed(diffs)),  # matched by repo, not position
        rendered,
        live,
        hub=hub,
        fingerprint="sha256:abc",
        tool_version="0.1.0",
        now=NOW,
    )


def drifted_plan() -> Plan:
    """sample_plan() with its update drifted: history read, policies set, commits named."""
    plan = sample_plan()
    ours = CommitRecord(
        SHA, "2025-01-30T09:00:00Z", ("nb-release",), "Update card", "Released-by: x"
    )
    theirs = CommitRecord("f" * 40, "2025-01-31T08:00:00Z", ("alice", "bob"), "Fix typo", "")
    drift = Drift(commits=(theirs,), edit_diff="-a\n+b\n", lines_added=1, lines_removed=1)
    owner = Ownership("drift", published=ours, drift=drift, replaced=(theirs,))
    entries = list(plan.entries)
    entries[1] = dataclasses.replace(entries[1], owner=owner, on_drift="pr", on_adopt="overwrite")
    return dataclasses.replace(plan, entries=tuple(entries))


# --- make_plan ------------------------------------------------------------------------------


def test_make_plan_entries_in_manifest_order_with_content_only_for_writes() -> None:
    plan = sample_plan()
    assert plan.schema_version == 4
    assert plan.created_at == "2025-01-31T12:00:00Z"
    assert [(e.repo_id, e.action) for e in plan.entries] == [
        ("NbAiLab/a", "create"),
        ("NbAiLab/b", "update"),
        ("NbAiLab/c", "unchanged"),
        ("NbAiLab/d", "missing-repo"),
        ("NbAiLab/e", "create-repo"),
    ]
    assert [e.content is not None for e in plan.entries] == [True, True, False, False, True]
    assert [e.head_sha for e in plan.entries] == [SHA, SHA, SHA, None, None]
    assert [e.repo_id for e in plan.changes] == ["NbAiLab/a", "NbAiLab/b", "NbAiLab/e"]
    assert [e.repo_id for e in plan.errors] == ["NbAiLab/d"]
    assert plan.has_changes
    assert plan.counts() == {
        "create": 1,
        "update": 1,
        "unchanged": 1,
        "missing-repo": 1,
        "create-repo": 1,
    }


def test_created_at_is_converted_to_utc() -> None:
    rendered, live = cards()
    diffs = [diff_card(r, lv) for r, lv in zip(rendered, live, strict=True)]
    oslo = datetime(2025, 1, 31, 13, 0, tzinfo=timezone(timedelta(hours=1)))
    plan = make_plan(diffs, rendered, live, hub="h", fingerprint="f", tool_version="v", now=oslo)
    assert plan.created_at == "2025-01-31T12:00:00Z"
    with pytest.raises(ValueError, match="timezone-aware"):
        make_plan(
            diffs,
            rendered,
            live,
            hub="h",
            fingerprint="f",
            tool_version="v",
            now=oslo.replace(tzinfo=None),
        )


def test_unchanged_only_plan_has_no_changes() -> None:
    card = RenderedCard("NbAiLab/c", "c", "base.md.j2", CARD)
    state = LiveCard("NbAiLab/c", True, SHA, CARD)
    plan = make_plan(
        [diff_card(card, state)],
        [card],
        [state],
        hub="h",
        fingerprint="f",
        tool_version="v",
        now=NOW,
    )
    assert not plan.has_changes
    assert plan.changes == ()


def test_make_plan_rejects_mismatched_inputs() -> None:
    rendered, live = cards()
    diffs = [diff_card(r, lv) for r, lv in zip(rendered, live, strict=True)]
    with pytest.raises(ValueError, match="NbAiLab/e"):
        make_plan(diffs[:-1], rendered, live, hub="h", fingerprint="f", tool_version="v", now=NOW)
    with pytest.raises(ValueError, match="not rendered"):
        make_plan(diffs, rendered[:-1], live, hub="h", fingerprint="f", tool_version="v", now=NOW)
    with pytest.raises(ValueError, match="two"):
        make_plan(
            [*diffs, diffs[0]], rendered, live, hub="h", fingerprint="f", tool_version="v", now=NOW
        )


@pytest.mark.parametrize(
    ("hub", "expected"),
    [
        ("https://huggingface.co", "https://huggingface.co"),
        (
            "https://user:hf_secret@hub.example:8443/api?token=hf_secret#x",
            "https://hub.example:8443/api",
        ),
        ("http://127.0.0.1:5000", "http://127.0.0.1:5000"),
    ],
)
def test_hub_url_never_carries_credentials(hub: str, expected: str, tmp_path: Path) -> None:
    plan = sample_plan(hub)
    assert plan.hub == expected
    write_plan(plan, tmp_path / "plan.json")
    assert "hf_secret" not in (tmp_path / "plan.json").read_text(encoding="utf-8")


# --- the file -------------------------------------------------------------------------------


def test_write_read_round_trip(tmp_path: Path) -> None:
    plan = sample_plan()
    path = tmp_path / "plan.json"
    write_plan(plan, path)
    assert read_plan(path) == plan


def test_plan_file_is_stable_sorted_lf_with_trailing_newline(tmp_path: Path) -> None:
    path = tmp_path / "plan.json"
    write_plan(sample_plan(), path)
    first = path.read_bytes()
    write_plan(read_plan(path), path)
    assert path.read_bytes() == first
    assert first.endswith(b"}\n")
    assert b"\r" not in first
    data = json.loads(first)
    assert list(data) == sorted(data)
    assert list(data["entries"][0]) == sorted(data["entries"][0])
    assert data["kind"] == "nb-release.plan"
    assert data["schema_version"] == 4


def test_plan_file_bytes_are_the_golden_ones(tmp_path: Path, golden: Golden) -> None:
    path = tmp_path / "plan.json"
    write_plan(drifted_plan(), path)
    golden("plan.json", path.read_text(encoding="utf-8"))
    assert read_plan(path) == drifted_plan()


# Attributes a record leaves to another model: the entry holds the repo, the action and the state
# once. Fields a model has beyond its record's attributes: the file's kind, the entry's state (a
# property of PlanEntry).
# A plan's compliance findings are a report of the run that made it, not saved.
_LEFT_TO_ANOTHER: dict[type, set[str]] = {
    CardDiff: {"repo_id", "action"},
    Ownership: {"state"},
    Plan: {"findings"},
}
_ONLY_IN_THE_FILE: dict[type, set[str]] = {Plan: {"kind"}, PlanEntry: {"state"}}
# Advice for the reports that applying a plan never needs: the unmanaged repos.
_NOT_IN_THE_FILE: dict[type, set[str]] = {Plan: {"unmanaged"}}


@pytest.mark.parametrize(
    ("model", "record"),
    [
        (planfile._PlanModel, Plan),
        (planfile._EntryModel, PlanEntry),
        (planfile._DiffModel, CardDiff),
        (planfile._ChangeModel, MetadataChange),
        (planfile._OwnerModel, Ownership),
        (planfile._CommitModel, CommitRecord),
        (planfile._DriftModel, Drift),
    ],
)
def test_each_record_field_has_its_field_in_the_file(model: type[BaseModel], record: type) -> None:
    """The models write the records by attribute name: a record's field the model lacks would
    never reach the file."""
    fields = {f.name for f in dataclasses.fields(record)} - _LEFT_TO_ANOTHER.get(record, set())
    fields -= _NOT_IN_THE_FILE.get(record, set())
    assert set(model.model_fields) == fields | _ONLY_IN_THE_FILE.get(record, set())


def test_atomic_write_leaves_no_temp_file(tmp_path: Path) -> None:
    path = tmp_path / "plan.json"
    path.write_text("old", encoding="utf-8")
    write_plan(sample_plan(), path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plan.json"]
    assert read_plan(path) == sample_plan()


def test_failed_write_keeps_the_old_file_and_leaves_no_temp_file(tmp_path: Path) -> None:
    path = tmp_path / "plan.json"
    path.write_text("old", encoding="utf-8")
    plan = sample_plan()
    bad = Plan(**{**plan.__dict__, "hub": "\ud800"})  # a lone surrogate cannot be UTF-8
    with pytest.raises(UnicodeEncodeError):
        write_plan(bad, path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plan.json"]
    assert path.read_text(encoding="utf-8") == "old"


# --- bad plan files -------------------------------------------------------------------------


def good_data() -> dict[str, Any]:
    return plan_to_json(sample_plan())


def write_json(path: Path, data: object) -> Path:
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(PlanError, match=r"nope\.json: no such plan file"):
        read_plan(tmp_path / "nope.json")


def test_not_json(tmp_path: Path) -> None:
    path = tmp_path / "plan.json"
    path.write_text("{\n  oops\n}", encoding="utf-8")
    with pytest.raises(PlanError, match=r"plan\.json:2:3: not a plan file: invalid JSON") as info:
        read_plan(path)
    assert info.value.hint is not None


def test_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "plan.json"
    path.write_bytes(b"\xff\xfe{}")
    with pytest.raises(PlanError, match=r"plan\.json: not a plan file: not UTF-8"):
        read_plan(path)


@pytest.mark.parametrize("data", [[], "plan", None, 1])
def test_not_an_object(tmp_path: Path, data: object) -> None:
    with pytest.raises(PlanError, match=r"plan\.json: not a plan file: expected a JSON object"):
        read_plan(write_json(tmp_path / "plan.json", data))


def test_wrong_kind(tmp_path: Path) -> None:
    data = {**good_data(), "kind": "nb-release.plan-report"}
    with pytest.raises(
        PlanError, match=r"plan\.json: not a plan file: `kind` is 'nb-release.plan-report'"
    ):
        read_plan(write_json(tmp_path / "plan.json", data))


@pytest.mark.parametrize("version", [0, 1, 2, 3, 5, "4", 4.0, True, None])
def test_wrong_schema_version(tmp_path: Path, version: object) -> None:
    data = {**good_data(), "schema_version": version}
    with pytest.raises(PlanError, match=r"plan\.json: plan schema_version .* is not supported"):
        read_plan(write_json(tmp_path / "plan.json", data))


def test_missing_field(tmp_path: Path) -> None:
    data = good_data()
    del data["fingerprint"]
    del data["entries"][1]["diff"]["lines_added"]
    with pytest.raises(PlanError) as info:
        read_plan(write_json(tmp_path / "plan.json", data))
    message = str(info.value)
    assert message.startswith(f"{tmp_path / 'plan.json'}: not a valid plan (2 problems):")
    assert "  fingerprint: Field required" in message
    assert "  entries[1].diff.lines_added: Field required" in message


def test_extra_field(tmp_path: Path) -> None:
    data = good_data()
    data["token"] = "x"
    data["entries"][0]["diff"]["colour"] = "red"
    with pytest.raises(PlanError) as info:
        read_plan(write_json(tmp_path / "plan.json", data))
    assert "  token: Extra inputs are not permitted" in str(info.value)
    assert "  entries[0].diff.colour: Extra inputs are not permitted" in str(info.value)


def test_wrong_types_are_strict(tmp_path: Path) -> None:
    data = good_data()
    data["entries"][0]["diff"]["lines_added"] = "3"
    data["entries"][0]["diff"]["reformat_only"] = 0
    data["entries"][1]["action"] = "delete"
    with pytest.raises(PlanError) as info:
        read_plan(write_json(tmp_path / "plan.json", data))
    message = str(info.value)
    assert "(3 problems)" in message
    assert "entries[1].action: Input should be 'create'" in message


def test_content_must_match_action(tmp_path: Path) -> None:
    data = good_data()
    data["entries"][1]["content"] = None  # update without content
    data["entries"][2]["content"] = "x"  # unchanged with content
    data["entries"][3]["head_sha"] = SHA  # missing-repo with a head
    with pytest.raises(PlanError) as info:
        read_plan(write_json(tmp_path / "plan.json", data))
    message = str(info.value)
    assert "entries[1].content: missing for action 'update', which writes" in message
    assert "entries[2].content: must be null for action 'unchanged'" in message
    assert "entries[3].head_sha: must be null for action 'missing-repo'" in message


def test_state_must_fit_action(tmp_path: Path) -> None:
    data = good_data()
    data["entries"][1]["state"] = "unchanged"  # an update: live and rendered differ
    data["entries"][0]["state"] = "pending"  # a create: there is no history
    with pytest.raises(PlanError) as info:
        read_plan(write_json(tmp_path / "plan.json", data))
    message = str(info.value)
    assert "(2 problems)" in message
    assert "entries[1].state: 'unchanged' does not fit action 'update'" in message
    assert "entries[0].state: 'pending' does not fit action 'create'" in message


def test_duplicate_repo(tmp_path: Path) -> None:
    data = good_data()
    data["entries"].append(data["entries"][0])
    with pytest.raises(PlanError, match=r"entries\[5\]\.repo_id: 'NbAiLab/a' appears twice"):
        read_plan(write_json(tmp_path / "plan.json", data))


def test_plan_from_json_names_the_source() -> None:
    with pytest.raises(PlanError, match=r"^from-ci: "):
        plan_from_json({}, source="from-ci")


# --- property: any plan survives write -> read ----------------------------------------------

_text = st.text(st.characters(exclude_categories=["Cs"]), max_size=40)
_json_scalar = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | _text
)
_json = st.recursive(
    _json_scalar,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_text, inner, max_size=3),
    max_leaves=8,
)
_changes = st.lists(
    st.builds(
        MetadataChange, _text, st.sampled_from(["added", "removed", "changed"]), _json, _json
    ),
    max_size=4,
).map(tuple)


_commits = st.builds(
    CommitRecord,
    commit_id=st.text("0123456789abcdef", min_size=40, max_size=40),
    created_at=_text,
    authors=st.lists(_text, max_size=2).map(tuple),
    title=_text,
    message=_text,
)
_owners = st.builds(
    Ownership,
    state=st.sampled_from(sorted(UPDATE_STATES)),
    published=st.none() | _commits,
    drift=st.none()
    | st.builds(
        Drift,
        commits=st.lists(_commits, max_size=2).map(tuple),
        edit_diff=_text,
        lines_added=st.integers(0, 99),
        lines_removed=st.integers(0, 99),
    ),
    replaced=st.lists(_commits, max_size=2).map(tuple),
)
_policies = st.none() | st.sampled_from(POLICIES)


@st.composite
def _entries(draw: st.DrawFn) -> tuple[PlanEntry, ...]:
    repos = draw(st.lists(_text, unique=True, max_size=5))
    entries = []
    for repo in repos:
        action = draw(st.sampled_from(ACTIONS))
        head = draw(st.text("0123456789abcdef", min_size=40, max_size=40))
        diff = CardDiff(
            repo_id=repo,
            action=action,
            metadata_changes=draw(_changes),
            reformat_only=draw(st.booleans()),
            live_metadata_error=draw(st.none() | _text),
            body_diff=draw(_text),
            lines_added=draw(st.integers(0, 10_000)),
            lines_removed=draw(st.integers(0, 10_000)),
        )
        owner = draw(_owners) if action == "update" else None
        proposed = owner is not None and owner.state == "proposed"
        pull = (
            OpenPull(draw(st.integers(1, 10_000)), draw(_text))
            if proposed or draw(st.booleans())
            else None
        )
        entries.append(
            PlanEntry(
                repo_id=repo,
                variant=draw(_text),
                action=action,
                head_sha=head if action in HEAD_ACTIONS else None,
                content=draw(_text) if action in WRITE_ACTIONS else None,
                diff=diff,
                owner=owner,
                on_drift=draw(_policies),
                on_adopt=draw(_policies),
                pull=pull,
            )
        )
    return tuple(entries)


_plans = st.builds(
    Plan,
    schema_version=st.just(4),
    tool_version=_text,
    created_at=_text,
    hub=_text,
    fingerprint=_text,
    entries=_entries(),
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(plan=_plans)
def test_any_plan_survives_write_read(plan: Plan, tmp_path: Path) -> None:
    path = tmp_path / "plan.json"
    write_plan(plan, path)
    assert read_plan(path) == plan
