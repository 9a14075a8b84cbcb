"""`make reliability`: nb-release's promises measured as a black box, one table.

Drives the CLI in subprocesses against `nb-release hub serve` subprocesses on loopback:
faults (30% on every route), SIGKILLs of `release` and of the local Hub, concurrent releases and
hand edits between plan and apply, hostile manifests and templates, a sentinel token through every
command and token source, and a fuzzed local Hub. Prints one Markdown table and writes JSON to
bench/results/. It reports what the checked-out code does; it does not fail on a bad figure
(`--strict` makes it exit 1 when a target is missed).

Usage: python bench/reliability.py [--quick] [--only SECTION ...] [--strict]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import secrets
import shutil
import sqlite3
import string
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    # Run as a script: import the `bench` package from the repo root, not this folder.
    sys.path[0] = str(Path(__file__).resolve().parent.parent)

from bench import adversary, drive, fuzz, hostile
from bench.drive import (
    ROOT,
    HubProcess,
    api,
    clean_env,
    collection_writes,
    collections_check,
    duplicates,
    live_cards,
    make_project,
    release_commits,
    rendered,
    run_cli,
    start_cli,
    workdir,
)
from bench.harness import SINGLE, SINGLE_REPO, Section, Settings, settings

RESULTS = ROOT / "bench" / "results"
# Located: the error names the file (a missing key or a missing template has no line), and
# file:line where there is a line to name.
NAMES_FILE = re.compile(r"[\w./-]*\.(?:toml|j2|md|jinja)\b", re.IGNORECASE)
LOCATED = re.compile(r"[\w./ -]*\.(?:toml|j2|md|jinja)(?::\d+)", re.IGNORECASE)


def _release(project: Path, hub: HubProcess, env: dict[str, str], s: Settings, *extra: str) -> Any:
    argv = ["release", "--yes", "--hub", hub.url, "--hub-root", str(hub.root), *extra]
    return run_cli(argv, project, env, timeout=s.timeout)


def _setup(
    tmp: Path, name: str, manifest: str | None = None
) -> tuple[Path, dict[str, str], dict[str, str]]:
    env = clean_env(tmp / name)
    project = make_project(tmp / name / "project", manifest)
    return project, env, rendered(project, env)


def _create_repos(hub: HubProcess, repos: list[str]) -> None:
    client = api(hub)
    for repo in repos:
        client.create_repo(repo, exist_ok=True)


def _commit_writes(hub: HubProcess) -> int:
    return int(hub.counters()["requests"].get("commit", {}).get("POST", 0))


# --- faults ---------------------------------------------------------------------------------------


def faults(tmp: Path, s: Settings) -> Section:
    """30% faults on every route, one local Hub per seed: runs of `release --yes` to converge."""
    section = Section("faults")
    # allow_create: the release creates the repos too, so create_repo meets faults as well.
    text = (drive.PRODUCT / "models.toml").read_text(encoding="utf-8")
    text = text.replace("[defaults]\n", "[defaults]\nallow_create = true\n", 1)
    project, env, expected = _setup(tmp, "faults", text)
    repos = sorted(expected)

    def one(seed: int) -> dict[str, Any]:
        with HubProcess(tmp / f"faults-hub-{seed}", env) as hub:
            # slow_ms: the "slow" fault kind delays an answer; 300 ms keeps the run short.
            hub.set_faults(fault_rate=0.3, fault_seed=seed, slow_ms=300)
            statuses: list[int] = []
            exit1_after_writes = 0
            published_lines = 0
            tracebacks = 0
            while len(statuses) < s.max_runs:
                before = _commit_writes(hub)
                run = _release(project, hub, env, s)
                statuses.append(run.status)
                published_lines += len(re.findall(r"^\s*published\s", run.out, re.MULTILINE))
                tracebacks += "Traceback" in run.text
                if run.status == 1 and _commit_writes(hub) > before:
                    exit1_after_writes += 1
                if run.status == 0:
                    break
            hub.set_faults()
            live = live_cards(hub, repos)
            return {
                "seed": seed,
                "runs": len(statuses) if statuses[-1] == 0 else None,
                "statuses": statuses,
                "duplicates": duplicates(hub, repos),
                "cards_equal_render": sum(live[r] == expected[r] for r in repos),
                "repos": len(repos),
                "exit1_after_writes": exit1_after_writes,
                "faults": hub.counters()["faults"],
                "requests": hub.counters()["total"],
                "tracebacks": tracebacks,
                "collections": collections_check(hub, project),
            }

    with ThreadPoolExecutor(max_workers=s.jobs) as pool:
        results = list(pool.map(one, range(1, s.seeds + 1)))
    runs = [r["runs"] for r in results]
    converged = [r for r in runs if r is not None]
    section.detail = {"seeds": results, "fault_rate": 0.3, "max_runs": s.max_runs}
    section.row("seeds (30% faults on every route, 16 repos)", len(results))
    section.row(
        "seeds converged (exit 0)",
        f"{len(converged)}/{len(results)}",
        "all",
        len(converged) == len(results),
    )
    if converged:
        section.row(
            "runs to converge: max / mean",
            f"{max(converged)} / {sum(converged) / len(converged):.1f}",
            "max <= 3",
            max(converged) <= 3 and len(converged) == len(results),
        )
    dup = sum(r["duplicates"] for r in results)
    section.row("duplicate commits", dup, "0", dup == 0)
    equal = sum(r["cards_equal_render"] for r in results)
    total = sum(r["repos"] for r in results)
    section.row("final cards equal to `render`", f"{equal}/{total}", "all", equal == total)
    tb = sum(r["tracebacks"] for r in results)
    section.row("runs ending in a traceback", tb, "0", tb == 0)
    bad_exit = sum(r["exit1_after_writes"] for r in results)
    section.row("runs exiting 1 after a commit landed", bad_exit, "0", bad_exit == 0)
    _collection_rows(section, "", [r["collections"] for r in results])
    return section


def _collection_rows(section: Section, label: str, checks: list[dict[str, int]]) -> None:
    """The rows of the manifest's collections after the runs (drive.collections_check)."""
    equal = sum(c["equal"] for c in checks)
    wanted = sum(c["wanted"] for c in checks)
    section.row(
        f"{label}final collections equal to the manifest (items, order)",
        f"{equal}/{wanted}",
        "all",
        equal == wanted,
    )
    dup = sum(c["duplicate_items"] + c["duplicate_collections"] for c in checks)
    section.row(f"{label}duplicate collection items or collections", dup, "0", dup == 0)


