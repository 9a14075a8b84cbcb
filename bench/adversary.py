"""`make reliability`, the adversary's sections: what an outside attacker tried
(docs/reliability.md, "The adversary's sections").

Each section drives the CLI in subprocesses, as a user or a CI job does, against a `hub serve`
subprocess on loopback, and judges what reaches the user, the files and the Hub:

- outputs: output targets that are not regular files (stdout, a FIFO, /dev/full, a symlink
  inside `--out`) and targets that cannot be written.
- lies: a Hub that lies on the wire: no `X-Repo-Commit`, a commit answer naming the parent, an
  HTML answer to a commit that landed, a listing that lags, a README trickled or never ending,
  listings of the wrong shape, a next page that is the same page, a far-off `Retry-After`.
- crosshost: a next-page link to another origin must never carry the token there.
- symlinks: templates that are symlinks out of the project, a FIFO manifest, a huge template,
  `apply /dev/zero`.
- control: Hub text (commit titles, card lines) holding workflow commands (`::error::`), escape
  sequences and Markdown breakouts, through every command that prints it.
"""

from __future__ import annotations

import os
import re
import select
import shutil
import stat
import subprocess
import threading
import time
from pathlib import Path
from typing import Any

from bench.drive import (
    CLI,
    HubProcess,
    Run,
    api,
    clean_env,
    make_project,
    run_cli,
)
from bench.harness import SINGLE, SINGLE_REPO, Section, Settings

# Control characters a terminal or a CI log acts on: C0 but tab and newline, DEL, C1.
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\x80-\x9f]")
HANG_S = 20  # a run past this is a hang


def _hub_args(hub: HubProcess) -> list[str]:
    return ["--hub", hub.url, "--hub-root", str(hub.root)]


def _tb(run: Run) -> bool:
    return "Traceback" in run.text


def _in_sync(tmp: Path, name: str, hub: HubProcess, env: dict[str, str], s: Settings) -> Path:
    """A one-repo project released to `hub`: a plan of it exits 0."""
    project = make_project(tmp / name, SINGLE.format(cutoff="May 2024"))
    run = run_cli(["release", "--yes", *_hub_args(hub)], project, env, timeout=s.timeout)
    if run.status != 0:
        raise RuntimeError(f"the set-up release failed: {run.text[-600:]}")
    return project


# --- outputs ----------------------------------------------------------------------------------


class _FifoReader:
    """Reads a FIFO in a thread while a command writes it; never blocks the harness."""

    def __init__(self, path: Path) -> None:
        os.mkfifo(path)
        self.path = path
        self.data = b""
        self.read_fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
        # Our own writer end keeps the FIFO open, so a reader sees no end before we stop.
        self.keep_fd = os.open(path, os.O_WRONLY)
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._pump, daemon=True)
        self.thread.start()

    def _pump(self) -> None:
        while not self.stop.is_set():
            ready, _, _ = select.select([self.read_fd], [], [], 0.1)
            if ready:
                try:
                    chunk = os.read(self.read_fd, 65536)
                except BlockingIOError:
                    continue
                self.data += chunk

    def close(self) -> bytes:
        time.sleep(0.2)
        self.stop.set()
        self.thread.join()
        os.close(self.keep_fd)
        os.close(self.read_fd)
        return self.data


def _run_with_stdout(argv: list[str], cwd: Path, env: dict[str, str], stdout: str) -> Run:
    """`nb-release ARGV` with its stdout opened on `stdout` (a path such as /dev/full)."""
    start = time.perf_counter()
    with open(stdout, "wb") as out:
        proc = subprocess.run(
            [*CLI, *argv],
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.PIPE,
            text=True,
            timeout=HANG_S * 3,
        )
    return Run(argv, proc.returncode, "", proc.stderr, time.perf_counter() - start)


