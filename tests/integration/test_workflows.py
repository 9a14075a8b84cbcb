"""The GitHub workflows: their shape, and each one's `run:` commands executed against a local Hub.

A runner is imitated: the GITHUB_* variables it sets (with a temporary GITHUB_STEP_SUMMARY), the
job's and the step's `env:` with their `${{ }}` expressions evaluated from a fixed table (an
expression outside the table fails the test), `bash -eo pipefail` as the shell, and a recording
stand-in for the `gh` CLI. `uses:` steps (checkout, setup-python, upload-artifact) are not run;
the paths they upload are checked to exist. So a workflow cannot call a make target, a command
or a flag that does not exist.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from huggingface_hub import CommitOperationAdd

from tests.integration.support import REPOS, Project

ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = ROOT / ".github" / "workflows"
VENV = Path(sys.executable).parent.parent
PINNED = re.compile(r"^[\w.-]+/[\w.-]+@[0-9a-f]{40}$")

FAKE_GH = """#!/usr/bin/env python3
import json, os, sys
with open(os.environ["GH_LOG"], "a") as log:
    log.write(json.dumps(sys.argv[1:]) + "\\n")
args = sys.argv[1:]
if args[:2] == ["issue", "list"]:
    print(os.environ.get("GH_FAKE_ISSUE", ""))
elif args[:2] == ["pr", "list"]:
    print(os.environ.get("GH_FAKE_PR", ""))
elif args[:1] == ["api"] and "--method" not in args:
    print(os.environ.get("GH_FAKE_COMMENT", ""))