# --- kills ----------------------------------------------------------------------------------------


def _integrity(hub_root: Path) -> list[str]:
    """SQLite's own checks of the local Hub's store (read-only connection)."""
    problems: list[str] = []
    uri = f"file:{hub_root / 'hub.sqlite3'}?mode=ro"
    with sqlite3.connect(uri, uri=True, timeout=30) as db:
        result = db.execute("PRAGMA integrity_check").fetchone()[0]
        if result != "ok":
            problems.append(f"integrity_check: {result}")
        problems += [f"foreign key: {row}" for row in db.execute("PRAGMA foreign_key_check")]
    return problems


def _readable(hub: HubProcess, repos: list[str]) -> list[str]:
    """Every repo answers model_info, its commit list and its README (or a clean 404)."""
    problems = []
    client = api(hub)
    for repo in repos:
        try:
            client.model_info(repo)
            client.list_repo_commits(repo)
            live_cards(hub, [repo])
        except Exception as error:  # the harness reports any failure, whatever its type
            problems.append(f"{repo}: {type(error).__name__}: {str(error)[:200]}")
    return problems


def _converge(project: Path, hub: HubProcess, env: dict[str, str], s: Settings) -> list[int]:
    statuses: list[int] = []
    while len(statuses) < s.max_runs:
        statuses.append(_release(project, hub, env, s).status)
        if statuses[-1] == 0:
            break
    return statuses