def outputs(tmp: Path, s: Settings) -> Section:
    section = Section("outputs")
    env = clean_env(tmp)
    cases: list[dict[str, Any]] = []

    def add(name: str, run: Run, kind: str, **judged: Any) -> None:
        cases.append(
            {
                "case": name,
                "kind": kind,
                "status": run.status,
                "traceback": _tb(run),
                "stderr": run.err[-300:],
                **judged,
            }
        )

    with HubProcess(tmp / "hub", env) as hub:
        project = _in_sync(tmp, "project", hub, env, s)
        hub_args = _hub_args(hub)

        # Streams: the output must reach them, and they must stay what they are.
        for flag in ("--out", "--report-md", "--report-json"):
            link = project / f"stdout{flag}"
            link.symlink_to("/proc/self/fd/1")
            # The text report on stdout holds neither marker: only the file written there does.
            run = run_cli(["plan", *hub_args, flag, link.name], project, env, timeout=HANG_S * 3)
            marker = "## nb-release plan" if flag == "--report-md" else '"entries"'
            add(
                f"plan {flag} LINK (-> /proc/self/fd/1, the command's stdout)",
                run,
                "stream",
                intact=link.is_symlink(),
                delivered=marker in run.out,
            )
        fifo = project / "report.fifo"
        reader = _FifoReader(fifo)
        run = run_cli(["plan", *hub_args, "--report-json", fifo.name], project, env, HANG_S * 3)
        data = reader.close()
        add(
            "plan --report-json FIFO",
            run,
            "stream",
            intact=stat.S_ISFIFO(os.lstat(fifo).st_mode),
            delivered=data.lstrip().startswith(b"{"),
        )

        # Targets that cannot take the output: exit 1, a located error, the target as it was.
        full = project / "full"
        full.symlink_to("/dev/full")
        run = run_cli(["plan", *hub_args, "--out", full.name], project, env, HANG_S * 3)
        add(
            "plan --out LINK (-> /dev/full)",
            run,
            "unwritable",
            intact=full.is_symlink() and stat.S_ISCHR(os.stat("/dev/full").st_mode),
        )
        run = _run_with_stdout(["plan", *hub_args], project, env, "/dev/full")
        add("plan > /dev/full", run, "unwritable", intact=True)
        page = project / "page"
        page.mkdir()
        (page / "index.html").symlink_to("/dev/full")
        run = run_cli(["preview", *hub_args, "--out", "page"], project, env, HANG_S * 3)
        add(
            "preview --out DIR (DIR/index.html -> /dev/full)",
            run,
            "unwritable",
            intact=(page / "index.html").is_symlink(),
        )
        plain = project / "a-file"
        plain.write_text("keep me\n", encoding="utf-8")
        run = run_cli(["render", "--out", plain.name], project, env, HANG_S)
        add("render --out FILE (a regular file)", run, "unwritable", intact=plain.is_file())
        run = run_cli(["render", "--out", "/sys/nb-release-x"], project, env, HANG_S)
        add("render --out /sys/x", run, "unwritable", intact=True)
        run = run_cli(
            ["plan", *hub_args, "--report-md", "no/such/folder/plan.md"], project, env, HANG_S * 3
        )
        add(
            "plan --report-md into a missing folder",
            run,
            "unwritable",
            intact=run.status == 1 or (project / "no/such/folder/plan.md").is_file(),
        )

        # A symlinked folder inside --out must not be followed.
        elsewhere = tmp / "elsewhere"
        elsewhere.mkdir()
        out = project / "out"
        out.mkdir()
        (out / "NbAiLab").symlink_to(elsewhere, target_is_directory=True)
        run = run_cli(["render", "--out", "out"], project, env, HANG_S)
        outside = sum(1 for p in elsewhere.rglob("*") if p.is_file())
        add("render --out DIR (DIR/NbAiLab -> a folder outside)", run, "symlink", outside=outside)

    section.detail = {"cases": cases}
    streams = [c for c in cases if c["kind"] == "stream"]
    unwritable = [c for c in cases if c["kind"] in ("unwritable", "symlink")]
    section.row("output targets tried", len(cases))
    replaced = [c["case"] for c in cases if c.get("intact") is False]
    section.row(
        "links, FIFOs and devices replaced by a regular file", len(replaced), "0", not replaced
    )
    delivered = sum(bool(c.get("delivered")) and c["status"] == 0 for c in streams)
    section.row(
        "stdout and FIFO targets that received the output",
        f"{delivered}/{len(streams)}",
        "all",
        delivered == len(streams),
    )
    refused = sum(c["status"] == 1 and not c["traceback"] for c in unwritable)
    section.row(
        "unwritable targets: exit 1 with a located error",
        f"{refused}/{len(unwritable)}",
        "all",
        refused == len(unwritable),
    )
    outside = sum(int(c.get("outside", 0)) for c in cases)
    section.row("files written outside --out through a symlink", outside, "0", outside == 0)
    tracebacks = sum(c["traceback"] for c in cases)
    section.row("tracebacks", tracebacks, "0", tracebacks == 0)
    return section


