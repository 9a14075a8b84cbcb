"""A release through injected faults: transient ones are retried, lasting ones leave a re-run."""

from __future__ import annotations

from pipeline.localhub import FaultConfig
from tests.integration.support import REPOS, Project


def test_transient_faults_on_reads_and_commits_are_retried(project: Project) -> None:
    project.hub.set_faults(FaultConfig(fault_rate=1.0, route="resolve", first_n=1, kinds=("503",)))
    plan = project.run("plan")
    assert plan.status == 2, plan.err

    project.hub.set_faults(FaultConfig(fault_rate=1.0, route="commit", first_n=1, kinds=("500",)))
    result = project.run("release", "--yes")
    assert result.status == 0, result.out + result.err
    assert "4 published" in result.out
    assert project.hub.counters.faults()  # the faults did happen
    project.hub.set_faults(None)
    assert project.run("plan").status == 0


def test_a_lasting_fault_fails_part_way_and_a_rerun_converges(project: Project) -> None:
    # Every commit fails: nothing lands, each repo is reported failed, exit 3 (partly done).
    project.hub.set_faults(FaultConfig(fault_rate=1.0, route="commit", kinds=("503",)))
    # --max-wait 2: each commit is tried again for 2 s, not up to the default 60, before it fails.
    result = project.run("release", "--yes", "--max-wait", "2")
    assert result.status == 3, result.out + result.err
    assert "4 failed" in result.out
    assert "HTTP 503" in result.out
    assert all(project.readme(r) is None for r in REPOS)

    project.hub.set_faults(None)
    again = project.run("release", "--yes")
    assert again.status == 0, again.err
    assert "4 published" in again.out
    assert project.run("plan").status == 0
