"""A repo's companion files in a plan (pure): each file's action and state, and the repo's
entry standing for the whole repo."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from pipeline.card.diff import diff_card
from pipeline.ownership import Ownership
from pipeline.plan.files import file_entry, repo_action, repo_owner
from pipeline.plan.model import make_plan
from pipeline.plan.planfile import plan_from_json, plan_to_json
from pipeline.records import LiveCard, ManagedFile, RenderedCard

SHA = "0123456789abcdef0123456789abcdef01234567"
NOTICE = "Llama 3.1 is licensed under the Llama 3.1 Community License.\n"


def test_a_file_the_repo_lacks_is_created_and_an_equal_one_unchanged() -> None:
    assert file_entry("NOTICE", "update", NOTICE, None, None).action == "create"
    assert file_entry("NOTICE", "update", NOTICE, NOTICE.replace("\n", "\r\n"), None).action == (
        "unchanged"
    )
    changed = file_entry("NOTICE", "unchanged", NOTICE, "old\n", Ownership("drift"))
    assert (changed.action, changed.state, changed.content) == ("update", "drift", NOTICE)
    assert changed.diff.startswith("--- a/NOTICE (live)\n+++ b/NOTICE (rendered)\n")
    assert file_entry("NOTICE", "missing-repo", NOTICE, None, None).action == "missing-repo"


def test_an_unchanged_card_beside_a_changed_file_makes_the_repo_an_update() -> None:
    files = (file_entry("NOTICE", "unchanged", NOTICE, None, None),)
    assert repo_action("unchanged", files) == "update"
    assert repo_action("unchanged", (file_entry("NOTICE", "unchanged", NOTICE, NOTICE, None),)) == (
        "unchanged"
    )
    owner = repo_owner("update", Ownership("unchanged"), files)
    assert owner is not None and owner.state == "pending"


def test_a_drifted_file_is_drift_of_the_repo() -> None:
    drifted = (file_entry("NOTICE", "unchanged", NOTICE, "edited\n", Ownership("drift")),)
    owner = repo_owner("update", Ownership("unchanged"), drifted)
    assert owner is not None and owner.state == "drift"
    owner = repo_owner("update", Ownership("pending"), drifted)
    assert owner is not None and owner.state == "drift+pending"
    adopted = (file_entry("NOTICE", "unchanged", NOTICE, "theirs\n", Ownership("adopt")),)
    owner = repo_owner("update", Ownership("pending"), adopted)
    assert owner is not None and owner.state == "adopt"


def test_a_plan_with_files_survives_the_plan_file() -> None:
    card = RenderedCard(
        "NbAiLab/a", "a", "base.md.j2", "# Card\n", files=(ManagedFile("NOTICE", NOTICE),)
    )
    live = LiveCard(card.repo_id, True, SHA, "# Card\n", files=(ManagedFile("NOTICE", None),))
    plan = make_plan(
        [diff_card(card, live)],
        [card],
        [live],
        hub="h",
        fingerprint="f",
        tool_version="v",
        now=datetime(2025, 1, 31, tzinfo=UTC),
    )
    entry = plan.entries[0]
    assert (entry.action, entry.content) == ("update", "# Card\n")
    assert entry.writes_files == (ManagedFile("NOTICE", NOTICE),)
    data = json.loads(json.dumps(plan_to_json(plan)))
    assert data["entries"][0]["files"][0]["path"] == "NOTICE"
    assert plan_from_json(data, "plan.json") == plan
