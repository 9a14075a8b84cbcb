"""`nb-release import`: a family's hand-made repos taken into an empty manifest, then validated
and planned as adoptions; and the advisory list of the repos a family's manifest lacks."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

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
