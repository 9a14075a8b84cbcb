"""Black-box drivers shared by the reliability and bench harnesses.

Everything here talks to nb-release the way a user does: the CLI in a subprocess, and the local
Hub as a `nb-release hub serve` subprocess reached over HTTP (its admin routes for faults and
counters, huggingface_hub's HfApi for reads and hand edits). Nothing imports the product's
internals, so the figures describe whatever the CLI of the checked-out tree does.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
# The product under measurement: this tree, or another checkout (--product DIR, or the
# NB_PRODUCT_ROOT environment variable), e.g. `git archive main` unpacked in a temporary folder.
PRODUCT = Path(os.environ.get("NB_PRODUCT_ROOT") or ROOT).resolve()


def set_product(folder: Path) -> None:
    global PRODUCT
    PRODUCT = folder.resolve()
    os.environ["NB_PRODUCT_ROOT"] = str(PRODUCT)


def product_label() -> str:
    """The product's commit (git rev-parse), or its folder when it is not a checkout."""
    try:
        found = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=PRODUCT, capture_output=True, text=True
        )
    except OSError:
        return str(PRODUCT)
    label = found.stdout.strip() if found.returncode == 0 else ""
    stamp = PRODUCT / "PRODUCT_COMMIT"
    if not label and stamp.exists():
        label = stamp.read_text(encoding="utf-8").strip()
    return label or str(PRODUCT)


PYTHON = sys.executable
CLI = [PYTHON, "-m", "pipeline.cli.main"]
# The commit message trailer nb-release writes (publish.describe); one per manifest version.
FINGERPRINT = re.compile(r"Manifest-fingerprint:\s*(\S+)")
RELEASED_BY = "nb-release"


