"""`nb-release rules update` against a real local Hub: the Hub's tag lists read with the real
client, written as a snapshot, and what changed named per list."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline import hubsnapshot
from pipeline.cli.commands import build_parser, chosen
from pipeline.localhub import FaultConfig
from tests.integration.support import Project


def test_the_local_hub_round_trips_to_the_checked_in_snapshot(
    project: Project, tmp_path: Path
) -> None:
    checked_in = hubsnapshot.SNAPSHOT_FILE.read_bytes()
    out = tmp_path / "snapshot.json"
    run = project.run("rules", "update", "--out", str(out))
    assert run.status == 0, run.out + run.err
    written = hubsnapshot.read(out)
    assert written.lists() == hubsnapshot.current().lists()  # the identity, list by list
    assert written.source == f"{project.hub.url}/api/models-tags-by-type"
    assert out.read_text(encoding="utf-8") == hubsnapshot.dumps(written)
    assert "  licenses: no change\n" in run.out
    assert "  pipeline tags: no change\n" in run.out
    assert "  libraries: no change\n" in run.out
    assert f"Wrote {out}.\n" in run.out
    assert hubsnapshot.SNAPSHOT_FILE.read_bytes() == checked_in
    assert project.writes() == 0


def test_rules_update_names_what_each_list_gained_and_lost(
    project: Project, tmp_path: Path
) -> None:
    current = hubsnapshot.current()
    older = hubsnapshot.make(
        "an older read",
        "2020-01-01",
        {
            "licenses": [*(x for x in current.licenses if x not in ("mit", "gemma")), "old-lic"],
            "pipeline_tags": current.pipeline_tags,
            "libraries": [x for x in current.libraries if x != "peft"],
        },
    )
    out = tmp_path / "snapshot.json"
    out.write_text(hubsnapshot.dumps(older), encoding="utf-8")
    run = project.run("rules", "update", "--out", str(out))
    assert run.status == 0, run.out + run.err
    assert "  licenses: 2 added (gemma, mit); 1 removed (old-lic)\n" in run.out
    assert "  pipeline tags: no change\n" in run.out
    assert "  libraries: 1 added (peft)\n" in run.out
    assert hubsnapshot.read(out).lists() == current.lists()


def test_a_file_that_is_not_a_snapshot_is_compared_with_the_checked_in_one(
    project: Project, tmp_path: Path
) -> None:
    out = tmp_path / "snapshot.json"
    out.write_text("{not json", encoding="utf-8")
    run = project.run("rules", "update", "--out", str(out))
    assert run.status == 0, run.out + run.err
    said = f"{out}: not a snapshot, so compared with the checked-in one (cannot be read as JSON"
    assert said in run.out
    assert "  licenses: no change\n" in run.out
    assert hubsnapshot.read(out).lists() == hubsnapshot.current().lists()


@pytest.mark.parametrize("shape", ["html", "json"])
def test_an_answer_that_is_not_the_lists_is_an_error_and_writes_nothing(
    project: Project, tmp_path: Path, shape: str
) -> None:
    out = tmp_path / "snapshot.json"
    project.hub.set_faults(FaultConfig(route="tags_by_type", wrong_shape=shape))
    run = project.run("rules", "update", "--out", str(out))
    project.hub.set_faults(None)
    assert run.status == 1, run.out + run.err
    assert "reading the Hub's tag lists: the Hub's answer is not the JSON expected" in run.err
    assert not out.exists()


def test_rules_update_writes_the_checked_in_file_by_default() -> None:
    args = build_parser().parse_args(["rules", "update"])
    options = chosen(args).options(args)
    assert options.out == hubsnapshot.SNAPSHOT_FILE
    assert options.hub.label == "local"
