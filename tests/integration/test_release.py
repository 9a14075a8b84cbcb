"""plan / apply / release against a real local Hub, through the real huggingface_hub client."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from huggingface_hub import CommitOperationAdd

from pipeline.card.render import card_path
from tests.integration.support import REPOS, Project


def _rendered(project: Project, repo_id: str) -> str:
    return card_path(project.folder / "build/cards", repo_id).read_text(encoding="utf-8")


def test_first_release_creates_every_card_and_second_writes_nothing(project: Project) -> None:
    plan = project.run("plan")
    assert plan.status == 2, plan.err
    assert "4 to create" in plan.out

    first = project.run("release", "--yes")
    assert first.status == 0, first.err
    assert "4 published" in first.out
    assert project.run("render", hub=False).status == 0
    for repo_id in REPOS:
        assert project.readme(repo_id) == _rendered(project, repo_id)
        assert project.commits(repo_id) == 2  # the Hub's initial commit + ours

    project.hub.counters.reset()
    second = project.run("release", "--yes")
    assert second.status == 0, second.err
    assert "Nothing to publish" in second.out
    assert project.writes() == 0, project.hub.counters.snapshot()
    assert project.run("plan").status == 0


def test_changing_one_variant_publishes_only_that_repo(project: Project) -> None:
    assert project.run("release", "--yes").status == 0
    manifest = project.folder / "models.toml"
    text = manifest.read_text()
    text = text.replace(
        'name = "nb-llama-3.1-8B-sft"\n',
        'name = "nb-llama-3.1-8B-sft"\nparameters = "8.03 billion"\n',
    )
    manifest.write_text(text)

    result = project.run("release", "--yes")
    assert result.status == 0, result.err
    assert "1 published" in result.out
    assert [project.commits(r) for r in REPOS] == [2, 2, 3, 2]
    assert "8.03 billion" in (project.readme("NbAiLab/nb-llama-3.1-8B-sft") or "")


def test_changing_a_shared_template_publishes_every_affected_repo_and_no_other(
    project: Project,
) -> None:
    assert project.run("release", "--yes").status == 0
    gguf = project.folder / "cards/gguf.md.j2"
    gguf.write_text(gguf.read_text().replace("modest hardware", "modest, everyday hardware"))

    result = project.run("release", "--yes")
    assert result.status == 0, result.err
    assert [project.commits(r) for r in REPOS] == [2, 2, 2, 3]

    shared = project.folder / "cards/_layout.md.j2"
    shared.write_text(shared.read_text().replace("### Motivation", "### Motivation and aims"))
    result = project.run("release", "--yes")
    assert result.status == 0, result.err
    changed = [r for r in REPOS if "Motivation and aims" in (project.readme(r) or "")]
    counts = [project.commits(r) for r in REPOS]
    # Every card that shows the Motivation section got exactly one new commit; no other did.
    for repo_id, count in zip(REPOS, counts, strict=True):
        before = 3 if repo_id.endswith("GGUF") else 2
        assert count == before + (1 if repo_id in changed else 0)
    assert changed, "the shared block is used by at least one card"


def test_stale_plan_leaves_the_edited_repo_alone(project: Project, tmp_path: Path) -> None:
    plan_file = tmp_path / "plan.json"
    assert project.run("plan", "--out", str(plan_file)).status == 2
    edited = "---\nlicense: llama3.1\n---\nA person's edit on the Hub.\n"
    project.api.create_commit(
        "NbAiLab/nb-llama-3.1-8B",
        operations=[CommitOperationAdd("README.md", edited.encode())],
        commit_message="Hand edit",
    )

    result = project.run("apply", str(plan_file))
    assert result.status == 3, result.out + result.err
    assert "stale" in result.out and "NbAiLab/nb-llama-3.1-8B " in result.out
    assert "3 published" in result.out
    assert project.readme("NbAiLab/nb-llama-3.1-8B") == edited

    # A re-run converges: the stale repo is planned against its new contents.
    again = project.run("release", "--yes")
    assert again.status == 0, again.err
    assert project.run("plan").status == 0


def test_apply_refuses_a_plan_from_other_templates(project: Project, tmp_path: Path) -> None:
    plan_file = tmp_path / "plan.json"
    assert project.run("plan", "--out", str(plan_file)).status == 2
    base = project.folder / "cards/base.md.j2"
    base.write_text(base.read_text() + "\nmore\n")
    result = project.run("apply", str(plan_file))
    assert result.status == 1
    assert "the plan was made from other contents" in result.err
    assert project.writes() == 0


def test_pr_mode_leaves_main_alone_and_reuses_its_pr(project: Project) -> None:
    result = project.run("release", "--yes", "--create-pr", "--only", "*sft")
    assert result.status == 0, result.err
    repo = "NbAiLab/nb-llama-3.1-8B-sft"
    assert project.readme(repo) is None  # main untouched
    proposed = project.readme(repo, "refs/pr/1")
    assert proposed is not None and "nb-llama-3.1-8B-sft" in proposed

    again = project.run("release", "--yes", "--create-pr", "--only", "*sft")
    assert again.status == 0, again.err
    assert "already proposed" in again.out
    prs = list(project.api.get_repo_discussions(repo, discussion_type="pull_request"))
    assert len(prs) == 1

    sft = project.folder / "cards/sft.md.j2"
    sft.write_text(sft.read_text().replace("{% endblock %}", "A new line.\n{% endblock %}", 1))
    third = project.run("release", "--yes", "--create-pr", "--only", "*sft")
    assert third.status == 0, third.err
    prs = list(project.api.get_repo_discussions(repo, discussion_type="pull_request"))
    assert len(prs) == 1
    assert "A new line." in (project.readme(repo, "refs/pr/1") or "")
    assert project.readme(repo) is None


def _add_variant_without_repo(project: Project, extra: str = "") -> None:
    """Add nb-llama-3.1-70B to the manifest; the Hub has no such repo."""
    manifest = project.folder / "models.toml"
    manifest.write_text(
        manifest.read_text()
        + '\n[[models]]\nname = "nb-llama-3.1-70B"\nkind = "base"\nllama_version = "3.1"\n'
        'size = "70B"\nbase_model = "meta-llama/Llama-3.1-70B"\n' + extra
    )


def test_missing_repo_is_an_error_and_nothing_is_written(project: Project) -> None:
    _add_variant_without_repo(project)
    plan = project.run("plan")
    assert plan.status == 1
    assert "missing-repo" in plan.out
    release = project.run("release", "--yes")
    assert release.status == 1
    assert "1 repo of the plan does not exist on the Hub: NbAiLab/nb-llama-3.1-70B" in release.err
    assert project.writes() == 0


def test_allow_create_creates_the_repo(project: Project) -> None:
    _add_variant_without_repo(project, "allow_create = true\n")
    plan = project.run("plan")
    assert plan.status == 2 and "create-repo" in plan.out
    assert project.run("release", "--yes").status == 0
    assert "70 billion" in (project.readme("NbAiLab/nb-llama-3.1-70B") or "")


def test_commit_carries_the_trailers(project: Project) -> None:
    assert project.run("release", "--yes").status == 0
    commits = project.api.list_repo_commits("NbAiLab/nb-llama-3.1-8B")
    ours = commits[0]
    assert ours.title == "Create model card"
    assert "Released-by: nb-release " in ours.message
    assert re.search(r"Manifest-fingerprint: sha256:[0-9a-f]{64}", ours.message)


def test_no_terminal_no_publish_without_yes(project: Project) -> None:
    result = project.run("release")
    assert result.status == 2
    assert "Pass --yes to publish" in result.out
    assert project.writes() == 0


def test_bad_token_fails_before_any_write(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HF_TOKEN", "hf_" + "x" * 34)
    result = project.run("release", "--yes")
    assert result.status == 1
    assert "refused the token" in result.err
    assert "x" * 34 not in result.out + result.err
    assert project.writes() == 0


def test_token_never_in_output_plan_or_reports(
    project: Project, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    token = project.hub.token
    monkeypatch.setenv("HF_TOKEN", token)
    plan_file = tmp_path / "plan.json"
    outputs = [
        project.run("plan", "--out", str(plan_file), "--format", fmt)
        for fmt in ("text", "markdown", "json")
    ]
    outputs.append(project.run("apply", str(plan_file)))
    outputs.append(project.run("release", "--yes"))
    text = "".join(o.out + o.err for o in outputs) + plan_file.read_text()
    assert token not in text
    assert outputs[3].status == 0


def test_json_report_is_valid_json(project: Project) -> None:
    result = project.run("plan", "--format", "json")
    assert result.status == 2
    data = json.loads(result.out)
    assert data["schema_version"] == 8


def test_without_a_terminal_each_repo_is_named_once_in_the_table_and_once_in_the_results(
    project: Project,
) -> None:
    """A log names a repo in the plan's table and in its result, both in the manifest's order;
    progress lines give counts, not the repos in the order their work happened to finish."""
    first = project.run("release", "--yes", "--summary", "--jobs", "4")
    assert first.status == 0, first.err
    lines = (first.out + first.err).splitlines()
    for repo_id in REPOS:  # the whole id: one is the start of another
        whole = re.compile(re.escape(repo_id) + r"(?![\w.-])")
        assert len([line for line in lines if whole.search(line)]) == 2, repo_id
    assert first.err.splitlines() == [
        f"Reading live cards: {len(REPOS)}",
        f"Publishing: {len(REPOS)}",
    ]
    results = [line.split() for line in first.out.splitlines() if line.startswith("  published ")]
    assert [words[1] for words in results] == list(REPOS)


def test_released_cards_are_found_by_the_tags_the_hub_derives(project: Project) -> None:
    assert project.run("release", "--yes").status == 0

    def found(tag: str) -> list[str]:
        return sorted(m.id for m in project.api.list_models(filter=tag))

    assert found("base_model:meta-llama/Llama-3.1-8B") == ["NbAiLab/nb-llama-3.1-8B"]
    assert found("base_model:NbAiLab/nb-llama-3.1-8B") == ["NbAiLab/nb-llama-3.1-8B-sft"]
    gguf = "NbAiLab/nb-llama-3.2-1B-Q4_K_M-GGUF"
    assert found("base_model:quantized:NbAiLab/nb-llama-3.2-1B") == [gguf]
    assert found("license:llama3.2") == sorted(["NbAiLab/nb-llama-3.2-1B", gguf])
    tags = project.api.model_info(gguf).tags or []
    assert "base_model:NbAiLab/nb-llama-3.2-1B" in tags
    assert "base_model:quantized:NbAiLab/nb-llama-3.2-1B" in tags
    assert {"license:llama3.2", "text-generation", "nb"} <= set(tags)