def kills(tmp: Path, s: Settings) -> Section:
    section = Section("kills")
    project, env, expected = _setup(tmp, "kills")
    repos = sorted(expected)
    latency = 30.0
    total_writes = len(repos)  # one commit per repo; the repos exist beforehand

    def release_kill(point: int) -> dict[str, Any]:
        # Spread over the commits: kill once the k-th commit request has reached the Hub
        # (k = 1..16), half the points at once (answer lost), half a latency later.
        k = 1 + (point * total_writes) // max(1, s.release_kills)
        late = point % 2 == 1
        with HubProcess(tmp / f"kill-release-{point}", env) as hub:
            _create_repos(hub, repos)
            hub.set_faults(latency_ms=latency)
            hub.reset_counters()
            log = tmp / f"kill-release-{point}.log"
            argv = ["release", "--yes", "--hub", hub.url, "--hub-root", str(hub.root)]
            proc = start_cli(argv, project, env, log)
            deadline = time.monotonic() + s.timeout
            killed_at = None
            while time.monotonic() < deadline and proc.poll() is None:
                writes = _commit_writes(hub)
                if writes >= k:
                    if late:
                        time.sleep(latency * 1.5 / 1000)
                    proc.kill()
                    killed_at = writes
                    break
                time.sleep(0.005)
            proc.wait()
            landed_before = sum(1 for r in repos if release_commits(hub, r))
            hub.set_faults()
            statuses = _converge(project, hub, env, s)
            live = live_cards(hub, repos)
            return {
                "point": point,
                "kill_after_commit_request": k,
                "late": late,
                "killed": killed_at is not None,
                "landed_before_rerun": landed_before,
                "reruns": len(statuses) if statuses[-1] == 0 else None,
                "statuses": statuses,
                "duplicates": duplicates(hub, repos),
                "cards_equal_render": sum(live[r] == expected[r] for r in repos),
                "integrity": _integrity(hub.root) + _readable(hub, repos),
            }

    def hub_kill(point: int) -> dict[str, Any]:
        k = 1 + (point * total_writes) // max(1, s.hub_kills)
        rng = random.Random(point)
        hub = HubProcess(tmp / f"kill-hub-{point}", env).start()
        try:
            _create_repos(hub, repos)
            hub.set_faults(latency_ms=latency, jitter_ms=latency)
            hub.reset_counters()
            argv = ["release", "--yes", "--hub", hub.url, "--hub-root", str(hub.root)]
            if s.dead_hub_wait is not None:
                argv += ["--max-wait", str(s.dead_hub_wait)]
            proc = start_cli(argv, project, env, tmp / f"kill-hub-{point}.log")
            deadline = time.monotonic() + s.timeout
            while time.monotonic() < deadline and proc.poll() is None:
                if _commit_writes(hub) >= k:
                    time.sleep(rng.uniform(0, 2 * latency) / 1000)
                    break
                time.sleep(0.003)
            hub.kill()
            try:
                status = proc.wait(timeout=s.timeout)
            except Exception:
                proc.kill()
                status = proc.wait()
            hub.start()  # the same root and port: the next run finds it where it was
            integrity = _integrity(hub.root) + _readable(hub, repos)
            statuses = _converge(project, hub, env, s)
            live = live_cards(hub, repos)
            return {
                "point": point,
                "kill_after_commit_request": k,
                "release_status_after_hub_died": status,
                "integrity": integrity,
                "reruns": len(statuses) if statuses[-1] == 0 else None,
                "statuses": statuses,
                "duplicates": duplicates(hub, repos),
                "cards_equal_render": sum(live[r] == expected[r] for r in repos),
            }
        finally:
            hub.stop()

    def collection_kill(point: int) -> dict[str, Any]:
        # After every commit, while the collection is written: kill once the k-th collection
        # write (its creation, then an item added per variant) has reached the Hub.
        k = 1 + (point * (total_writes + 1)) // max(1, s.collection_kills)
        with HubProcess(tmp / f"kill-collection-{point}", env) as hub:
            _create_repos(hub, repos)
            hub.set_faults(latency_ms=latency)
            hub.reset_counters()
            argv = ["release", "--yes", "--hub", hub.url, "--hub-root", str(hub.root)]
            proc = start_cli(argv, project, env, tmp / f"kill-collection-{point}.log")
            deadline = time.monotonic() + s.timeout
            killed_at = None
            while time.monotonic() < deadline and proc.poll() is None:
                writes = collection_writes(hub)
                if writes >= k:
                    proc.kill()
                    killed_at = writes
                    break
                time.sleep(0.005)
            proc.wait()
            commits_before = _commit_writes(hub)
            hub.set_faults()
            statuses = _converge(project, hub, env, s)
            live = live_cards(hub, repos)
            return {
                "point": point,
                "kill_after_collection_write": k,
                "killed": killed_at is not None,
                "commits_before_kill": commits_before,
                "reruns": len(statuses) if statuses[-1] == 0 else None,
                "statuses": statuses,
                "duplicates": duplicates(hub, repos),
                "cards_equal_render": sum(live[r] == expected[r] for r in repos),
                "integrity": _integrity(hub.root) + _readable(hub, repos),
                "collections": collections_check(hub, project),
            }

    with ThreadPoolExecutor(max_workers=s.jobs) as pool:
        releases = list(pool.map(release_kill, range(s.release_kills)))
        hubs = list(pool.map(hub_kill, range(s.hub_kills)))
        collection = list(pool.map(collection_kill, range(s.collection_kills)))
    section.detail = {
        "release_kills": releases,
        "hub_kills": hubs,
        "collection_kills": collection,
        "latency_ms": latency,
    }
    for label, results in (
        ("SIGKILL of `release`", releases),
        ("SIGKILL of the local Hub", hubs),
        ("SIGKILL of `release` between its commits and the collection", collection),
    ):
        reruns = [r["reruns"] for r in results]
        done = [r for r in reruns if r is not None]
        section.row(f"{label}: kill points", len(results))
        section.row(
            f"{label}: re-runs to converge (max)",
            max(done)
            if done and len(done) == len(results)
            else f"{len(done)}/{len(results)} converged",
            "<= 3",
            bool(done) and len(done) == len(results) and max(done) <= 3,
        )
        dup = sum(r["duplicates"] for r in results)
        section.row(f"{label}: duplicate commits", dup, "0", dup == 0)
        equal = sum(r["cards_equal_render"] for r in results)
        section.row(
            f"{label}: final cards equal to `render`",
            f"{equal}/{len(repos) * len(results)}",
            "all",
            equal == len(repos) * len(results),
        )
        broken = sum(len(r["integrity"]) for r in results)
        section.row(f"{label}: store integrity problems", broken, "0", broken == 0)
    _collection_rows(
        section, "SIGKILL of `release` at the collection: ", [r["collections"] for r in collection]
    )
    return section


