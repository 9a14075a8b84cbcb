"""docs/plan-schema.md's field tables are the plan file's models (issue 9: one place a rule)."""

from __future__ import annotations

import os
from pathlib import Path

from pipeline.planfile import schema_markdown

DOC = Path(__file__).resolve().parents[2] / "docs" / "plan-schema.md"
START = "<!-- generated: plan schema -->\n"
END = "<!-- end generated -->\n"


def test_the_schema_document_is_generated_from_the_models() -> None:
    text = DOC.read_text(encoding="utf-8")
    head, rest = text.split(START, 1)
    _, tail = rest.split(END, 1)
    current = rest.split(END, 1)[0]
    expected = schema_markdown()
    if os.environ.get("NB_RELEASE_UPDATE_GOLDEN") == "1":
        DOC.write_text(head + START + expected + END + tail, encoding="utf-8")
        current = expected
    assert current == expected, "run NB_RELEASE_UPDATE_GOLDEN=1 pytest tests/plan to regenerate"


def test_every_field_of_the_models_is_described() -> None:
    table = schema_markdown()
    assert "|  |" not in table  # a field without a meaning
    for name in ("repo_id", "head_sha", "fingerprint", "edit_diff", "key_path", "authors"):
        assert f"| `{name}` |" in table