# --- symlinks and unbounded local reads ---------------------------------------------------------


def symlinks(tmp: Path, s: Settings) -> Section:
    section = Section("symlinks")
    sentinel = "hf_" + os.urandom(17).hex()
    hub_root = tmp / "hub"
    hub_root.mkdir(parents=True)
    (hub_root / "tokens").write_text(f"{sentinel} sentinel-user\n", encoding="utf-8")
    os.chmod(hub_root / "tokens", 0o600)
    env = clean_env(tmp, HF_TOKEN=sentinel)
    secret_file = tmp / "outside-secret.txt"
    secret_file.write_text(f"SECRET={sentinel}\n", encoding="utf-8")
    include = '\n{% include "leak.md.j2" %}\n'

    def leak_to(target: str) -> Any:
        def make(project: Path) -> None:
            (project / "cards" / "leak.md.j2").symlink_to(target)
            layout = project / "cards" / "_layout.md.j2"
            layout.write_text(layout.read_text(encoding="utf-8") + include, encoding="utf-8")

        return make

    def huge(project: Path) -> None:
        with open(project / "cards" / "leak.md.j2", "wb") as handle:
            handle.truncate(4 * 1024**3)  # sparse: no disk, but 4 GB to read
        layout = project / "cards" / "_layout.md.j2"
        layout.write_text(layout.read_text(encoding="utf-8") + include, encoding="utf-8")

    def fifo_manifest(project: Path) -> None:
        (project / "models.toml").unlink()
        os.mkfifo(project / "models.toml")

    cases: dict[str, Any] = {
        "cards/leak.md.j2 -> /proc/self/environ": leak_to("/proc/self/environ"),
        "cards/leak.md.j2 -> a file outside the project": leak_to(str(secret_file)),
        "cards/leak.md.j2: a 4 GB sparse file": huge,
        "models.toml: a FIFO with no writer": fifo_manifest,
    }
    results: list[dict[str, Any]] = []
    with HubProcess(hub_root, clean_env(tmp / "serve")) as hub:
        api(hub, sentinel).create_repo(SINGLE_REPO, exist_ok=True)
        for index, (name, make) in enumerate(cases.items()):
            project = make_project(tmp / f"case-{index}", SINGLE.format(cutoff="May 2024"))
            make(project)
            for argv in (
                ["validate"],
                ["render", "--out", "build/cards"],
                ["release", "--yes", *_hub_args(hub)],
            ):
                before = hub.counters()["writes"]
                run = run_cli(argv, project, env, timeout=HANG_S)
                written = sum(
                    p.read_bytes().count(sentinel.encode())
                    for p in (project / "build").rglob("*")
                    if p.is_file()
                )
                results.append(
                    {
                        "case": name,
                        "command": argv[0],
                        "status": run.status,
                        "hang": run.status == -9,
                        "traceback": _tb(run),
                        "leaks": run.text.count(sentinel) + written,
                        "writes": hub.counters()["writes"] - before,
                        "seconds": round(run.seconds, 2),
                        "stderr": run.err[-300:],
                    }
                )
            shutil.rmtree(project, ignore_errors=True)
        # `apply` of an endless plan file.
        project = make_project(tmp / "apply", SINGLE.format(cutoff="May 2024"))
        run = run_cli(["apply", "/dev/zero", *_hub_args(hub)], project, env, timeout=HANG_S)
        results.append(
            {
                "case": "apply /dev/zero",
                "command": "apply",
                "status": run.status,
                "hang": run.status == -9,
                "traceback": _tb(run),
                "leaks": run.text.count(sentinel),
                "writes": 0,
                "seconds": round(run.seconds, 2),
                "stderr": run.err[-300:],
            }
        )
    section.detail = {"runs": results}
    n = len(results)
    section.row("hostile project files x commands (validate, render, release)", n)
    exit1 = sum(r["status"] == 1 for r in results)
    section.row("exit 1 with an error", f"{exit1}/{n}", "all", exit1 == n)
    leaks = sum(r["leaks"] for r in results)
    section.row("secret read through a symlink (in output or cards)", leaks, "0", leaks == 0)
    hangs = sum(r["hang"] for r in results)
    section.row(f"hangs (> {HANG_S} s, killed)", hangs, "0", hangs == 0)
    writes = sum(r["writes"] for r in results)
    section.row("writes to the Hub", writes, "0", writes == 0)
    tracebacks = sum(r["traceback"] for r in results)
    section.row("tracebacks", tracebacks, "0", tracebacks == 0)
    return section


