"""Golden plan reports (text, Markdown, JSON) for a small manifest against the local Hub.

The scenario touches each kind of change once: a body change, a metadata change, a change of
formatting only (a hand edit on the Hub), and unchanged cards. Run-specific values (port, time,
fingerprint, commit ids) are normalised; NB_RELEASE_UPDATE_GOLDEN=1 rewrites the files on purpose.
"""

from __future__ import annotations

import re

import pytest
from huggingface_hub import CommitOperationAdd

from pipeline import __version__
from tests.golden_files import Golden
from tests.integration.support import Project


def _normalise(text: str) -> str:
    # The version is the git tag's (setuptools-scm): it changes from commit to commit.
    text = text.replace(f"nb-release {__version__}", "nb-release VERSION")
    text = text.replace(f'"tool_version": "{__version__}"', '"tool_version": "VERSION"')
    text = re.sub(r"http://127\.0\.0\.1:\d+", "http://127.0.0.1:PORT", text)
    text = re.sub(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", "TIME", text)
    text = re.sub(r"sha256:[0-9a-f]{8,64}", "sha256:FINGERPRINT", text)
    text = re.sub(r"\b[0-9a-f]{40}\b", "COMMIT", text)
    return re.sub(r"\b[0-9a-f]{12}\b", "COMMIT12", text)


def _scenario(project: Project) -> None:
    assert project.run("release", "--yes").status == 0
    manifest = project.folder / "models.toml"
    text = manifest.read_text()
    text = text.replace(
        'name = "nb-llama-3.2-1B"\n', 'name = "nb-llama-3.2-1B"\ndisplay_name = "NB-Llama-3.2-1B"\n'
    )
    text = text.replace(
        'gguf_file = "nb-llama-3.2-1b_1200-q4_k_m.gguf"\n',
        'gguf_file = "nb-llama-3.2-1b_1200-q4_k_m.gguf"\nextra_tags = ["q4"]\n',
    )
    manifest.write_text(text)
    # A hand edit on the Hub that only re-formats the front matter of one card.
    repo = "NbAiLab/nb-llama-3.1-8B"
    live = project.readme(repo) or ""
    reformatted = live.replace("- nb  # Norwegian Bokmål", "- 'nb'    # Norwegian Bokmål")
    assert reformatted != live
    project.api.create_commit(
        repo,
        operations=[CommitOperationAdd("README.md", reformatted.encode())],
        commit_message="Hand edit",
    )


@pytest.mark.parametrize(("fmt", "suffix"), [("text", "txt"), ("markdown", "md"), ("json", "json")])
def test_golden_plan_report(
    project: Project, monkeypatch: pytest.MonkeyPatch, golden: Golden, fmt: str, suffix: str
) -> None:
    monkeypatch.setenv("COLUMNS", "100")
    _scenario(project)
    result = project.run("plan", "--format", fmt)
    assert result.status == 2, result.err
    golden(f"plan.{suffix}", _normalise(result.out))