"""


def _load(name: str) -> dict[str, Any]:
    # PyYAML reads the key `on` as the boolean True (YAML 1.1): keys are not all strings here.
    data: dict[str | bool, Any] = yaml.safe_load((WORKFLOWS / name).read_text(encoding="utf-8"))
    data["on"] = data.pop(True)
    return {str(key): value for key, value in data.items()}


def _steps(workflow: dict[str, Any]) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    return [(job, step) for job in workflow["jobs"].values() for step in job["steps"]]


# --- shape ------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["plan.yml", "release.yml", "nightly-sync.yml"])
def test_workflow_shape(name: str) -> None:
    workflow = _load(name)
    assert workflow["permissions"] == {}, "least privilege: jobs ask for what they need"
    assert "group" in workflow["concurrency"]
    for job, step in _steps(workflow):
        assert "permissions" in job
        if "uses" in step:
            assert PINNED.match(step["uses"]), f"{step['uses']}: pin actions by commit SHA"
    for line in (WORKFLOWS / name).read_text().splitlines():
        if "uses:" in line:
            assert re.search(r"@[0-9a-f]{40}  # v\d", line), f"{line}: name the version pinned"
        if step.get("uses", "").startswith("actions/checkout@"):
            assert step["with"]["persist-credentials"] is False
        if step.get("uses", "").startswith("actions/setup-python@"):
            assert step["with"]["cache"] == "pip"
        if "run" in step:
            first = step["run"].split()[0]
            assert first in (
                "make",
                ".github/scripts/plan-comment.sh",
                ".github/scripts/drift-issue.sh",
                ".github/scripts/keep-pr.sh",
            )


def test_the_writing_workflows_share_one_concurrency_group_and_never_cancel() -> None:
    release, nightly = _load("release.yml"), _load("nightly-sync.yml")
    assert release["concurrency"] == nightly["concurrency"]
    assert release["concurrency"]["cancel-in-progress"] is False
    assert "HF_TOKEN" not in json.dumps(_load("plan.yml"))  # plan needs no write token


def test_nightly_runs_off_the_hour_and_has_a_dry_run_input() -> None:
    nightly = _load("nightly-sync.yml")
    (schedule,) = nightly["on"]["schedule"]
    minute = schedule["cron"].split()[0]
    assert minute.isdigit() and int(minute) not in (0, 30)
    assert nightly["on"]["workflow_dispatch"]["inputs"]["dry-run"]["type"] == "boolean"


def test_zizmor_finds_nothing_offline() -> None:
    result = subprocess.run(
        [str(VENV / "bin" / "zizmor"), "--offline", "--persona", "auditor", str(WORKFLOWS)],
        capture_output=True,
        text=True,
        check=False,
        env={k: v for k, v in os.environ.items() if "TOKEN" not in k},  # offline, no token
    )
    assert result.returncode == 0, result.stdout + result.stderr


# --- running the steps ------------------------------------------------------------------------


class Runner:
    """Runs a workflow's `run:` steps in the project folder as a GitHub runner would."""

    def __init__(self, project: Project, tmp_path: Path) -> None:
        self.project = project
        self.folder = project.folder
        for name in ("Makefile", "pyproject.toml"):
            shutil.copy2(ROOT / name, self.folder / name)
        shutil.copytree(ROOT / ".github", self.folder / ".github")
        shutil.copytree(ROOT / "requirements", self.folder / "requirements")
        bin_dir = tmp_path / "runner-bin"
        bin_dir.mkdir()
        make = shutil.which("make")
        assert make is not None
        # The project's own venv; -o: never re-install it (nor its runtime part) from here.
        self._script(
            bin_dir / "make",
            f'#!/bin/sh\nexec {make} VENV={VENV} -o {VENV}/.installed -o {VENV}/.runtime "$@"\n',
        )
        self._script(bin_dir / "gh", FAKE_GH)
        # The project is a clone of a repository (a bare one here), as actions/checkout leaves it.
        self.remote = tmp_path / "origin.git"
        git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.org"]
        subprocess.run(["git", "init", "-q", "--bare", str(self.remote)], check=True)
        for command in (
            ["init", "-q", "-b", "main"],
            ["add", "-A"],
            ["commit", "-q", "-m", "The project"],
            ["remote", "add", "origin", str(self.remote)],
        ):
            subprocess.run([*git, *command], cwd=self.folder, check=True)
        self.gh_log = tmp_path / "gh.log"
        self.summary = tmp_path / "step-summary.md"
        self.summary.write_text("")
        self.env = {
            **os.environ,
            "PATH": f"{bin_dir}:{os.environ['PATH']}",
            "CI": "true",
            "GITHUB_ACTIONS": "true",
            "GITHUB_REPOSITORY": "NbAiLab/nb-release",
            "GITHUB_SERVER_URL": "https://github.com",
            "GITHUB_RUN_ID": "1234",
            "GITHUB_WORKSPACE": str(self.folder),
            "GITHUB_STEP_SUMMARY": str(self.summary),
            "GITHUB_OUTPUT": str(tmp_path / "github-output"),
            "GITHUB_ENV": str(tmp_path / "github-env"),
            "GH_LOG": str(self.gh_log),
        }

    @staticmethod
    def _script(path: Path, text: str) -> None:
        path.write_text(text)
        path.chmod(path.stat().st_mode | stat.S_IEXEC)

    def expressions(self, inputs: dict[str, str]) -> dict[str, str]:
        return {
            "secrets.HF_TOKEN": self.project.hub.token,
            "github.token": "fake-github-token",
            "github.event.pull_request.number": "7",
            **{f"inputs.{k}": v for k, v in inputs.items()},
        }

    def _evaluate(self, value: object, table: dict[str, str]) -> str:
        def one(match: re.Match[str]) -> str:
            expression = match.group(1).strip()
            if expression not in table:
                pytest.fail(f"the test's runner does not know the expression {expression!r}")
            return table[expression]

        return re.sub(r"\$\{\{(.*?)\}\}", one, str(value))

    def run(
        self,
        name: str,
        inputs: dict[str, str] | None = None,
        extra_env: dict[str, str] | None = None,
    ) -> list[subprocess.CompletedProcess[str]]:
        workflow = _load(name)
        table = self.expressions(inputs or {})
        done = []
        for job, step in _steps(workflow):
            if "run" not in step:
                continue
            env = dict(self.env)
            for key, value in {**job.get("env", {}), **step.get("env", {})}.items():
                env[key] = self._evaluate(value, table)
            # The point of the test: the Hub is the local one, whatever the workflow names.
            assert env.get("NB_RELEASE_HUB") == "https://huggingface.co"
            env["NB_RELEASE_HUB"] = self.project.hub.url
            env.update(extra_env or {})
            result = subprocess.run(
                ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step["run"]],
                cwd=self.folder,
                env=env,
                capture_output=True,
                text=True,
                check=False,
                timeout=300,
            )
            assert result.returncode == 0, (
                f"{name}: {step.get('name')}:\n{result.stdout}\n{result.stderr}"
            )
            done.append(result)
        for _, step in _steps(workflow):
            if step.get("uses", "").startswith("actions/upload-artifact@"):
                assert (self.folder / step["with"]["path"]).is_dir()
        return done

    def gh_calls(self) -> list[list[str]]:
        if not self.gh_log.exists():
            return []
        return [json.loads(line) for line in self.gh_log.read_text().splitlines()]


@pytest.fixture
def runner(project: Project, tmp_path: Path) -> Runner:
    return Runner(project, tmp_path)


def _hand_edit(project: Project, repo: str, added: str, title: str) -> str:
    """Someone else's commit to a card on the Hub: `added` appended; the card as it is now."""
    edited = (project.readme(repo) or "") + added
    project.api.create_commit(
        repo,
        operations=[CommitOperationAdd("README.md", edited.encode())],
        commit_message=title,
    )
    return edited


def test_plan_workflow_comments_once_and_then_updates(runner: Runner, project: Project) -> None:
    runner.run("plan.yml")
    assert project.writes() == 0  # plan writes nothing to the Hub
    comment = (runner.folder / "reports/plan.md").read_text()
    assert "## nb-release plan" in comment and len(comment) <= 65_536
    assert "## nb-release plan" in runner.summary.read_text()
    assert "<html" in (runner.folder / "reports/preview/index.html").read_text()  # the artifact
    posts = [c for c in runner.gh_calls() if "--method" in c]
    assert posts[0][:3] == ["api", "--method", "POST"]
    assert posts[0][3] == "repos/NbAiLab/nb-release/issues/7/comments"

    runner.gh_log.unlink()
    runner.run("plan.yml", extra_env={"GH_FAKE_COMMENT": "991"})
    posts = [c for c in runner.gh_calls() if "--method" in c]
    assert posts == [
        [*posts[0][:2], "PATCH", "repos/NbAiLab/nb-release/issues/comments/991", *posts[0][4:]]
    ]