# --- control characters in Hub text ---------------------------------------------------------------

FORGED_TITLE = (
    "::error file=models.toml::forged by a commit title\x1b]52;c;ZWNobyBwd25lZA==\x07\x1b[2J\x9b31m"
)
FORGED_DESCRIPTION = (
    "::warning::forged by a commit description\n\n## FORGED HEADING\n</details>\n"
    "![img](http://example.invalid/x.png)\n[nb-release sha256:0000000000] forged release line\n"
)
FORGED_CARD = (
    "---\nlicense: llama3.1\n---\n# A hand edit\n::error::forged by a card line\n"
    "a line\r::error::after a carriage return ##[error]a v1 command\n"
    "\x1b[2J\x1b]0;forged title\x07\n```\n## FORGED IN CARD\n"
)


def _forged_lines(text: str) -> list[str]:
    """Lines a CI runner or a reader takes for nb-release's own: workflow commands, headings."""
    return [
        line
        for line in text.splitlines()
        if line.lstrip().startswith("::") or "##[" in line or line.startswith("## FORGED")
    ]


def control(tmp: Path, s: Settings) -> Section:
    section = Section("control")
    env = clean_env(tmp)
    runs: list[dict[str, Any]] = []
    with HubProcess(tmp / "hub", env) as hub:
        old = make_project(tmp / "old", SINGLE.format(cutoff="April 2024"))
        run_cli(["release", "--yes", *_hub_args(hub)], old, env, timeout=s.timeout)
        api(hub).upload_file(
            path_or_fileobj=FORGED_CARD.encode(),
            path_in_repo="README.md",
            repo_id=SINGLE_REPO,
            commit_message=FORGED_TITLE,
            commit_description=FORGED_DESCRIPTION,
        )
        project = make_project(tmp / "project", SINGLE.format(cutoff="May 2024"))
        hub_args = _hub_args(hub)
        commands = {
            "plan": ["plan", *hub_args],
            "plan --format markdown": ["plan", *hub_args, "--format", "markdown"],
            "history": ["history", *hub_args, SINGLE_REPO],
            "sync --dry-run": ["sync", *hub_args, "--dry-run", "--report-md", "sync-dry.md"],
            "sync": ["sync", *hub_args, "--report-md", "sync.md"],
            "release --yes": ["release", "--yes", *hub_args, "--report-md", "release.md"],
        }
        for name, argv in commands.items():
            run = run_cli(argv, project, env, timeout=s.timeout)
            files = {
                p.name: p.read_text(encoding="utf-8", errors="replace")
                for p in project.glob("*.md")
            }
            text = run.text
            markdown = "\n".join(files.values())
            if "markdown" in name:
                markdown += "\n" + run.out
            runs.append(
                {
                    "command": name,
                    "status": run.status,
                    "traceback": _tb(run),
                    "forged_lines": _forged_lines(text),
                    "control": len(CONTROL.findall(text)),
                    "markdown_forged": _forged_lines(markdown),
                    "details_balance": markdown.count("<details") - markdown.count("</details>"),
                    "output": run.text[-1500:],
                }
            )
            for path in project.glob("*.md"):
                path.unlink()
    section.detail = {"runs": runs}
    section.row("commands printing hostile Hub text", len(runs))
    forged = sum(len(r["forged_lines"]) for r in runs)
    section.row(
        "output lines starting with `::` (a workflow command) or a forged heading",
        forged,
        "0",
        forged == 0,
    )
    control_chars = sum(r["control"] for r in runs)
    section.row(
        "control characters reaching stdout/stderr (ESC, BEL, C1)",
        control_chars,
        "0",
        control_chars == 0,
    )
    breakouts = sum(len(r["markdown_forged"]) + abs(r["details_balance"]) for r in runs)
    section.row(
        "Markdown breakouts (forged heading or line, unbalanced </details>)",
        breakouts,
        "0",
        breakouts == 0,
    )
    tracebacks = sum(r["traceback"] for r in runs)
    section.row("tracebacks", tracebacks, "0", tracebacks == 0)
    return section


# --- a lying Hub ----------------------------------------------------------------------------------

MEMORY_CAP = 2 * 1024**3  # the address space of a run fed an endless answer


