"""docs/plan-schema.md's field tables are the plan file's models (one place for each rule)."""

from __future__ import annotations

from pathlib import Path

from pipeline.plan.planfile import schema_markdown
from tests.golden_files import assert_golden

DOC = Path(__file__).resolve().parents[2] / "docs" / "plan-schema.md"
START = "<!-- generated: plan schema -->\n"
END = "<!-- end generated -->\n"


def test_the_schema_document_is_generated_from_the_models() -> None:
    assert_golden(DOC, schema_markdown(), between=(START, END))


def test_every_field_of_the_models_is_described() -> None:
    table = schema_markdown()
    assert "|  |" not in table  # a field without a meaning
    for name in ("repo_id", "head_sha", "fingerprint", "edit_diff", "key_path", "authors"):
        assert f"| `{name}` |" in table
