"""`nb-release preview` and `plan --format html` against a local Hub (no browser needed)."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.cli.main import main
from tests.preview.support import PreviewRun


def test_preview_writes_one_page_with_every_changed_card(preview_run: PreviewRun) -> None:
    assert preview_run.status == 0
    page = preview_run.page.read_text(encoding="utf-8")
    assert page.count('<section class="card"') == len(preview_run.repos) == 16
    for repo in preview_run.repos:
        assert f'data-repo="{repo}"' in page
    assert "<script" not in page
    assert "&lt;script&gt;document.title" in page


def test_plan_format_html_writes_the_page_to_out(
    preview_run: PreviewRun, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "plan.html"
    status = main(
        ["plan", "--format", "html", "--out", str(target), *preview_run.source,
         *preview_run.hub_args]
    )  # fmt: skip
    assert status == 2  # changes pending, as plan says
    page = target.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and page.count('<section class="card"') == 16
    assert capsys.readouterr().out == ""
    assert main(["plan", "--format", "html", *preview_run.source, *preview_run.hub_args]) == 2
    assert capsys.readouterr().out.startswith("<!DOCTYPE html>")


def test_preview_has_help_and_is_in_the_readme() -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    assert "### `nb-release preview" in readme
    with pytest.raises(SystemExit) as exit_:
        main(["preview", "--help"])
    assert exit_.value.code == 0
