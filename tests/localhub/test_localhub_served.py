"""What the README says of a served local Hub: it starts with no repos, its token file begins
with a comment, and the README's one-liner prints the token."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

from tests.localhub.fuzz import ROOT, Served, json_request, status_of


def readme_token_command() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    found = re.search(r'export HF_TOKEN="\$\((awk [^\n]*\.hub/tokens)\)"', text)
    assert found, "the README's copy-paste way to get the token is missing"
    return found.group(1)


def test_a_served_hub_starts_empty_and_the_readme_one_liner_prints_its_token(
    tmp_path: Path,
) -> None:
    server = Served(tmp_path / ".hub")
    try:
        answer = server.send(b"GET /api/models HTTP/1.1\r\nHost: x\r\n\r\n") or b""
        assert status_of(answer) == 200
        assert json.loads(answer.split(b"\r\n\r\n", 1)[1]) == []
        tokens = (tmp_path / ".hub" / "tokens").read_text(encoding="utf-8")
        assert tokens.startswith("#")
        printed = subprocess.run(
            ["sh", "-c", readme_token_command()],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        assert printed == server.token
        whoami = json_request("GET", "/api/whoami-v2").replace(b"\x00TOKEN\x00", printed.encode())
        assert status_of(server.send(whoami) or b"") == 200
    finally:
        server.stop()