def test_release_workflow_publishes(runner: Runner, project: Project) -> None:
    runner.run("release.yml")
    assert all(project.readme(r) for r in REPOS)
    summary = runner.summary.read_text()
    assert "## nb-release release" in summary
    assert f"**Outcome: {len(REPOS)} published, 0 proposed as pull requests" in summary
    assert json.loads((runner.folder / "reports/release.json").read_text())["kind"]


def test_nightly_sync_workflow_reports_drift_in_one_issue(runner: Runner, project: Project) -> None:
    runner.run("release.yml")
    repo = "NbAiLab/nb-llama-3.1-8B"
    edited = _hand_edit(project, repo, "\n## Evaluation\n", "Add evaluation")
    project.hub.counters.reset()
    runner.run("nightly-sync.yml", inputs={"dry-run": "false"})
    assert project.writes() == 0
    assert project.readme(repo) == edited
    assert (runner.folder / "reports/sync.status").read_text().strip() == "4"
    assert (runner.folder / "reports/preview/index.html").is_file()  # uploaded with the reports
    body = (runner.folder / "reports/drift-issue.md").read_text()
    assert f"| `{repo}` | drift | local-user: Add evaluation |" in body
    creates = [c for c in runner.gh_calls() if c[:2] == ["issue", "create"]]
    assert len(creates) == 1

    # The proposed pull request is not merged: the project is back on main, the card still drifted.
    _git(runner.folder, "switch", "-q", "main")
    runner.gh_log.unlink()
    runner.run("nightly-sync.yml", inputs={"dry-run": "true"}, extra_env={"GH_FAKE_ISSUE": "12"})
    calls = runner.gh_calls()
    assert [c[:3] for c in calls if c[0] == "issue" and c[1] != "list"] == [["issue", "edit", "12"]]
    assert not [c for c in calls if c[0] == "pr"]  # a dry run proposes nothing


def _git(folder: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=folder, check=True, capture_output=True, text=True
    ).stdout


def test_nightly_sync_proposes_keeping_a_hand_edit_and_merging_it_makes_sync_green(
    runner: Runner, project: Project
) -> None:
    runner.run("release.yml")
    repo = "NbAiLab/nb-llama-3.1-8B"
    edited = _hand_edit(project, repo, "\n## Evaluation\n", "Add evaluation")
    runner.run("nightly-sync.yml", inputs={"dry-run": "false"})
    assert (runner.folder / "reports/sync.status").read_text().strip() == "4"
    creates = [c for c in runner.gh_calls() if c[:2] == ["pr", "create"]]
    assert len(creates) == 1 and "--head" in creates[0]
    assert creates[0][creates[0].index("--head") + 1] == "nb-release/keep-hand-edits"
    body = (runner.folder / "reports/keep-pr.md").read_text()
    assert f"| `{repo}` |" in body and "| local-user | Add evaluation |" in body
    pushed = _git(runner.remote, "ls-tree", "-r", "--name-only", "nb-release/keep-hand-edits")
    assert "cards/edits/" in pushed
    assert "fake-github-token" not in _git(runner.folder, "config", "--list")

    # Merging the pull request: the next sync is green, the hand edit still on the Hub.
    runner.gh_log.unlink()
    project.hub.counters.reset()
    runner.run("nightly-sync.yml", inputs={"dry-run": "false"}, extra_env={"GH_FAKE_PR": "5"})
    assert (runner.folder / "reports/sync.status").read_text().strip() == "0"
    assert project.writes() == 0 and project.readme(repo) == edited
    assert not [c for c in runner.gh_calls() if c[:2] in (["pr", "create"], ["pr", "edit"])]


def test_a_second_drift_updates_nb_releases_open_pull_request(
    runner: Runner, project: Project
) -> None:
    runner.run("release.yml")
    repo = "NbAiLab/nb-llama-3.2-1B"
    edited = _hand_edit(project, repo, "\nA note.\n", "Add a note")
    runner.run("nightly-sync.yml", inputs={"dry-run": "false"}, extra_env={"GH_FAKE_PR": "5"})
    calls = [c[:3] for c in runner.gh_calls() if c[0] == "pr" and c[1] != "list"]
    assert calls == [["pr", "edit", "5"]]
    assert project.readme(repo) == edited  # proposed, never published over the hand edit


def test_nightly_sync_in_sync_opens_no_issue(runner: Runner, project: Project) -> None:
    runner.run("release.yml")
    runner.run("nightly-sync.yml", inputs={"dry-run": "false"})
    assert (runner.folder / "reports/sync.status").read_text().strip() == "0"
    assert runner.gh_calls() == []
