"""The compliance rules read the repos' file names from the one namespace listing: checking
them costs no request per repo, and a file added on the Hub is seen by the next plan."""

from __future__ import annotations

import json
import math

from huggingface_hub import CommitOperationAdd

from tests.integration.support import REPOS, Project


def _findings(project: Project, *flags: str) -> list[tuple[str, str]]:
    run = project.run("plan", "--format", "json", *flags)
    assert run.status in (0, 2), run.err
    return [(f["repo_id"], f["rule"]) for f in json.loads(run.out)["rules"]]


def test_the_rules_cost_no_request_beyond_the_listing(project: Project) -> None:
    assert project.run("release", "--yes").status == 0
    assert project.run("plan").status == 0  # fills the cache
    project.hub.counters.reset()
    findings = _findings(project)
    total = project.hub.counters.total()
    assert total <= math.ceil(len(REPOS) / 1000) + 1, project.hub.counters.snapshot()
    assert project.hub.counters.get("list_models") == 1
    assert [r for r, rule in findings if rule == "license-file"] == list(REPOS)


def test_a_license_added_on_the_hub_is_read_from_the_listing(project: Project) -> None:
    assert project.run("release", "--yes").status == 0
    repo = REPOS[0]
    project.api.create_commit(
        repo,
        [CommitOperationAdd("LICENSE", b"LLAMA 3.1 COMMUNITY LICENSE AGREEMENT\n")],
        commit_message="Add the licence",
    )
    project.hub.counters.reset()
    findings = _findings(project, "--no-cache")
    assert (repo, "license-file") not in findings
    assert [r for r, rule in findings if rule == "license-file"] == list(REPOS[1:])
    # --no-cache reads every card; the rules add only the listing to that.
    assert project.hub.counters.get("list_models") == 1
    assert project.hub.counters.get("model_info") == 0
