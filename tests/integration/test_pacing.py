"""Pacing against the local Hub: a quota already spent before the run is found by one request of
each kind (the probe), not by one request per parallel job."""

from __future__ import annotations

import time

import httpx2
import pytest

import pipeline.hub.client
from pipeline.hub._retry import before_request, route_class
from pipeline.localhub.quotas import Quota
from tests.integration.support import REPOS, Project

SCRATCH = "NbAiLab/scratch"
WINDOW_S = 6  # long enough for the run to reach its commits inside the spent window
LATENCY_S = 0.5  # a commit request's way to the Hub, which loopback lacks


def _send_commits_late(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each commit request reaches the Hub LATENCY_S after pacing let it go, as over a network:
    there, the requests of parallel jobs are all out before the first answer is back. On
    loopback the first 429 is back within a millisecond, and would pace the others by luck."""

    def paced_then_sent(path: str) -> None:
        before_request(path)
        if route_class(path) == "commit":
            time.sleep(LATENCY_S)

    monkeypatch.setattr(pipeline.hub.client, "before_request", paced_then_sent)


def _refused(project: Project, bucket: str) -> int:
    """Requests the Hub refused (429) for `bucket`, as GET /_admin/counters reports them."""
    counters = httpx2.get(f"{project.hub.url}/_admin/counters").json()
    refused: int = counters["quotas"][bucket]["refused"]
    return refused


def test_a_spent_commit_quota_is_found_by_one_commit_not_one_per_job(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A previous run used the window's commits up.
    project.hub.set_quotas([Quota("commits", len(REPOS), WINDOW_S)])
    project.api.create_repo(SCRATCH)
    for n in range(len(REPOS)):
        project.api.upload_file(
            path_or_fileobj=f"{n}\n".encode(), path_in_repo=f"f{n}.txt", repo_id=SCRATCH
        )
    assert project.hub.quota_use()["commits"]["remaining"] == 0
    _send_commits_late(monkeypatch)

    result = project.run("release", "--yes", "--jobs", "4", "--max-wait", "30")
    assert result.status == 0, result.out + result.err
    assert "4 published" in result.out
    # The first commit found the quota spent; the three others waited for the window's reset
    # instead of each running into a 429 of its own.
    refused = _refused(project, "commits")
    assert refused > 0, "the window reset before the run's commits went out: raise WINDOW_S"
    assert refused == 1
    assert [project.commits(r) for r in REPOS] == [2, 2, 2, 2]
