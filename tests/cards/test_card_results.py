"""Evaluation results as data: a results file under cards/results/ renders the card's
`model-index` and its results table from the same numbers, and the fingerprint covers it."""

from __future__ import annotations

import shutil
from pathlib import Path

from pipeline.card._metadata import check_metadata
from pipeline.card.render import fingerprint, render_all
from pipeline.manifest.model import load_manifest
from tests.cards.card_context import CARDS
from tests.cards.card_text_rules import Card, results_disagree

RESULTS = """\
[[results]]
task_type = "text-generation"
task_name = "Question answering"
dataset_id = "NbAiLab/norquad"
dataset_name = "NorQuAD"
dataset_config = "nb"
dataset_split = "test"
metric_type = "exact_match"
metric_value = 61.2
date = 2025-01-15
source_name = "NorEval"
source_url = "https://example.org/noreval"

[[results]]
task_type = "text-generation"
dataset_id = "NbAiLab/norec"
dataset_name = "NoReC"
metric_type = "accuracy"
metric_value = 70
date = 2025-01-16
source_name = "NorEval"
source_url = "https://example.org/noreval"
"""


def _project(tmp_path: Path) -> Path:
    shutil.copytree(CARDS, tmp_path / "cards")
    shutil.copy(CARDS.parent / "models.toml", tmp_path / "models.toml")
    return tmp_path


def test_a_results_file_renders_model_index_and_table_alike(tmp_path: Path) -> None:
    project = _project(tmp_path)
    before = fingerprint(project / "models.toml", project / "cards")
    (project / "cards/results").mkdir()
    (project / "cards/results/nb-llama-3.1-8B.toml").write_text(RESULTS, encoding="utf-8")
    assert fingerprint(project / "models.toml", project / "cards") != before
    manifest = load_manifest(project / "models.toml")
    kinds = {v.repo_id: v for v in manifest.variants}
    cards = [
        Card(c.repo_id, kinds[c.repo_id].kind, kinds[c.repo_id].base_model, c.content)
        for c in render_all(manifest, project / "cards")
    ]
    [card] = [c for c in cards if c.repo_id == "NbAiLab/nb-llama-3.1-8B"]
    index = card.data["model-index"]
    assert index == [
        {
            "name": "nb-llama-3.1-8B",
            "results": [
                {
                    "task": {"type": "text-generation", "name": "Question answering"},
                    "dataset": {
                        "type": "NbAiLab/norquad",
                        "name": "NorQuAD",
                        "config": "nb",
                        "split": "test",
                    },
                    "metrics": [{"type": "exact_match", "value": 61.2}],
                    "source": {"url": "https://example.org/noreval", "name": "NorEval"},
                },
                {
                    "task": {"type": "text-generation"},
                    "dataset": {"type": "NbAiLab/norec", "name": "NoReC"},
                    "metrics": [{"type": "accuracy", "value": 70.0}],
                    "source": {"url": "https://example.org/noreval", "name": "NorEval"},
                },
            ],
        }
    ]
    assert "### Evaluation Results" in card.body and "| 61.2 |" in card.body
    assert results_disagree(cards) == []
    others = [c for c in cards if c.repo_id != card.repo_id]
    assert all("model-index" not in c.data and "Evaluation Results" not in c.body for c in others)


def test_the_rule_catches_a_table_that_differs_from_model_index() -> None:
    front = (
        '---\nmodel-index: [{"name": "m", "results": [{"task": {"type": "t"}, "dataset": '
        '{"type": "a/b", "name": "B"}, "metrics": [{"type": "accuracy", "value": 61.2}]}]}]\n---\n'
    )
    row = "| QA | [B](x) |  |  | accuracy | {value} | 2025-01-15 | [S](y) |\n"
    body = "### Evaluation Results\n\n| h |\n| --- |\n" + row
    same = Card("NbAiLab/m", "base", "meta-llama/M", front + body.format(value="61.2"))
    other = Card("NbAiLab/m", "base", "meta-llama/M", front + body.format(value="16.2"))
    assert results_disagree([same]) == []
    assert results_disagree([other])


def test_validate_rejects_a_malformed_model_index_with_its_place() -> None:
    card = (
        "---\nlanguage:\n- nb\nlicense: llama3.1\npipeline_tag: text-generation\ntags:\n- x\n"
        "model-index:\n- name: m\n  results:\n  - task:\n      type: text-generation\n"
        "    dataset:\n      name: NorQuAD\n    metrics:\n    - type: accuracy\n"
        "      value: high\n---\nBody.\n"
    )
    problems = check_metadata("c/README.md", card, expected={})
    assert {p.key_path for p in problems} == {
        "model-index[0].results[0].dataset.type",
        "model-index[0].results[0].metrics[0].value",
    }
    assert all(p.line is not None for p in problems)
