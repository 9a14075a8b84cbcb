"""Reports that fit where they are read: the Markdown limit, --summary, drift in every format."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from rich.console import Console

from pipeline.card.diff import diff_card
from pipeline.card.render import Selection, render_all
from pipeline.manifest.model import load_manifest
from pipeline.ownership import Drift, Ownership
from pipeline.plan.model import Plan, make_plan
from pipeline.plan.report import MARKDOWN_LIMIT, render_json, render_markdown, render_text
from pipeline.records import CommitRecord, LiveCard, RenderedCard
from tests.integration.support import SMALL_MANIFEST

ROOT = Path(__file__).resolve().parents[2]
SHA = "0123456789abcdef0123456789abcdef01234567"
NOW = datetime(2025, 1, 31, 12, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def family(tmp_path_factory: pytest.TempPathFactory) -> list[RenderedCard]:
    return _family_of_200(tmp_path_factory.mktemp("family"))


def _family_of_200(tmp_path: Path) -> list[RenderedCard]:
    """200 real cards, rendered from the project's templates (a family of 200 new variants)."""
    head = SMALL_MANIFEST.split("[[models]]")[0]
    models = "".join(
        f'[[models]]\nname = "nb-llama-3.1-{n}B"\nkind = "base"\nllama_version = "3.1"\n'
        f'size = "{n}B"\nbase_model = "meta-llama/Llama-3.1-8B"\n\n'
        for n in range(1, 201)
    )
    manifest = tmp_path / "models.toml"
    manifest.write_text(head + models, encoding="utf-8")
    return render_all(load_manifest(manifest), ROOT / "cards", Selection())


def _plan(rendered: list[RenderedCard], live: list[LiveCard], owners=None) -> Plan:  # type: ignore[no-untyped-def]
    return make_plan(
        [diff_card(r, lv) for r, lv in zip(rendered, live, strict=True)],
        rendered,
        live,
        hub="https://huggingface.co",
        fingerprint="sha256:5f2b9c0e",
        tool_version="0.1.0",
        now=NOW,
        owners=owners,
    )


def test_markdown_of_200_new_cards_fits_and_says_what_was_left_out(
    family: list[RenderedCard],
) -> None:
    rendered = family
    assert len(rendered) == 200
    plan = _plan(rendered, [LiveCard(c.repo_id, True, SHA, None) for c in rendered])
    full = render_markdown(plan, limit=10**9)
    assert len(full) > MARKDOWN_LIMIT  # the problem is real

    cut = render_markdown(plan, full_report="report.md")
    assert len(cut) <= MARKDOWN_LIMIT
    # The whole table is there; the diffs are collapsible blocks, whole, as many as fit.
    assert all(f"`{c.repo_id}`" in cut for c in rendered)
    blocks = cut.count("<details>")
    assert 0 < blocks < 200 and blocks == cut.count("</details>")
    assert f"**{200 - blocks} of 200 card diffs left out**" in cut
    assert "Full report: report.md." in cut
    assert cut.rstrip().endswith("**Plan: 200 to create, 0 to update, 0 unchanged.**")


def test_markdown_that_fits_is_not_cut(family: list[RenderedCard]) -> None:
    rendered = family[:3]
    plan = _plan(rendered, [LiveCard(c.repo_id, True, SHA, None) for c in rendered])
    text = render_markdown(plan)
    assert "left out" not in text
    assert text.count("<details>") == 3


def test_summary_has_the_table_and_totals_only(family: list[RenderedCard]) -> None:
    rendered = family[:5]
    plan = _plan(rendered, [LiveCard(c.repo_id, True, SHA, None) for c in rendered])
    out = io.StringIO()
    render_text(plan, Console(file=out, width=1000), summary=True, full_report="r.md")
    text = out.getvalue()
    assert "+++ b/README.md" not in text
    assert "Plan: 5 to create" in text
    assert "Per-card diffs: r.md" in text
    assert len(text.splitlines()) < 15
    markdown = render_markdown(plan, summary=True)
    assert "<details>" not in markdown and "Per-card diffs:" in markdown