def _hand_edit(hub: HubProcess, text: str = "---\nlicense: llama3.1\n---\n# A hand edit\n") -> str:
    api(hub).upload_file(
        path_or_fileobj=text.encode(),
        path_in_repo="README.md",
        repo_id=SINGLE_REPO,
        commit_message="Hand edit",
    )
    return text


def _live(hub: HubProcess) -> str | None:
    from bench.drive import live_cards

    return live_cards(hub, [SINGLE_REPO])[SINGLE_REPO]


def lies(tmp: Path, s: Settings) -> Section:
    section = Section("lies")
    results: list[dict[str, Any]] = []

    def case(name: str, expected: str, ok: bool, *runs: Run, **detail: Any) -> None:
        results.append(
            {
                "case": name,
                "expected": expected,
                "ok": ok,
                "statuses": [r.status for r in runs],
                "traceback": any(_tb(r) for r in runs),
                "seconds": [round(r.seconds, 1) for r in runs],
                "output": [r.text[-400:] for r in runs],
                **detail,
            }
        )

    def fresh(name: str) -> tuple[HubProcess, dict[str, str], Path]:
        env = clean_env(tmp / name)
        hub = HubProcess(tmp / name / "hub", env).start()
        old = make_project(tmp / name / "old", SINGLE.format(cutoff="April 2024"))
        new = make_project(tmp / name / "new", SINGLE.format(cutoff="May 2024"))
        run = run_cli(["release", "--yes", *_hub_args(hub)], old, env, timeout=s.timeout)
        if run.status != 0:
            hub.stop()
            raise RuntimeError(f"the set-up release failed: {run.text[-600:]}")
        return hub, env, new

    # 1. No X-Repo-Commit, and a hand edit between plan and apply.
    hub, env, new = fresh("no-head-header")
    try:
        hub.set_faults(drop_headers=["X-Repo-Commit"])
        plan = run_cli(["plan", "--out", "plan.json", *_hub_args(hub)], new, env, s.timeout)
        edit = _hand_edit(hub)
        applied = run_cli(["apply", "plan.json", *_hub_args(hub)], new, env, s.timeout)
        kept = _live(hub) == edit
        case(
            "README answers without X-Repo-Commit; a hand edit before apply",
            "the edit kept (apply: stale, exit 3)",
            kept and applied.status == 3,
            plan,
            applied,
        )
    finally:
        hub.stop()

    # 2. A commit answer naming the parent: nothing was committed.
    hub, env, new = fresh("commit-answer-parent")
    try:
        hub.set_faults(commit_answer="parent")
        lied = run_cli(["release", "--yes", *_hub_args(hub)], new, env, s.timeout)
        hub.set_faults()
        warm = run_cli(["plan", *_hub_args(hub)], new, env, s.timeout)
        case(
            "a commit answer naming the parent (nothing committed)",
            "release not exit 0; the next plan against an honest Hub: update pending (exit 2)",
            lied.status != 0 and warm.status == 2,
            lied,
            warm,
        )
    finally:
        hub.stop()

    # 3. A commit that landed, answered with an HTML page.
    hub, env, new = fresh("commit-answer-html")
    try:
        hub.set_faults(commit_answer="html")
        lied = run_cli(["release", "--yes", *_hub_args(hub)], new, env, s.timeout)
        hub.set_faults()
        again = run_cli(["plan", *_hub_args(hub)], new, env, s.timeout)
        case(
            "a commit that landed, answered 200 with HTML",
            "read back: published (exit 0); the next plan: nothing to publish",
            lied.status == 0 and again.status == 0,
            lied,
            again,
        )
    finally:
        hub.stop()

    # 1b. A colleague's hand edit that copies the trailers of nb-release's last commit.
    hub, env, new = fresh("copied-trailers")
    try:
        colleague = "hf_" + os.urandom(17).hex()
        with (hub.root / "tokens").open("a", encoding="utf-8") as tokens:
            tokens.write(f"{colleague} colleague\n")
        ours = api(hub).list_repo_commits(SINGLE_REPO)[0]
        trailers = (ours.message or "").strip().split("\n\n")[-1]
        edit = "---\nlicense: llama3.1\n---\n# A colleague's edit\n"
        api(hub, colleague).upload_file(
            path_or_fileobj=edit.encode(),
            path_in_repo="README.md",
            repo_id=SINGLE_REPO,
            commit_message="Update model card",
            commit_description=f"Looks like a release.\n\n{trailers}",
        )
        for no_cache in ([], ["--no-cache"]):
            synced = run_cli(["sync", *_hub_args(hub), *no_cache], new, env, s.timeout)
            kept = _live(hub) == edit
            case(
                "a colleague's commit carrying nb-release's trailers"
                + (" (--no-cache)" if no_cache else ""),
                "sync reads it as drift (exit 4) and keeps the edit",
                synced.status == 4 and kept,
                synced,
                trailers=trailers,
            )
    finally:
        hub.stop()

    # 4. A listing that lags behind the repo, and a hand edit.
    hub, env, new = fresh("frozen-listing")
    try:
        run_cli(["release", "--yes", *_hub_args(hub)], new, env, s.timeout)
        hub.set_faults(frozen_listing=True)
        run_cli(["plan", *_hub_args(hub)], new, env, s.timeout)  # the listing freezes here
        _hand_edit(hub)
        synced = run_cli(["sync", *_hub_args(hub)], new, env, s.timeout)
        edit_kept = _live(hub) != None and "A hand edit" in (_live(hub) or "")  # noqa: E711
        case(
            "a listing whose sha lags behind a hand edit",
            "sync finds the drift (exit 4) and keeps the edit",
            synced.status == 4 and edit_kept,
            synced,
        )
    finally:
        hub.stop()

    # 5-10: answers that never end, or end wrong.
    env = clean_env(tmp / "wire")
    with HubProcess(tmp / "wire" / "hub", env) as hub:
        project = _in_sync(tmp / "wire", "project", hub, env, s)
        fast = ["--timeout", "5", "--max-wait", "5", "--no-cache"]

        hub.set_faults(trickle_ms=2000)
        run = run_cli(
            ["plan", *_hub_args(hub), *fast], project, env, timeout=90, memory_cap=MEMORY_CAP
        )
        case(
            "a README trickled one byte every 2 s (plan --timeout 5 --max-wait 5)",
            "stops within 30 s with an error (exit 1 or 3)",
            run.status in (1, 3) and run.seconds < 30,
            run,
        )
        hub.set_faults(endless_body=True)
        run = run_cli(
            ["plan", *_hub_args(hub), *fast], project, env, timeout=90, memory_cap=MEMORY_CAP
        )
        case(
            "a README answer that never ends (2 GiB address space)",
            "a located error (exit 1 or 3), no MemoryError",
            run.status in (1, 3) and "MemoryError" not in run.text,
            run,
        )
        # `history` reads a listing (the repo's commits, JSON, paged): what these lie in.
        listing = ["history", *_hub_args(hub), *fast, SINGLE_REPO]
        for shape in ("html", "json"):
            hub.set_faults(wrong_shape=shape)
            run = run_cli(listing, project, env, timeout=90)
            case(
                f"answers of the wrong shape ({shape})",
                "a Hub error naming the request (exit 1)",
                run.status == 1,
                run,
            )
        hub.set_faults(next_link="self")
        hub.reset_counters()
        run = run_cli(listing, project, env, timeout=90)
        pages = sum(hub.counters()["requests"].get("list_commits", {}).values())
        case(
            "a listing whose next page is itself",
            "refused at the second page (exit 1)",
            run.status == 1 and pages <= 3,
            run,
            listing_requests=pages,
        )
        for label, fault in (
            ("Retry-After: 999999", {"retry_after": 999999}),
            ("Retry-After: a date in 2099", {"retry_after_date": "Thu, 01 Jan 2099 00:00:00 GMT"}),
        ):
            hub.set_faults(fault_rate=1.0, kinds=["429"], route="resolve", **fault)
            run = run_cli(["plan", *_hub_args(hub), *fast], project, env, timeout=90)
            dated = bool(re.search(r"\b20\d\d-\d\d-\d\d\b|more than a year", run.err))
            case(
                f"a far-off wait ({label})",
                "stops (exit 1 when reading, 3 when publishing), naming the date",
                run.status in (1, 3) and dated,
                run,
            )
        hub.set_faults()

    # 11. SIGTERM mid-publish: what landed is listed.
    env = clean_env(tmp / "sigterm")
    with HubProcess(tmp / "sigterm" / "hub", env) as hub:
        from bench.drive import PRODUCT

        project = make_project(tmp / "sigterm" / "project")
        repos = re.findall(r'^name = "([^"]+)"', (PRODUCT / "models.toml").read_text(), re.M)
        client = api(hub)
        for name in repos:
            client.create_repo(f"NbAiLab/{name}", exist_ok=True)
        hub.set_faults(latency_ms=150)
        log_out, log_err = tmp / "sigterm" / "out.log", tmp / "sigterm" / "err.log"
        with log_out.open("wb") as out_file, log_err.open("wb") as err_file:
            # Files, not pipes: a pipe nobody reads would stop the run at its first full buffer.
            proc = subprocess.Popen(
                [*CLI, "release", "--yes", "--jobs", "1", *_hub_args(hub)],
                cwd=project,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=out_file,
                stderr=err_file,
            )
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                if hub.counters()["requests"].get("commit", {}).get("POST", 0) >= 3:
                    break
                time.sleep(0.05)
            proc.terminate()
            proc.wait(timeout=60)
        out = log_out.read_text(encoding="utf-8", errors="replace")
        err = log_err.read_text(encoding="utf-8", errors="replace")
        hub.set_faults()
        landed = sum(
            1
            for name in repos
            for commit in client.list_repo_commits(f"NbAiLab/{name}")
            if commit.title in ("Create model card", "Update model card")
        )
        listed = len(re.findall(r"\bpublished\b", out + err, re.I)) if landed else 0
        run = Run(["release"], proc.returncode, out, err, 0.0)
        case(
            "SIGTERM mid-publish",
            "exit 130, what landed is listed",
            proc.returncode == 130 and landed > 0 and listed >= 1,
            run,
            landed=landed,
        )

    section.detail = {"cases": results}
    section.row("lying answers tried", len(results))
    for r in results:
        section.row(f"  {r['case']}", "as expected" if r["ok"] else "NOT", r["expected"], r["ok"])
    tracebacks = sum(r["traceback"] for r in results)
    section.row("tracebacks", tracebacks, "0", tracebacks == 0)
    return section


