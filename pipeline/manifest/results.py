"""Evaluation results as data: `cards/results/<variant name>.toml`, validated with Pydantic.

A results file lists `[[results]]`, each one benchmark score:

    [[results]]
    task_type = "text-generation"          # a Hub task id
    task_name = "Question answering"       # optional
    dataset_id = "NbAiLab/norquad"         # the benchmark's Hub dataset id
    dataset_name = "NorQuAD"
    dataset_config = "nb"                  # optional
    dataset_split = "test"                 # optional
    metric_type = "exact_match"            # a metric id (METRICS)
    metric_value = 61.2                    # a number
    metric_name = "Exact match"            # optional
    date = 2025-01-15                      # a TOML date: when it was measured
    source_name = "NorEval"
    source_url = "https://example.org/noreval"

The files live under cards/, so the plan's fingerprint and the render cache cover them as they do
the templates. One card renders both its `model-index` (the Hub's schema) and its results table
from these values, so the two cannot disagree. Every problem is located: file, line, key path.
"""

from __future__ import annotations

import datetime
import difflib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

from pipeline.errors import ManifestError, Problem
from pipeline.manifest._fields import DatasetId, PipelineTag, Text, Url, shown
from pipeline.manifest._file import parse_manifest
from pipeline.manifest._places import key_path

FOLDER = "results"

# The metric ids a result may name: those of the Hub's evaluate metrics that benchmarks of
# language models report (https://huggingface.co/docs/hub/model-cards#evaluation-results points
# `metrics.type` at https://hf.co/metrics).
METRICS = frozenset(
    {
        "accuracy",
        "bertscore",
        "bleu",
        "cer",
        "chrf",
        "exact_match",
        "f1",
        "matthews_correlation",
        "meteor",
        "pass@1",
        "pearsonr",
        "perplexity",
        "precision",
        "recall",
        "rouge",
        "sacrebleu",
        "spearmanr",
        "squad",
        "ter",
        "wer",
    }
)


def _metric(value: object) -> str:
    if not isinstance(value, str) or value not in METRICS:
        near = difflib.get_close_matches(str(value)[:100], sorted(METRICS), n=1)
        hint = f"; did you mean {near[0]!r}?" if near else ""
        raise ValueError(
            f"expected a metric id such as 'accuracy' or 'exact_match', got {shown(value)}{hint}"
        )
    return value


def _number(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"expected a number such as 61.2, got {shown(value)}")
    if value != value or value in (float("inf"), float("-inf")):
        raise ValueError(f"expected a finite number, got {shown(value)}")
    return float(value)


Metric = Annotated[str, BeforeValidator(_metric)]
Number = Annotated[float, BeforeValidator(_number)]


class _Result(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    task_type: PipelineTag
    task_name: Text | None = None
    dataset_id: DatasetId
    dataset_name: Text
    dataset_config: Text | None = None
    dataset_split: Text | None = None
    metric_type: Metric
    metric_value: Number
    metric_name: Text | None = None
    date: datetime.date
    source_name: Text
    source_url: Url


class _ResultsFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    results: list[_Result] = Field(min_length=1, max_length=1000)


@dataclass(frozen=True)
class Result:
    task_type: str
    task_name: str | None
    dataset_id: str
    dataset_name: str
    dataset_config: str | None
    dataset_split: str | None
    metric_type: str
    metric_value: float
    metric_name: str | None
    date: datetime.date
    source_name: str
    source_url: str


def results_path(name: str) -> str:
    """The path under cards/ of the results file of the variant `name`."""
    return f"{FOLDER}/{name}.toml"


def read_results(
    cards_dir: Path, files: Mapping[str, bytes], names: list[str]
) -> dict[str, tuple[Result, ...]]:
    """The results of each variant (by name) that has a file; every problem of every file, and a
    file of no variant, in one ManifestError."""
    problems: list[Problem] = []
    found: dict[str, tuple[Result, ...]] = {}
    known = set(names)
    for path in sorted(files):
        if not (path.startswith(FOLDER + "/") and path.endswith(".toml")):
            continue
        file = str(cards_dir / path)
        name = path.removeprefix(FOLDER + "/").removesuffix(".toml")
        if name not in known:
            near = difflib.get_close_matches(name, sorted(known), n=1)
            problems.append(
                Problem(
                    file,
                    f"a results file of {name!r}, which is no variant of the manifest",
                    hint=f"did you mean {results_path(near[0])}?"
                    if near
                    else "name it cards/results/<variant name>.toml",
                )
            )
            continue
        try:
            found[name] = _read(file, files[path])
        except ManifestError as exc:
            problems.extend(exc.problems)
    if problems:
        raise ManifestError("the evaluation results are invalid", problems)
    return found


def _read(file: str, source: bytes) -> tuple[Result, ...]:
    data, locator = parse_manifest(file, source)
    try:
        parsed = _ResultsFile.model_validate(data)
    except ValidationError as exc:
        problems: list[Problem] = []
        for item in exc.errors(include_url=False):
            loc: list[Any] = [p for p in item["loc"] if not str(p).startswith("function-")]
            path = key_path(loc)
            line, column = locator.find(path)
            message = str(item["msg"]).removeprefix("Value error, ")
            if item["type"] == "missing":
                line, column = locator.find(key_path(loc[:-1]))
                message = f"required key {str(loc[-1])!r} is missing"
            elif item["type"] == "extra_forbidden":
                message = f"unknown key {str(loc[-1])!r}"
            elif item["type"].endswith("_type"):
                message = f"{message}, got {shown(item.get('input'))}"
            problems.append(Problem(file, message, line, column, path))
        raise ManifestError("the evaluation results are invalid", problems) from None
    return tuple(Result(**item.model_dump()) for item in parsed.results)


def model_index(name: str, results: tuple[Result, ...]) -> list[dict[str, Any]]:
    """The Hub's `model-index` of a card with these results (hub-docs' model card spec)."""
    entries: list[dict[str, Any]] = []
    for result in results:
        task: dict[str, Any] = {"type": result.task_type}
        if result.task_name:
            task["name"] = result.task_name
        dataset: dict[str, Any] = {"type": result.dataset_id, "name": result.dataset_name}
        if result.dataset_config:
            dataset["config"] = result.dataset_config
        if result.dataset_split:
            dataset["split"] = result.dataset_split
        metric: dict[str, Any] = {"type": result.metric_type, "value": result.metric_value}
        if result.metric_name:
            metric["name"] = result.metric_name
        entries.append(
            {
                "task": task,
                "dataset": dataset,
                "metrics": [metric],
                "source": {"url": result.source_url, "name": result.source_name},
            }
        )
    return [{"name": name, "results": entries}]