def _drift_plan() -> Plan:
    published = "---\nlicense: llama3.1\n---\n# Card\n"
    live = published + "\n## Evaluation\n"
    rendered = "---\nlicense: llama3.1\n---\n# Card, new\n"
    commits = (
        CommitRecord("e" * 40, "2025-01-31T10:00:00.000Z", ("alice",), "Add evaluation", ""),
    )
    ours = CommitRecord(SHA, "2025-01-30T10:00:00.000Z", ("bot",), "Update model card", "")
    owner = Ownership(
        state="drift+pending",
        published=ours,
        drift=Drift(commits, "--- a\n+++ b\n@@ -1 +1,2 @@\n # Card\n+## Evaluation\n", 1, 0),
        replaced=commits,
    )
    card = RenderedCard("NbAiLab/x", "x", "base.md.j2", rendered)
    state = LiveCard("NbAiLab/x", True, "f" * 40, live)
    return _plan([card], [state], {"NbAiLab/x": owner})


def test_drift_shows_in_every_report() -> None:
    plan = _drift_plan()
    out = io.StringIO()
    render_text(plan, Console(file=out, width=1000))
    text = out.getvalue()
    assert "drift+pending" in text
    assert "eeeeeeeeeeee 2025-01-31T10:00:00.000Z alice: Add evaluation" in text
    assert "Their edit (nb-release's last publish -> live):" in text
    assert "+## Evaluation" in text
    assert "1 drifted" in text
    markdown = render_markdown(plan)
    assert "| `NbAiLab/x` | drift+pending |" in markdown
    assert "alice: Add evaluation" in markdown
    data = json.loads(render_json(plan))
    entry = data["entries"][0]
    assert entry["state"] == "drift+pending"
    assert entry["drift"]["commits"][0]["authors"] == ["alice"]
    assert data["summary"]["states"]["drift+pending"] == 1


def test_no_truncation_without_a_terminal() -> None:
    long_id = "NbAiLab/" + "nb-llama-3.1-8B-" + "x" * 90
    card = RenderedCard(long_id, long_id.split("/")[1], "base.md.j2", "# Card\n")
    plan = _plan([card], [LiveCard(long_id, True, SHA, None)])
    out = io.StringIO()
    # What the CLI builds when stdout is not a terminal (cli._log_width).
    from pipeline.cli.terminal import LOG_WIDTH

    render_text(plan, Console(file=out, width=LOG_WIDTH, soft_wrap=True))
    text = out.getvalue()
    assert long_id in text
    assert "…" not in text
    row = next(line for line in text.splitlines() if long_id in line)
    assert "create" in row


def test_one_commit_is_counted_as_one() -> None:
    out = io.StringIO()
    render_text(_drift_plan(), Console(file=out, width=1000))
    text = out.getvalue()
    assert "changed on the Hub since, in 1 commit:" in text
    assert "(s)" not in text
    assert "in 1 commit:" in render_markdown(_drift_plan())


def test_a_summary_points_at_the_diffs_in_a_way_make_can_follow(
    family: list[RenderedCard],
) -> None:
    """`make release` runs with --summary and passes no flags: the hint names `make diff`."""
    rendered = family[:2]
    plan = _plan(rendered, [LiveCard(c.repo_id, True, SHA, None) for c in rendered])
    out = io.StringIO()
    render_text(plan, Console(file=out, width=1000), summary=True)
    for text in (out.getvalue(), render_markdown(plan, summary=True)):
        assert "Per-card diffs: `nb-release plan` shows them until they are published" in text
        assert "(from make: `make diff`)" in text
        assert "--no-summary" not in text


def test_diffs_left_out_of_the_markdown_say_where_all_of_them_are(
    family: list[RenderedCard],
) -> None:
    plan = _plan(family, [LiveCard(c.repo_id, True, SHA, None) for c in family])
    cut = render_markdown(plan)
    assert "Full report: `nb-release plan` shows every diff (from make: `make diff`)." in cut
    assert "--no-summary" not in cut