def clean_env(home: Path, **extra: str) -> dict[str, str]:
    """An environment with no token of the machine's user and a private HF_HOME."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HF_", "NB_RELEASE_"))}
    env.pop("GITHUB_STEP_SUMMARY", None)
    env["HF_HOME"] = str(home / "hf-home")
    env["HF_HUB_CACHE"] = str(home / "hf-cache")
    env["XDG_CACHE_HOME"] = str(home / "xdg-cache")
    env["HF_HUB_DISABLE_TELEMETRY"] = "1"
    env["PYTHONPATH"] = str(PRODUCT)
    env["COLUMNS"] = "200"
    env.update(extra)
    return env


@dataclass
class Run:
    argv: list[str]
    status: int
    out: str
    err: str
    seconds: float

    @property
    def text(self) -> str:
        return self.out + self.err


def run_cli(
    argv: Sequence[str],
    cwd: Path,
    env: Mapping[str, str],
    timeout: float = 300,
    memory_cap: int | None = None,
) -> Run:
    """Run `nb-release ARGV` in `cwd`; a run past `timeout` is killed and reported as status -9.
    `memory_cap` (bytes) caps its address space: an unbounded read is then a MemoryError."""

    def cap() -> None:
        import resource

        if memory_cap is not None:
            resource.setrlimit(resource.RLIMIT_AS, (memory_cap, memory_cap))

    start = time.perf_counter()
    proc = subprocess.Popen(
        [*CLI, *argv],
        cwd=cwd,
        env=dict(env),
        preexec_fn=cap if memory_cap is not None else None,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        encoding="utf-8",
        errors="replace",
    )
    try:
        out, err = proc.communicate(timeout=timeout)
        status = proc.returncode
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
        status = -9
        err += f"\n[harness: killed after {timeout:.0f} s]"
    return Run(list(argv), status, out, err, time.perf_counter() - start)


def start_cli(
    argv: Sequence[str], cwd: Path, env: Mapping[str, str], log: Path
) -> subprocess.Popen[bytes]:
    """Start `nb-release ARGV` in the background, stdout+stderr to `log`."""
    handle = log.open("wb")
    try:
        return subprocess.Popen(
            [*CLI, *argv],
            cwd=cwd,
            env=dict(env),
            stdin=subprocess.DEVNULL,
            stdout=handle,
            stderr=subprocess.STDOUT,
        )
    finally:
        handle.close()


# --- the local Hub as a subprocess ----------------------------------------------------------------


class HubProcess:
    """`nb-release hub serve --root ROOT` in a subprocess; restartable on the same port."""

    def __init__(self, root: Path, env: Mapping[str, str], extra: Sequence[str] = ()) -> None:
        self.root = root
        self.env = dict(env)
        self.extra = list(extra)
        self.port = 0
        self.url = ""
        self.proc: subprocess.Popen[str] | None = None
        self.log = root.parent / f"{root.name}-serve.log"
        self.output: list[str] = []

    def start(self, timeout: float = 30) -> HubProcess:
        self.root.mkdir(parents=True, exist_ok=True)
        argv = [*CLI, "hub", "serve", "--root", str(self.root), "--port", str(self.port)]
        log = self.log.open("a", encoding="utf-8")
        self.proc = subprocess.Popen(
            [*argv, *self.extra],
            env=self.env,
            cwd=self.root.parent,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=log,
            text=True,
        )
        log.close()
        deadline = time.monotonic() + timeout
        assert self.proc.stdout is not None
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline()
            if not line:
                raise RuntimeError(f"hub serve exited: {self.log.read_text(errors='replace')}")
            self.output.append(line)
            found = re.search(r"serving at (\S+)", line)
            if found:
                self.url = found.group(1)
                self.port = int(self.url.rsplit(":", 1)[1])
                # Drain the rest of its stdout so it never blocks on a full pipe.
                self._drain()
                return self
        raise RuntimeError("hub serve did not announce its URL")

    def _drain(self) -> None:
        import threading

        proc = self.proc
        assert proc is not None and proc.stdout is not None
        stream = proc.stdout

        def pump() -> None:
            for line in stream:
                self.output.append(line)

        threading.Thread(target=pump, daemon=True).start()

    @property
    def token(self) -> str:
        for line in (self.root / "tokens").read_text(encoding="utf-8").splitlines():
            if line.strip() and not line.lstrip().startswith("#"):
                return line.split()[0]
        raise RuntimeError("no token in the local Hub's token file")

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def kill(self) -> None:
        """SIGKILL: no clean shutdown, as a crash or an OOM kill."""
        if self.proc is not None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait()
            self.proc = None

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
            self.proc = None

    # --- admin routes ---------------------------------------------------------------------------

    def _admin(self, method: str, path: str, body: Any = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.url + path, data=data, method=method)
        request.add_header("Authorization", f"Bearer {self.token}")
        if data is not None:
            request.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return json.loads(response.read())
        except urllib.error.HTTPError as error:
            raise RuntimeError(f"{method} {path}: {error.code} {error.read()[:300]!r}") from None

    def counters(self) -> dict[str, Any]:
        result: dict[str, Any] = self._admin("GET", "/_admin/counters")
        return result

    def reset_counters(self) -> None:
        self._admin("POST", "/_admin/counters/reset", {})

    def set_faults(self, **config: Any) -> None:
        """POST /_admin/faults; no arguments turns latency and faults off."""
        self._admin("POST", "/_admin/faults", config)

    def __enter__(self) -> HubProcess:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def api(hub: HubProcess, token: str | None = None) -> Any:
    """huggingface_hub's HfApi on the local Hub (imported late: only the harness uses it)."""
    os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
    from huggingface_hub import HfApi

    return HfApi(endpoint=hub.url, token=token or hub.token)


# --- projects -------------------------------------------------------------------------------------


def make_project(folder: Path, manifest: str | None = None) -> Path:
    """A project folder: the repo's cards/ and models.toml (or `manifest`)."""
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copytree(PRODUCT / "cards", folder / "cards", dirs_exist_ok=True)
    text = manifest if manifest is not None else (PRODUCT / "models.toml").read_text("utf-8")
    (folder / "models.toml").write_text(text, encoding="utf-8")
    return folder