# --- links to another origin ----------------------------------------------------------------------


class _Recorder:
    """An HTTP server on another loopback port: records each request's path and Authorization."""

    def __init__(self) -> None:
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        seen: list[tuple[str, str]] = []
        self.seen = seen

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                seen.append((self.path, self.headers.get("Authorization") or ""))
                body = b"[]"
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def crosshost(tmp: Path, s: Settings) -> Section:
    section = Section("crosshost")
    recorder = _Recorder()
    results: list[dict[str, Any]] = []
    try:
        serve_env = clean_env(tmp / "serve")
        with HubProcess(tmp / "hub", serve_env) as hub:
            project = _in_sync(tmp, "project", hub, serve_env, s)
            token = hub.token
            sources = {
                "HF_TOKEN": (clean_env(tmp / "env", HF_TOKEN=token), ["--hub", hub.url]),
                "--hub-root token file": (clean_env(tmp / "file"), _hub_args(hub)),
            }
            hub.set_faults(next_link=f"{recorder.url}/api/models?cursor=next")
            for label, (env, hub_args) in sources.items():
                # `history` pages through the repo's commits (a plan of one repo reads no
                # listing; tests/integration/test_hostile_hub.py covers the plan's listing).
                for argv in (
                    ["history", *hub_args, "--no-cache", SINGLE_REPO],
                    ["history", *hub_args, SINGLE_REPO],
                ):
                    before = len(recorder.seen)
                    run = run_cli(argv, project, env, timeout=s.timeout)
                    got = recorder.seen[before:]
                    results.append(
                        {
                            "source": label,
                            "command": argv[0],
                            "status": run.status,
                            "traceback": _tb(run),
                            "requests_elsewhere": len(got),
                            "token_elsewhere": sum(token in auth for _, auth in got),
                            "output": run.text[-300:],
                        }
                    )
            hub.set_faults()
    finally:
        recorder.close()
    section.detail = {"runs": results}
    section.row("commands following a next link to another origin", len(results))
    leaked = sum(r["token_elsewhere"] for r in results)
    section.row("requests carrying the token to the other origin", leaked, "0", leaked == 0)
    elsewhere = sum(r["requests_elsewhere"] for r in results)
    section.row("requests of any kind to the other origin", elsewhere, "0", elsewhere == 0)
    refused = sum(r["status"] == 1 and not r["traceback"] for r in results)
    section.row(
        "refused with an error naming the link (exit 1)",
        f"{refused}/{len(results)}",
        "all",
        refused == len(results),
    )
    return section