# --- races ----------------------------------------------------------------------------------------


def _variants() -> list[str]:
    """Three versions of the manifest that render different cards for every repo."""
    text = (drive.PRODUCT / "models.toml").read_text(encoding="utf-8")
    cutoff = 'knowledge_cutoff = "May 2024"'
    assert cutoff in text, "models.toml changed: update bench/reliability.py's race versions"
    return [text.replace(cutoff, f'knowledge_cutoff = "{m} 2024"') for m in ("May", "June", "July")]


def races(tmp: Path, s: Settings) -> Section:
    section = Section("races")
    versions = _variants()
    setups = [_setup(tmp, f"race-v{i}", text) for i, text in enumerate(versions)]
    repos = sorted(setups[0][2])
    rounds = []
    for round_no in range(s.race_rounds):
        with HubProcess(tmp / f"race-hub-{round_no}", setups[0][1]) as hub:
            _create_repos(hub, repos)
            hub.set_faults(latency_ms=20, jitter_ms=20, fault_seed=round_no)
            # Three releases at once, each a subprocess of its own.
            with ThreadPoolExecutor(max_workers=3) as pool:
                futures = [
                    pool.submit(_release, project, hub, env, s) for project, env, _ in setups
                ]
                results = [f.result() for f in futures]
            hub.set_faults()
            claimed = sum(len(re.findall(r"^\s*published\s", r.out, re.MULTILINE)) for r in results)
            real = sum(len(release_commits(hub, repo)) for repo in repos)
            live = live_cards(hub, repos)
            renders = [setup[2] for setup in setups]
            mixed = sum(1 for r in repos if not any(live[r] == v[r] for v in renders))
            dup = duplicates(hub, repos)
            # Then the first version is released again: it must converge to its own render.
            statuses = _converge(setups[0][0], hub, setups[0][1], s)
            final = live_cards(hub, repos)
            rounds.append(
                {
                    "statuses": [r.status for r in results],
                    "published_lines": claimed,
                    "commits_landed": real,
                    "cards_not_any_version": mixed,
                    "duplicates": dup,
                    "rerun_statuses": statuses,
                    "final_equal_v0": sum(final[r] == renders[0][r] for r in repos),
                    "tracebacks": sum("Traceback" in r.text for r in results),
                }
            )
    edits = hand_edits(tmp, s)
    tampered = tampered_plans(tmp, s)
    section.detail = {"concurrent_rounds": rounds, "hand_edits": edits, "tampered": tampered}
    dup = sum(r["duplicates"] for r in rounds)
    section.row("3 concurrent releases: rounds", len(rounds))
    section.row("3 concurrent releases: duplicate commits", dup, "0", dup == 0)
    claimed = sum(r["published_lines"] for r in rounds)
    real = sum(r["commits_landed"] for r in rounds)
    section.row(
        "3 concurrent releases: 'published' lines / commits landed",
        f"{claimed} / {real}",
        "equal",
        claimed == real,
    )
    mixed = sum(r["cards_not_any_version"] for r in rounds)
    section.row("3 concurrent releases: cards matching no version", mixed, "0", mixed == 0)
    conv = all(r["rerun_statuses"][-1] == 0 and len(r["rerun_statuses"]) <= 3 for r in rounds)
    section.row("3 concurrent releases: a re-run converges within 3", conv, "yes", conv)
    lost = sum(e["lost"] for e in edits)
    outcomes = ", ".join(f"{e['action']} {'LOST' if e['lost'] else 'kept'}" for e in edits)
    section.row(
        "hand edits between plan and apply: lost",
        f"{lost} of {len(edits)} ({outcomes})",
        "0",
        lost == 0,
    )
    wrong = [e for e in edits if e["apply_status"] != 3]
    section.row(
        "hand edits: apply exit status",
        ", ".join(f"{e['action']}={e['apply_status']}" for e in edits),
        "3 (stale) each",
        not wrong,
    )
    taken = [t for t in tampered if t["status"] != 1 or t["writes"]]
    section.row(
        "tampered plan files applied (repo_id, content, action edited)",
        f"{len(taken)} of {len(tampered)}"
        + (f" ({', '.join(t['tamper'] for t in taken)})" if taken else ""),
        "0 (exit 1, nothing written)",
        not taken,
    )
    return section


