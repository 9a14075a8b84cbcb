"""The shape of the Hub client: private names of huggingface_hub in one module, a small `Hub`."""

from __future__ import annotations

import ast
import re
from pathlib import Path

PIPELINE = Path(__file__).resolve().parents[1] / "pipeline"
FENCE = PIPELINE / "hub" / "_client_internals.py"
# huggingface_hub.utils._http, huggingface_hub.utils._pagination as a dotted path (a string given
# to monkeypatch or importlib included).
PRIVATE_PATH = re.compile(r"huggingface_hub(?:\.\w+)*\._\w+")
# The private attributes client_internals.py reaches on the client's objects.
PRIVATE_ATTRIBUTES = re.compile(r"\.(?:_remote_oid|_local_oid|_upload_mode)\b")


def _private_reaches(source: str) -> list[str]:
    found: list[str] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("huggingface_hub"):
            private_module = any(part.startswith("_") for part in (node.module or "").split("."))
            names = [alias.name for alias in node.names if alias.name.startswith("_")]
            if private_module or names:
                found.append(f"line {node.lineno}: from {node.module} import ...")
        elif isinstance(node, ast.Import):
            found += [
                f"line {node.lineno}: import {alias.name}"
                for alias in node.names
                if alias.name.startswith("huggingface_hub") and PRIVATE_PATH.search(alias.name)
            ]
    for number, line in enumerate(source.splitlines(), start=1):
        if PRIVATE_PATH.search(line) or PRIVATE_ATTRIBUTES.search(line):
            found.append(f"line {number}: {line.strip()}")
    return found


def test_no_module_but_the_fence_reaches_a_private_name_of_huggingface_hub() -> None:
    offenders = {
        str(path.relative_to(PIPELINE)): reaches
        for path in sorted(PIPELINE.rglob("*.py"))
        if path != FENCE
        and "localhub" not in path.relative_to(PIPELINE).parts
        and (reaches := _private_reaches(path.read_text(encoding="utf-8")))
    }
    assert offenders == {}, "move these into pipeline/hub/_client_internals.py, with a test each"


def test_the_check_finds_each_kind_of_reach() -> None:
    found = _private_reaches(
        "from huggingface_hub.utils._http import get_session\n"
        "from huggingface_hub.utils import _pagination\n"
        "import huggingface_hub.utils._headers\n"
        "same = operation._remote_oid == operation._local_oid\n"
        'patch("huggingface_hub.utils._http.get_session")\n'
        "from huggingface_hub.utils import get_session, http_backoff\n"  # public: not found
        "from pipeline import _private\n"  # not the client: not found
    )
    assert [reach.split(":")[0] for reach in found] == [
        "line 1",
        "line 2",
        "line 3",
        "line 1",
        "line 3",
        "line 4",
        "line 5",
    ]
    # ...and in the fence itself, every reach its docstring lists.
    fenced = "\n".join(_private_reaches(FENCE.read_text(encoding="utf-8")))
    for name in ("_http", "_pagination", "_remote_oid", "_local_oid"):
        assert name in fenced


def test_the_hub_class_is_under_200_lines() -> None:
    tree = ast.parse((PIPELINE / "hub" / "client.py").read_text(encoding="utf-8"))
    (hub,) = [n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "Hub"]
    assert hub.end_lineno is not None
    assert hub.end_lineno - hub.lineno + 1 < 200
