"""The GitHub workflows nb-release's set-up needs, checked in the checkout (no GitHub request):
each workflow file is there, and each job that publishes reads HF_TOKEN from the environment
`huggingface`. Each finding is one line saying what to fix."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

ENVIRONMENT = "huggingface"
SECRET = "HF_TOKEN"
# Each workflow, and whether its jobs publish (and so need the environment and its secret).
WORKFLOWS: dict[str, bool] = {"plan.yml": False, "release.yml": True, "nightly-sync.yml": True}


@dataclass(frozen=True)
class Finding:
    ok: bool
    line: str


def _environment(job: dict[str, Any]) -> str | None:
    value = job.get("environment")
    if isinstance(value, dict):
        value = value.get("name")
    return value if isinstance(value, str) else None


def check_workflow(folder: Path, name: str, publishes: bool) -> Finding:
    path = folder / name
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return Finding(False, f"{path}: missing; copy it from nb-release's .github/workflows/")
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as error:
        return Finding(False, f"{path}: unreadable ({type(error).__name__}); restore it")
    jobs = data.get("jobs") if isinstance(data, dict) else None
    if not isinstance(jobs, dict) or not jobs:
        return Finding(False, f"{path}: has no jobs; restore it from nb-release")
    if not publishes:
        return Finding(True, f"{path}: present")
    wrong = [
        str(key)
        for key, job in jobs.items()
        if isinstance(job, dict)
        and f"secrets.{SECRET}" in yaml.safe_dump(job)
        and _environment(job) != ENVIRONMENT
    ]
    if wrong:
        return Finding(
            False,
            f"{path}: job {', '.join(wrong)} reads secrets.{SECRET} outside the environment "
            f"{ENVIRONMENT!r}; add `environment: {ENVIRONMENT}` to the job",
        )
    return Finding(
        True,
        f"{path}: present; reads secrets.{SECRET} from the environment {ENVIRONMENT!r} "
        "(create both in the repository's Settings > Environments; not checked from here)",
    )


def check_workflows(folder: Path) -> list[Finding]:
    return [check_workflow(folder, name, publishes) for name, publishes in WORKFLOWS.items()]