def hand_edits(tmp: Path, s: Settings) -> list[dict[str, Any]]:
    """For each action: plan --out; a hand commit through HfApi; apply. Is the edit kept?"""
    repo = "NbAiLab/nb-llama-3.1-8B"
    found = []
    for action in ("update", "create", "create-repo"):
        folder = tmp / f"edit-{action}"
        env = clean_env(folder)
        old = make_project(folder / "old", SINGLE.format(cutoff="April 2024"))
        new = make_project(folder / "new", SINGLE.format(cutoff="May 2024"))
        with HubProcess(folder / "hub", env) as hub:
            client = api(hub)
            if action == "update":
                _release(old, hub, env, s)
            elif action == "create":
                client.create_repo(repo)
            hub_args = ["--hub", hub.url, "--hub-root", str(hub.root)]
            plan = run_cli(["plan", "--out", "plan.json", *hub_args], new, env)
            hand = f"---\nlicense: llama3.1\n---\n# Hand edit ({action})\n"
            client.create_repo(repo, exist_ok=True)
            edit = client.upload_file(
                path_or_fileobj=hand.encode(),
                path_in_repo="README.md",
                repo_id=repo,
                commit_message="Hand edit",
            )
            applied = run_cli(["apply", "plan.json", *hub_args], new, env)
            live = live_cards(hub, [repo])[repo]
            history = [c.commit_id for c in client.list_repo_commits(repo)]
            edit_id = edit.oid if hasattr(edit, "oid") else str(edit).rsplit("/", 1)[-1]
            kept = live == hand and any(
                edit_id.startswith(c) or c.startswith(edit_id) for c in history
            )
            found.append(
                {
                    "action": action,
                    "plan_status": plan.status,
                    "planned_action": _planned_action(new / "plan.json"),
                    "apply_status": applied.status,
                    "lost": not kept,
                    "apply_output": applied.text[-600:],
                }
            )
    return found


def tampered_plans(tmp: Path, s: Settings) -> list[dict[str, Any]]:
    """A saved plan edited before `apply` (docs/reliability.md, "races"): must be refused, nothing
    written."""
    folder = tmp / "tampered"
    env = clean_env(folder)
    old = make_project(folder / "old", SINGLE.format(cutoff="April 2024"))
    new = make_project(folder / "new", SINGLE.format(cutoff="May 2024"))
    tampers: dict[str, Callable[[dict[str, Any]], None]] = {
        "repo_id": lambda e: e.update(repo_id="NbAiLab/not-in-the-manifest"),
        "content": lambda e: e.update(content=str(e["content"]) + "\nInjected line.\n"),
        "action": lambda e: e.update(action="create-repo"),
        "repo_id+create-repo": lambda e: e.update(
            repo_id="NbAiLab/created-by-a-tampered-plan", action="create-repo", head_sha=None
        ),
    }
    found = []
    with HubProcess(folder / "hub", env) as hub:
        _release(old, hub, env, s)
        hub_args = ["--hub", hub.url, "--hub-root", str(hub.root)]
        run_cli(["plan", "--out", "plan.json", *hub_args], new, env)
        original = json.loads((new / "plan.json").read_text(encoding="utf-8"))
        for name, tamper in tampers.items():
            data = json.loads(json.dumps(original))
            for entry in data.get("entries", []):
                if entry.get("content"):
                    tamper(entry)
            (new / f"tampered-{name}.json").write_text(json.dumps(data), encoding="utf-8")
            before = hub.counters()["writes"]
            run = run_cli(["apply", f"tampered-{name}.json", *hub_args], new, env)
            found.append(
                {
                    "tamper": name,
                    "status": run.status,
                    "writes": hub.counters()["writes"] - before,
                    "output": run.text[-400:],
                }
            )
    return found


def _planned_action(path: Path) -> str | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    entries = data.get("entries") or data.get("changes") or []
    return ",".join(str(e.get("action") or e.get("state")) for e in entries if isinstance(e, dict))


# --- hostile input --------------------------------------------------------------------------------


