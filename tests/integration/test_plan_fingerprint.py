"""The fingerprint of a plan is of the bytes that were rendered, whatever changes on disk later."""

from __future__ import annotations

import shutil
from pathlib import Path

from pipeline.card.render import Selection, fingerprint
from pipeline.hub.client import open_hub
from pipeline.manifest.sources import Sources
from pipeline.plan.planning import build_plan

ROOT = Path(__file__).resolve().parent.parent.parent


def test_an_edit_while_the_hub_is_read_does_not_change_the_plans_fingerprint(
    tmp_path: Path,
) -> None:
    shutil.copytree(ROOT / "cards", tmp_path / "cards")
    manifest = tmp_path / "models.toml"
    shutil.copy(ROOT / "models.toml", manifest)
    sources = Sources(manifest=manifest, cards=tmp_path / "cards")
    rendered_from = fingerprint(manifest, tmp_path / "cards")
    edited: list[str] = []

    def edit_the_manifest(repo_id: str) -> None:
        # Someone saves models.toml while the live cards are being read.
        if not edited:
            manifest.write_text(manifest.read_text().replace("May 2024", "June 2024"))
        edited.append(repo_id)

    with open_hub("local", tmp_path / ".hub") as hub:
        plan = build_plan(
            sources, Selection(only=("nb-llama-3.1-8B",)), hub, "local", on_read=edit_the_manifest
        )
    assert edited, "the edit happened while the plan was being built"
    assert plan.fingerprint == rendered_from
    assert fingerprint(manifest, tmp_path / "cards") != rendered_from
    assert [("May 2024" in (e.content or "")) for e in plan.entries] == [True]
