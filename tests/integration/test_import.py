"""`nb-release import`: a family's hand-made repos taken into an empty manifest, then validated
and planned as adoptions; and the advisory list of the repos a family's manifest lacks."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path
from typing import Any

from huggingface_hub import CommitOperationAdd

from tests.integration.support import ROOT, Project

SHIPPED = ROOT / "models.toml"

# Repos of the namespace that are not NB-Llama: import leaves them out.
OTHERS = {
    "NbAiLab/nb-bert-base": "---\nlicense: cc-by-4.0\nlanguage:\n- 'no'\n---\n# NB-BERT\n",
    "NbAiLab/nb-whisper-large": (
        "---\nlicense: apache-2.0\nbase_model: openai/whisper-large-v3\n---\n# NB-Whisper\n"
    ),
    "NbAiLab/nb-sbert-base": "---\nbase_model: NbAiLab/nb-bert-base\n---\n# NB-SBERT\n",
}


def _without_models(text: str) -> str:
    """The shipped manifest with its [[models]] entries (and their section comments) removed."""
    return text[: text.index("\n# --- base")] + "\n"


def _hand_made(card: str) -> str:
    """A stand-in of a card made by hand: the render with the front matter's comments dropped
    and a line of its own; committed by a plain client, it carries none of nb-release's
    trailers."""
    head, body = card.split("\n---\n", 1)
    lines = [line.split("  #", 1)[0] for line in head.splitlines()]
    return "\n".join(lines) + "\n---\n" + body + "\nUploaded by hand.\n"


def _seed(project: Project, tmp_path: Path) -> list[str]:
    out = tmp_path / "rendered"
    shipped_run = project.run(
        "render",
        "--manifest",
        str(SHIPPED),
        "--cards",
        str(ROOT / "cards"),
        "--out",
        str(out),
        hub=False,
    )
    assert shipped_run.status == 0, shipped_run.err
    repos = []
    for path in sorted(out.glob("*/*/README.md")):
        repo_id = f"{path.parent.parent.name}/{path.parent.name}"
        repos.append(repo_id)
        project.api.create_repo(repo_id, exist_ok=True)
        content = _hand_made(path.read_text(encoding="utf-8"))
        project.api.create_commit(
            repo_id,
            operations=[CommitOperationAdd("README.md", content.encode())],
            commit_message="Upload model card",
        )
    for repo_id, content in OTHERS.items():
        project.api.create_repo(repo_id, exist_ok=True)
        project.api.create_commit(
            repo_id,
            operations=[CommitOperationAdd("README.md", content.encode())],
            commit_message="Upload model card",
        )
    return repos


def _entries(text: str) -> dict[str, dict[str, object]]:
    return {entry["name"]: entry for entry in tomllib.loads(text).get("models", [])}


def test_import_writes_every_llama_repo_and_plan_adopts_them(
    project: Project, tmp_path: Path
) -> None:
    repos = _seed(project, tmp_path)
    assert len(repos) == 16
    manifest = project.folder / "models.toml"
    empty = _without_models(SHIPPED.read_text(encoding="utf-8"))
    manifest.write_text(empty, encoding="utf-8")

    project.hub.counters.reset()
    run = project.run("import", "NbAiLab")
    assert run.status == 0, run.out + run.err
    # One listing; a card is read only for the 5 quantizations whose .gguf file the listing does
    # not show (the stand-ins hold a card only): the card names the file.
    assert project.hub.counters.get("resolve") == 5
    assert "16 entries imported" in run.out
    for other in OTHERS:
        assert f"{other}: skipped" in run.out

    text = manifest.read_text(encoding="utf-8")
    assert text.startswith(empty)  # comments and layout kept, entries appended
    imported = _entries(text)
    shipped = _entries(SHIPPED.read_text(encoding="utf-8"))
    assert set(imported) == set(shipped)
    assert imported == shipped

    assert project.run("validate", hub=False).status == 0
    plan = project.run("plan", "--format", "json")
    states = [entry["state"] for entry in json.loads(plan.out)["entries"]]
    assert states == ["adopt"] * 16

    again = project.run("import", "NbAiLab")
    assert again.status == 0
    assert manifest.read_text(encoding="utf-8") == text  # already there: left as they are


def _plan_requests(project: Project) -> tuple[dict[tuple[str, str], int], dict[str, Any]]:
    project.hub.counters.reset()
    run = project.run("plan", "--format", "json")
    assert run.status in (0, 2), run.err
    return project.hub.counters.snapshot(), json.loads(run.out)


def test_plan_lists_the_family_repos_the_manifest_lacks_without_a_request_of_its_own(
    project: Project,
) -> None:
    shipped = SHIPPED.read_text(encoding="utf-8")
    manifest = project.folder / "models.toml"
    for name in _entries(shipped):
        project.api.create_repo(f"NbAiLab/{name}", exist_ok=True)
    project.api.create_repo("NbAiLab/nb-llama-4-1B")  # the family's, not in the manifest
    project.api.create_repo("NbAiLab/nb-bert-base")  # the namespace's, not the family's
    undeclared = shipped.replace("\nmanage = {", "\n# manage = {", 1)
    assert undeclared != shipped
    manifest.write_text(undeclared, encoding="utf-8")
    _plan_requests(project)  # the cache warm, as in a nightly run
    without, plain = _plan_requests(project)
    assert plain["unmanaged"] is None

    manifest.write_text(shipped, encoding="utf-8")
    with_scope, report = _plan_requests(project)
    assert with_scope == without  # the listing read_live makes anyway: no request of its own
    assert report["unmanaged"]["repos"] == ["NbAiLab/nb-llama-4-1B"]
    text = project.run("plan")
    assert (
        "unmanaged: NbAiLab/nb-llama-4-1B matches NbAiLab/{nb-llama-*, nb-notram-llama-*} and "
        "is not in the manifest"
    ) in " ".join(text.out.split())
    markdown = project.run("plan", "--format", "markdown").out
    assert "unmanaged: NbAiLab/nb-llama-4-1B matches" in markdown
    page = project.run("plan", "--format", "html").out
    assert "unmanaged: NbAiLab/nb-llama-4-1B matches" in page
    sync = project.run("sync", "--dry-run")
    assert "unmanaged: NbAiLab/nb-llama-4-1B matches" in " ".join(sync.out.split())
    assert project.writes() == 0

    selected = project.run("plan", "--only", "nb-llama-3.1-8B")
    assert "unmanaged: not checked for NbAiLab/{nb-llama-*, nb-notram-llama-*}" in " ".join(
        selected.out.split()
    )


def test_import_only_takes_the_repos_a_glob_names(project: Project, tmp_path: Path) -> None:
    _seed(project, tmp_path)
    manifest = project.folder / "models.toml"
    manifest.write_text(_without_models(SHIPPED.read_text(encoding="utf-8")), encoding="utf-8")
    run = project.run("import", "NbAiLab", "--only", "*-gguf")
    assert run.status == 0, run.err
    assert sorted(_entries(manifest.read_text(encoding="utf-8"))) == sorted(
        name for name in _entries(SHIPPED.read_text(encoding="utf-8")) if name.endswith("GGUF")
    )
    before = manifest.read_text(encoding="utf-8")
    none = project.run("import", "NbAiLab", "--only", "nb-mistral-*")
    assert none.status == 1
    assert "error: no repo of NbAiLab matches nb-mistral-*" in none.err
    assert manifest.read_text(encoding="utf-8") == before
