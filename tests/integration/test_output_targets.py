"""plan's and preview's output files against the local Hub: a saved plan, --report-md,
--report-json and the preview page go in place into a FIFO, a pipe behind a /dev/stdout-like link
or a device, and a path that cannot be written is a located error with exit 1, never a traceback.

/dev/full is reached through a link in the test's folder, so a writer that renames over its
target replaces the link, never the machine's device.
"""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

from tests.fifo_reader import FifoReader
from tests.integration.support import REPOS, Project, Run


def _error(result: Run) -> tuple[int, str]:
    """The exit status and the error lines, without the progress lines before them."""
    assert "Traceback" not in result.err and "Exception" not in result.err
    lines = result.err.splitlines(keepends=True)
    return result.status, "".join(x for x in lines if x.startswith(("error:", "hint:")))


def test_plan_and_reports_go_in_place_into_a_fifo_and_a_pipe(project: Project) -> None:
    plan_fifo = project.folder / "plan.fifo"
    json_fifo = project.folder / "report.fifo"
    os.mkfifo(plan_fifo)
    os.mkfifo(json_fifo)
    readers = [FifoReader(plan_fifo), FifoReader(json_fifo)]
    for reader in readers:
        reader.start()
    read_end, write_end = os.pipe()
    pipe = FifoReader(read_end)  # the terminal or the next command of a pipeline
    pipe.start()
    stdout = project.folder / "stdout"
    stdout.symlink_to(f"/proc/self/fd/{write_end}")  # as /dev/stdout -> /proc/self/fd/1
    try:
        result = project.run(
            "plan",
            "--out",
            str(plan_fifo),
            "--report-json",
            str(json_fifo),
            "--report-md",
            str(stdout),
        )
    finally:
        os.close(write_end)
    markdown = pipe.finish().decode()
    plan, report = (json.loads(reader.finish() or b"null") for reader in readers)
    assert result.status == 2, result.err  # every card is new: changes pending
    assert plan["kind"] == "nb-release.plan"
    assert len(report["entries"]) == len(REPOS)
    assert "nb-release plan" in markdown
    assert stat.S_ISFIFO(plan_fifo.lstat().st_mode) and stat.S_ISFIFO(json_fifo.lstat().st_mode)
    assert stdout.is_symlink()


def test_a_plan_or_page_to_a_fifo_in_html(project: Project) -> None:
    fifo = project.folder / "page.fifo"
    os.mkfifo(fifo)
    reader = FifoReader(fifo)
    reader.start()
    result = project.run("plan", "--format", "html", "--out", str(fifo))
    assert result.status == 2, result.err
    assert reader.finish().startswith(b"<!DOCTYPE html>")
    assert stat.S_ISFIFO(fifo.lstat().st_mode)


def test_a_full_device_is_a_located_error(project: Project) -> None:
    full = project.folder / "full"
    full.symlink_to("/dev/full")
    for option in ("--out", "--report-md", "--report-json"):
        result = project.run("plan", option, str(full))
        assert _error(result) == (
            1,
            f"error: cannot write {full}: No space left on device\n",
        ), option
        assert full.is_symlink() and os.readlink(full) == "/dev/full"


def test_a_report_into_a_missing_folder_is_a_located_error(project: Project) -> None:
    result = project.run("plan", "--report-md", "reports/plan.md")
    assert _error(result) == (
        1,
        "error: cannot write reports/plan.md: the folder reports does not exist\n"
        "hint: create reports first, or choose another path\n",
    )
    assert not Path(project.folder / "reports").exists()


def test_preview_into_a_device_is_a_located_error(project: Project) -> None:
    full = project.folder / "full"
    full.symlink_to("/dev/full")
    result = project.run("preview", "--out", str(full))
    assert _error(result) == (1, f"error: cannot write {full}: it is not a folder\n")
    assert full.is_symlink()