def hostile_input(tmp: Path, s: Settings) -> Section:
    section = Section("hostile")
    marker_dir = tmp / "pwned"
    marker_dir.mkdir(parents=True)
    corpus = hostile.cases(marker_dir)
    if s.hostile_limit is not None:
        # The quick mode keeps a spread of the corpus, always with the cases marked `(row N)`
        # (see bench/hostile.py: the first failures found).
        rows = [c for c in corpus if "(row" in c[0]]
        corpus = (rows + corpus[:: max(1, len(corpus) // s.hostile_limit)])[: s.hostile_limit]
    env = clean_env(tmp / "hostile")
    results = []
    with HubProcess(tmp / "hostile-hub", env) as hub:
        _create_repos(
            hub,
            ["NbAiLab/nb-llama-3.1-8B", "NbAiLab/nb-llama-3.1-8B-Q4_K_M-GGUF"],
        )

        def one(index_case: tuple[int, hostile.Case]) -> dict[str, Any]:
            index, (name, files) = index_case
            project = tmp / "hostile" / f"case-{index}"
            make_project(project)
            for rel, data in files.items():
                path = project / rel
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(data)
            before = hub.counters()["writes"]
            argv = ["release", "--yes", "--hub", hub.url, "--hub-root", str(hub.root)]
            run = run_cli(argv, project, env, timeout=20)
            after = hub.counters()["writes"]
            pwned = (marker_dir / hostile.PWNED).exists()
            result = {
                "case": name,
                "status": run.status,
                "names_file": bool(NAMES_FILE.search(run.err)),
                "located": bool(LOCATED.search(run.err)),
                "traceback": "Traceback" in run.text,
                "writes": after - before,  # approximate if cases ran at once
                "hang": run.status == -9,
                "code_ran": pwned,
                "seconds": round(run.seconds, 2),
                "stderr": run.err[-400:],
            }
            if name in hostile.JUDGES:
                result["judge"] = hostile.JUDGES[name](run.status, run.out, run.err)
            if pwned:
                (marker_dir / hostile.PWNED).unlink()
            shutil.rmtree(project, ignore_errors=True)
            return result

        # One at a time: the write counter is global, and a case that writes must be caught.
        results = [one(item) for item in enumerate(corpus)]
    section.detail = {"cases": results}
    n = len(results)
    section.row("bad manifests and templates", n, ">= 100", n >= 100 or s.quick)
    exit1 = sum(r["status"] == 1 for r in results)
    section.row("exit 1", f"{exit1}/{n}", "all", exit1 == n)
    named = sum(r["names_file"] for r in results)
    section.row("error names the file", f"{named}/{n}", "all", named == n)
    located = sum(r["located"] for r in results)
    section.row("error names file:line", f"{located}/{n}", "where a line exists")
    judged = [r for r in results if "judge" in r]
    if judged:
        wrong = sum(bool(r["judge"]) for r in judged)
        section.row(
            "tests/hostile cases failing their own judge (expected text and place)",
            f"{wrong}/{len(judged)}",
            "0",
            wrong == 0,
        )
    tb = sum(r["traceback"] for r in results)
    section.row("tracebacks", tb, "0", tb == 0)
    hangs = sum(r["hang"] for r in results)
    section.row("hangs (> 20 s, killed)", hangs, "0", hangs == 0)
    writes = sum(r["writes"] for r in results)
    section.row(
        "writes to the Hub",
        f"{writes} (in {sum(r['writes'] > 0 for r in results)} cases)",
        "0",
        writes == 0,
    )
    ran = sum(r["code_ran"] for r in results)
    section.row("template code ran a shell command", ran, "0", ran == 0)
    return section


# --- secrets --------------------------------------------------------------------------------------


def _sentinel() -> str:
    alphabet = string.ascii_letters + string.digits
    return "hf_" + "".join(secrets.choice(alphabet) for _ in range(34))


def secrets_section(tmp: Path, s: Settings) -> Section:
    """A sentinel token through every command and token source; count where it shows up."""
    section = Section("secrets")
    token = _sentinel()
    base = tmp / "secrets"
    hub_root = base / "hub"
    hub_root.mkdir(parents=True)
    # The sentinel is the local Hub's first token, so `--hub-root` hands it out too.
    (hub_root / "tokens").write_text(f"{token} sentinel-user\n", encoding="utf-8")
    os.chmod(hub_root / "tokens", 0o600)
    outputs: list[tuple[str, str]] = []
    runs = 0
    with HubProcess(hub_root, clean_env(base)) as hub:
        bad = base / "bad-project"
        make_project(bad, hostile.manifest(models=[hostile._with(hostile.BASE, size='"big"')]))
        dead_url = "http://127.0.0.1:9"  # the discard port: nothing listens, the run fails
        sources: dict[str, Callable[[str], tuple[dict[str, str], list[str], str]]] = {}

        def env_source(url: str) -> tuple[dict[str, str], list[str], str]:
            return clean_env(base / "env", HF_TOKEN=token), ["--hub", url], url

        def store_source(url: str) -> tuple[dict[str, str], list[str], str]:
            env = clean_env(base / "store")
            Path(env["HF_HOME"]).mkdir(parents=True, exist_ok=True)
            (Path(env["HF_HOME"]) / "token").write_text(token, encoding="utf-8")
            return env, ["--hub", url], url

        def file_source(url: str) -> tuple[dict[str, str], list[str], str]:
            return clean_env(base / "file"), ["--hub", url, "--hub-root", str(hub_root)], url

        def url_source(url: str) -> tuple[dict[str, str], list[str], str]:
            with_token = url.replace("http://", f"http://user:{token}@")
            return clean_env(base / "url"), ["--hub", with_token], with_token

        def query_source(url: str) -> tuple[dict[str, str], list[str], str]:
            with_token = f"{url}/?token={token}"
            return clean_env(base / "query"), ["--hub", with_token], with_token

        sources = {
            "HF_TOKEN": env_source,
            "token store (HF_HOME/token)": store_source,
            "local Hub token file": file_source,
            "URL user:token@": url_source,
            "URL ?token=": query_source,
        }
        if s.quick:
            sources = {k: sources[k] for k in ("URL user:token@",)}
        per_source: dict[str, int] = {}
        api(hub).create_repo(SINGLE_REPO, exist_ok=True)
        known = set(
            re.findall(r"^ {4}(\w+) ", run_cli(["--help"], base, clean_env(base)).out, re.M)
        )
        for label, source in sources.items():
            folder = base / re.sub(r"\W+", "-", label)
            project = make_project(folder / "project", _race_free_manifest())
            hits_before = sum(text.count(token) for _, text in outputs)
            for url, kind in ((hub.url, "ok"), (dead_url, "hub down")):
                env, hub_args, _ = source(url)
                env["GITHUB_STEP_SUMMARY"] = str(folder / "step-summary.md")
                commands: list[tuple[list[str], Path]] = [
                    (["plan", *hub_args, "--out", f"plan-{kind}.json"], project),
                    (["release", "--yes", *hub_args], project),
                ]
                if kind == "ok":
                    commands = [
                        (["validate"], project),
                        (["render", "--out", "build/cards"], project),
                        *commands[:1],
                        (["apply", f"plan-{kind}.json", *hub_args], project),
                        (["plan", *hub_args, "--format", "json"], project),
                        (["plan", *hub_args, "--format", "markdown"], project),
                        *commands[1:],
                        (["release", "--yes", *hub_args], bad),
                    ]
                    # Commands of newer versions, where this one has them.
                    extra = {
                        "sync": ["sync", *hub_args, "--report-json", "sync-report.json"],
                        "history": ["history", *hub_args],
                        "preview": ["preview", *hub_args, "--out", "preview"],
                        "restore": ["restore", "--to", "FIRST", "--yes", *hub_args, SINGLE_REPO],
                    }
                    commands += [(argv, project) for name, argv in extra.items() if name in known]
                elif s.quick:
                    commands = commands[:1]  # an unreachable Hub costs the client's retries
                elif "sync" in known:
                    commands.append((["sync", *hub_args], project))
                for argv, cwd in commands:
                    if "FIRST" in argv:
                        oldest = release_commits(hub, SINGLE_REPO)
                        first = oldest[-1]["id"] if oldest else "0" * 40
                        argv = [first if a == "FIRST" else a for a in argv]
                    if kind == "ok" and argv[0] == "release" and cwd == project:
                        # A failing release too: every commit answered 503.
                        hub.set_faults(fault_rate=1.0, route="commit", kinds=["503"])
                        run = run_cli(argv, cwd, env, timeout=s.timeout)
                        runs += 1
                        outputs.append((f"{len(outputs)} {label} {kind} release(503)", run.text))
                        hub.set_faults()
                    run = run_cli(argv, cwd, env, timeout=s.timeout)
                    runs += 1
                    name = " ".join(a for a in argv if token not in a)
                    outputs.append(
                        (f"{len(outputs)} {label} {kind}: {name} -> {run.status}", run.text)
                    )
            per_source[label] = sum(text.count(token) for _, text in outputs) - hits_before
        hub_output = "".join(hub.output) + hub.log.read_text(encoding="utf-8", errors="replace")
    # Every file the runs and the Hub wrote, except the token stores themselves.
    skip = {hub_root / "tokens"}
    file_hits: dict[str, int] = {}
    for path in base.rglob("*"):
        if not path.is_file() or path in skip or path.name in ("token", "stored_tokens"):
            continue
        count = path.read_bytes().count(token.encode())
        if count:
            file_hits[str(path.relative_to(base))] = count
    output_hits = {name: text.count(token) for name, text in outputs if token in text}
    hub_hits = hub_output.count(token)
    total = sum(output_hits.values()) + sum(file_hits.values()) + hub_hits
    section.detail = {
        "runs": runs,
        "sources": list(sources),
        "per_source_output_hits": per_source,
        "commands": [name for name, _ in outputs],
        "output_hits": output_hits,
        "file_hits": file_hits,
        "hub_output_hits": hub_hits,
    }
    section.row("commands run (succeeding and failing)", runs)
    section.row("token sources", len(sources))
    section.row("sentinel in stdout/stderr", sum(output_hits.values()), "0", not output_hits)
    for label, hits in per_source.items():
        if hits:
            section.row(f"  from {label}", hits, "0", False)
    section.row(
        "sentinel in files (plans, reports, cards, step summary, Hub store and logs)",
        sum(file_hits.values()) + hub_hits,
        "0",
        not file_hits and not hub_hits,
    )
    section.row("total occurrences", total, "0", total == 0)
    return section


def _race_free_manifest() -> str:
    return SINGLE.format(cutoff="May 2024")


# --- fuzzing --------------------------------------------------------------------------------------


def fuzzing(tmp: Path, s: Settings) -> Section:
    section = Section("fuzz")
    env = clean_env(tmp / "fuzz")
    with HubProcess(tmp / "fuzz-hub", env) as hub:
        _create_repos(hub, ["NbAiLab/nb-llama-3.1-8B"])
        report = fuzz.run(hub.url, hub.token, s.fuzz_requests, seed=8)
        alive = hub.alive()
        healthy = alive and fuzz.healthy(hub.url, hub.token)
        log = hub.log.read_text(encoding="utf-8", errors="replace")
    section.detail = {**report, "alive": alive, "healthy": healthy, "hub_log_tail": log[-2000:]}
    section.row("generated requests", report["requests"], f">= {s.fuzz_requests}")
    section.row("5xx answers", report["5xx"], "0", report["5xx"] == 0)
    section.row(
        "connections dropped without an answer", report["no_answer"], "0", report["no_answer"] == 0
    )
    section.row("server alive and healthy after", healthy, "yes", healthy)
    tb = log.count("Traceback")
    section.row("tracebacks in the Hub's log", tb, "0", tb == 0)
    return section


# --- main -----------------------------------------------------------------------------------------

SECTIONS: dict[str, Callable[[Path, Settings], Section]] = {
    "faults": faults,
    "kills": kills,
    "races": races,
    "hostile": hostile_input,
    "secrets": secrets_section,
    "fuzz": fuzzing,
    "outputs": adversary.outputs,
    "symlinks": adversary.symlinks,
    "control": adversary.control,
    "lies": adversary.lies,
    "crosshost": adversary.crosshost,
}


def table(sections: list[Section]) -> str:
    lines = ["| area | check | measured | target | met |", "| --- | --- | --- | --- | --- |"]
    for section in sections:
        for row in section.rows:
            lines.append("| " + " | ".join(c.replace("|", "\\|") for c in row.cells()) + " |")
    return "\n".join(lines)


def git_describe() -> str:
    return drive.product_label()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small counts (for make test)")
    parser.add_argument("--only", action="append", choices=sorted(SECTIONS), default=[])
    parser.add_argument("--jobs", type=int, default=2, help="seeds/kill points run at once")
    parser.add_argument(
        "--out", type=Path, default=None, help="the JSON file (default: bench/results/)"
    )
    parser.add_argument("--keep", action="store_true", help="keep the temporary folders")
    parser.add_argument(
        "--product", type=Path, default=None, help="measure another checkout (default: this one)"
    )
    parser.add_argument("--strict", action="store_true", help="exit 1 if a target is missed")
    args = parser.parse_args(argv)
    if args.product is not None:
        drive.set_product(args.product)
    s = settings(args.quick, max(1, args.jobs))
    names = args.only or list(SECTIONS)
    sections: list[Section] = []
    started = time.perf_counter()
    with workdir("nb-reliability-", keep=args.keep) as tmp:
        for name in names:
            t0 = time.perf_counter()
            print(f"[reliability] {name} ...", file=sys.stderr, flush=True)
            try:
                section = SECTIONS[name](tmp / name, s)
            except Exception as error:  # a harness failure is reported, the other sections go on
                import traceback

                section = Section(name)
                section.row(
                    "the harness failed", f"{type(error).__name__}: {error}"[:300], "", False
                )
                section.detail = {"traceback": traceback.format_exc()}
                print(traceback.format_exc(), file=sys.stderr)
            section.seconds = time.perf_counter() - t0
            print(f"[reliability] {name}: {section.seconds:.0f} s", file=sys.stderr, flush=True)
            sections.append(section)
    markdown = table(sections)
    print(markdown)
    elapsed = time.perf_counter() - started
    print(
        f"\n{'quick' if s.quick else 'full'} run, commit {git_describe()}, {elapsed:.0f} s, "
        f"load average {os.getloadavg()[0]:.1f}"
    )
    result = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "commit": git_describe(),
        "quick": s.quick,
        "seconds": round(elapsed, 1),
        "table": markdown,
        "sections": {
            sec.name: {
                "seconds": round(sec.seconds, 1),
                "rows": [row.__dict__ for row in sec.rows],
                "detail": sec.detail,
            }
            for sec in sections
        },
    }
    out = args.out or RESULTS / f"reliability{'-quick' if s.quick else ''}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2, default=str) + "\n", encoding="utf-8")
    out.with_suffix(".md").write_text(markdown + "\n", encoding="utf-8")
    print(f"JSON: {out}", file=sys.stderr)
    missed = [row for sec in sections for row in sec.rows if row.ok is False]
    return 1 if args.strict and missed else 0


if __name__ == "__main__":
    sys.exit(main())
