"""Two clients nobody here wrote, driven as a user would: the `hf` CLI of huggingface_hub and
huggingface.js (`@huggingface/hub`, pinned in js/package-lock.json, run by Node.js).

Each runs as a subprocess against a LocalHub; its environment carries the Hub's URL and token
and nothing of the machine user's Hugging Face settings.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import random
import shutil
import subprocess
import sys
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from pipeline.localhub import LocalHub

JS_DIR = Path(__file__).resolve().parent / "js"
HF = Path(sys.executable).parent / "hf"  # the venv's own `hf`, of the huggingface_hub installed
USER = "local-user"  # the name of the local Hub's first token (pipeline/localhub/auth.py)
NODE_HINT = (
    "the contract tests run huggingface.js with Node.js 18 or newer (the engines of "
    "@huggingface/hub) and npm: install them (Debian: `apt-get install nodejs npm`, or from "
    "https://nodejs.org) and put `node` and `npm` on PATH"
)
_STAMP = JS_DIR / "node_modules" / ".package-lock.sha256"
_LOCK = JS_DIR / ".npm-ci.lock"  # one `npm ci` at a time across pytest-xdist workers
_TIMEOUT_S = 300


def big_bytes(size: int, seed: int) -> bytes:
    """`size` bytes that do not compress (as model weights), the same for the same seed."""
    return random.Random(seed).randbytes(size)


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _clean_env() -> dict[str, str]:
    """The environment without any Hugging Face setting of the machine's user, and with Xet off:
    huggingface_hub uploads a large file through Xet whenever hf_xet is installed, and the
    local Hub speaks only the LFS protocol, as the README says (huggingface.js falls back to
    LFS by itself)."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("HF_")}
    return env | {"HF_HUB_DISABLE_XET": "1"}


def _node_tools() -> tuple[str, str]:
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        missing = " and ".join(name for name, path in (("node", node), ("npm", npm)) if not path)
        pytest.fail(f"{missing} not found on PATH: {NODE_HINT}", pytrace=False)
    version = subprocess.run(
        [node, "--version"], capture_output=True, text=True, check=False, timeout=60
    ).stdout.strip()
    major = version.lstrip("v").split(".")[0]
    if not major.isdigit() or int(major) < 18:
        pytest.fail(f"node {version or '(no version)'} is too old: {NODE_HINT}", pytrace=False)
    return node, npm


@contextmanager
def _locked() -> Iterator[None]:
    with _LOCK.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def install_js_client() -> str:
    """`npm ci` into js/ when node_modules is missing or older than package-lock.json; the path
    of `node`. Only the npm registry is reached, and only then."""
    node, npm = _node_tools()
    wanted = sha256((JS_DIR / "package-lock.json").read_bytes())
    with _locked():
        if _STAMP.is_file() and _STAMP.read_text(encoding="ascii").strip() == wanted:
            return node
        done = subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund"],
            cwd=JS_DIR,
            capture_output=True,
            text=True,
            check=False,
            timeout=_TIMEOUT_S,
        )
        if done.returncode != 0:
            pytest.fail(
                f"`npm ci` in {JS_DIR} failed (status {done.returncode}):\n{done.stderr[-3000:]}",
                pytrace=False,
            )
        _STAMP.write_text(wanted + "\n", encoding="ascii")
    return node


@dataclass(frozen=True)
class JsOp:
    """One call of an exported function of @huggingface/hub (see js/run.mjs for `args`)."""

    name: str
    call: str
    args: Mapping[str, Any]
    anonymous: bool = False


def run_js(node: str, hub: LocalHub, ops: Sequence[JsOp]) -> dict[str, Any]:
    """Run `ops` in order in one node process; each label's {"ok", "value" | "error"}."""
    request = {
        "hubUrl": hub.url,
        "accessToken": hub.token,
        "ops": [
            {"name": op.name, "call": op.call, "args": op.args, "anonymous": op.anonymous}
            for op in ops
        ],
    }
    done = subprocess.run(
        [node, str(JS_DIR / "run.mjs")],
        cwd=JS_DIR,
        input=json.dumps(request),
        capture_output=True,
        text=True,
        check=False,
        timeout=_TIMEOUT_S,
        env=_clean_env(),
    )
    assert done.returncode == 0, f"run.mjs failed (status {done.returncode}):\n{done.stderr}"
    try:
        results: dict[str, Any] = json.loads(done.stdout)
    except json.JSONDecodeError:
        raise AssertionError(
            f"run.mjs printed no JSON results (status 0):\nstdout: {done.stdout[:2000]!r}\n"
            f"stderr: {done.stderr[:2000]}"
        ) from None
    return results


def value(results: Mapping[str, Any], name: str) -> Any:
    """The value of the call labelled `name`, or a failure that says how the call failed."""
    result = results[name]
    if not result["ok"]:
        error = result["error"]
        status = (
            f" (HTTP {error['statusCode']} on {error['url']})" if error.get("statusCode") else ""
        )
        pytest.fail(f"{name}: {error['name']}: {error['message']}{status}", pytrace=False)
    return result["value"]


def error_status(results: Mapping[str, Any], name: str) -> int | None:
    """The HTTP status the call labelled `name` failed with; it must have failed."""
    result = results[name]
    assert not result["ok"], f"{name} succeeded: {result['value']!r}"
    status: int | None = result["error"].get("statusCode")
    return status


@dataclass(frozen=True)
class HfCli:
    """The `hf` command of the venv's huggingface_hub, pointed at `hub` (HF_HOME in `home`)."""

    hub: LocalHub
    home: Path

    def env(self, *, token: bool = True) -> dict[str, str]:
        env = _clean_env()
        env.update(
            HF_ENDPOINT=self.hub.url,
            HF_HOME=str(self.home),
            HF_HUB_DISABLE_TELEMETRY="1",
            HF_HUB_DISABLE_UPDATE_CHECK="1",
            NO_COLOR="1",
            COLUMNS="200",
        )
        if token:
            env["HF_TOKEN"] = self.hub.token
        return env

    def run(
        self, *args: str, cwd: Path | None = None, token: bool = True
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(HF), *args],
            cwd=cwd,
            capture_output=True,
            text=True,
            check=False,
            timeout=_TIMEOUT_S,
            env=self.env(token=token),
            stdin=subprocess.DEVNULL,
        )

    def ok(self, *args: str, cwd: Path | None = None) -> str:
        """The output of `hf ARGS`, which must succeed."""
        done = self.run(*args, cwd=cwd)
        assert done.returncode == 0, (
            f"`hf {' '.join(args)}` exited {done.returncode}:\n{done.stderr[-3000:]}{done.stdout}"
        )
        return done.stdout

    def json(self, *args: str, cwd: Path | None = None) -> Any:
        """The JSON output of `hf ARGS --format json`, which must succeed."""
        return json.loads(self.ok(*args, "--format", "json", cwd=cwd))
