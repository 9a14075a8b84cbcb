"""`nb-release hub serve` as a user runs it: a separate process, stopped with Ctrl-C."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from huggingface_hub import HfApi

from pipeline.cli.main import main
from pipeline.localhub.auth import Tokens


@pytest.mark.usefixtures("ctrl_c")
def test_hub_serve_prints_url_and_token_path_never_the_token(tmp_path: Path) -> None:
    root = tmp_path / "hub"
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "COLUMNS": "200"}
    process = subprocess.Popen(
        [sys.executable, "-m", "pipeline", "hub", "serve", "--root", str(root), "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert process.stdout is not None
        lines: list[str] = []
        deadline = time.monotonic() + 30
        url = None
        while url is None and time.monotonic() < deadline:
            line = process.stdout.readline()
            if not line:
                break
            lines.append(line)
            found = re.search(r"http://127\.0\.0\.1:\d+", line)
            url = found.group(0) if found else None
        assert url is not None, "".join(lines)
        # The token file's path is announced once the URL is; give it a moment to be printed.
        lines.append(process.stdout.readline())
        token = Tokens(root / "tokens").first()
        assert str(root / "tokens") in "".join(lines)
        assert HfApi(endpoint=url, token=token).whoami()["name"]
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=20)
        assert process.returncode in (0, 130), err
        assert token not in "".join(lines) + out + err
        assert "Traceback" not in err
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_hub_serve_refuses_a_non_loopback_address(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status = main(["hub", "serve", "--root", str(tmp_path / "hub"), "--host", "0.0.0.0"])
    assert status == 1
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "--allow-non-loopback" in err