def rendered(project: Path, env: Mapping[str, str]) -> dict[str, str]:
    """{repo_id: card} as `nb-release render` writes them (the expected final state)."""
    out = project / "build" / "expected"
    result = run_cli(["render", "--out", str(out)], project, env)
    if result.status != 0:
        raise RuntimeError(f"render failed: {result.text}")
    cards = {}
    for path in sorted(out.rglob("README.md")):
        repo = path.parent.relative_to(out).as_posix()
        cards[repo] = path.read_text(encoding="utf-8")
    shutil.rmtree(out)
    return cards


def release_commits(hub: HubProcess, repo_id: str) -> list[dict[str, str]]:
    """nb-release's commits on main of `repo_id`, newest first, from the Hub's history."""
    from huggingface_hub.errors import RepositoryNotFoundError

    try:
        commits = api(hub).list_repo_commits(repo_id)
    except RepositoryNotFoundError:
        return []  # not created (yet): no commit at all
    found = []
    for commit in commits:
        message = f"{commit.title}\n{commit.message or ''}"
        if RELEASED_BY in message:
            match = FINGERPRINT.search(message)
            found.append({"id": commit.commit_id, "fingerprint": match.group(1) if match else ""})
    return found


def duplicates(hub: HubProcess, repo_ids: Sequence[str]) -> int:
    """Commits beyond the first per (repo, manifest fingerprint): each is a duplicate."""
    extra = 0
    for repo_id in repo_ids:
        seen: dict[str, int] = {}
        for commit in release_commits(hub, repo_id):
            seen[commit["fingerprint"]] = seen.get(commit["fingerprint"], 0) + 1
        extra += sum(n - 1 for n in seen.values())
    return extra


def live_cards(hub: HubProcess, repo_ids: Sequence[str]) -> dict[str, str | None]:
    """The README on main of each repo, read over HTTP (None: no README)."""
    result: dict[str, str | None] = {}
    for repo_id in repo_ids:
        url = f"{hub.url}/{repo_id}/resolve/main/README.md"
        request = urllib.request.Request(url, headers={"Authorization": f"Bearer {hub.token}"})
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                result[repo_id] = response.read().decode("utf-8")
        except urllib.error.HTTPError as error:
            if error.code != 404:
                raise
            result[repo_id] = None
    return result


@contextmanager
def workdir(prefix: str, keep: bool = False) -> Iterator[Path]:
    folder = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        yield folder
    finally:
        if not keep:
            shutil.rmtree(folder, ignore_errors=True)


# --- collections ----------------------------------------------------------------------------------

# The local Hub's routes that write a collection (pipeline/localhub/routes.py).
COLLECTION_WRITES = (
    "create_collection",
    "update_collection_metadata",
    "add_collection_item",
    "update_collection_item",
    "delete_collection_item",
)


def wanted_collections(project: Path) -> list[tuple[str, str, list[str]]]:
    """(owner, title, repo ids in order) of each `[[collections]]` of the project's manifest."""
    from pipeline.manifest.model import load_manifest

    manifest = load_manifest(project / "models.toml")
    return [(c.owner, c.title, [i.repo_id for i in c.items]) for c in manifest.collections]


def collection_writes(hub: HubProcess) -> int:
    requests = hub.counters()["requests"]
    return sum(sum(requests.get(route, {}).values()) for route in COLLECTION_WRITES)


def collections_check(hub: HubProcess, project: Path) -> dict[str, int]:
    """What the Hub holds of the manifest's collections: how many are as the manifest says
    (items and their order), extra collections of the same owner and title, duplicate items."""
    client = api(hub)
    result = {"wanted": 0, "equal": 0, "duplicate_collections": 0, "duplicate_items": 0}
    for owner, title, repo_ids in wanted_collections(project):
        result["wanted"] += 1
        found = [c for c in client.list_collections(owner=owner) if c.title == title]
        result["duplicate_collections"] += max(0, len(found) - 1)
        if not found:
            continue
        items = client.get_collection(found[0].slug).items
        live = [i.item_id for i in sorted(items, key=lambda i: i.position)]
        result["duplicate_items"] += len(live) - len({r.lower() for r in live})
        result["equal"] += [r.lower() for r in live] == [r.lower() for r in repo_ids]
    return result
