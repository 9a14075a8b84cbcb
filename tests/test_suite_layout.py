"""The test suite's own rules: conftest.py files hold fixtures and hooks only, and no module imports
from a conftest (pytest imports each conftest itself; a second import by name gives a second copy
of its module). Shared helpers live in plain modules (tests/integration/support.py, ...). And no
file of the project cites an issue of a tracker the repository does not hold."""

from __future__ import annotations

import ast
import re
from pathlib import Path

TESTS = Path(__file__).resolve().parent


def _modules() -> list[Path]:
    return sorted(p for p in TESTS.rglob("*.py") if "cases" not in p.relative_to(TESTS).parts)


def _imported_modules(tree: ast.Module) -> list[str]:
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.append(node.module)
        elif isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
    return names


def _is_fixture_or_hook(node: ast.FunctionDef) -> bool:
    if node.name.startswith("pytest_"):
        return True
    for decorator in node.decorator_list:
        target = decorator.func if isinstance(decorator, ast.Call) else decorator
        if ast.unparse(target) in {"pytest.fixture", "fixture"}:
            return True
    return False


def test_no_module_imports_from_a_conftest() -> None:
    offenders = [
        f"{path.relative_to(TESTS.parent)}: import {name}"
        for path in _modules()
        for name in _imported_modules(ast.parse(path.read_text(encoding="utf-8")))
        if name.split(".")[-1] == "conftest"
    ]
    assert offenders == [], "move the shared helpers into a support module"


def _helpers(tree: ast.Module) -> list[ast.stmt]:
    """Top-level classes and functions that are neither fixtures nor pytest hooks."""
    return [
        node
        for node in tree.body
        if isinstance(node, ast.ClassDef | ast.AsyncFunctionDef)
        or (isinstance(node, ast.FunctionDef) and not _is_fixture_or_hook(node))
    ]


def test_conftest_files_define_only_fixtures_and_hooks() -> None:
    offenders = [
        f"{path.relative_to(TESTS.parent)}:{node.lineno}"
        for path in _modules()
        if path.name == "conftest.py"
        for node in _helpers(ast.parse(path.read_text(encoding="utf-8")))
    ]
    assert offenders == [], "helpers belong in a support module, not in a conftest"


# A tracker's issue numbers mean nothing to a reader of the repository: a comment says its reason
# itself, or cites a public source or the repo's own docs (README.md, docs/).
_ISSUE_CITATION = re.compile(r"\bissues? ?#?[0-9]+", re.IGNORECASE)
_CITING_SUFFIXES = {".py", ".toml", ".j2", ".yml", ".yaml", ".sh", ".cfg", ".ini"}


def _project_files() -> list[Path]:
    root = TESTS.parent
    files = [root / "Makefile", root / "pyproject.toml"]
    for folder in ("pipeline", "tests", "bench", "cards", ".github", ".ci"):
        for path in sorted((root / folder).rglob("*")):
            parts = path.relative_to(root).parts
            if not path.is_file() or "__pycache__" in parts or parts[:2] == ("bench", "results"):
                continue
            if path.suffix in _CITING_SUFFIXES or parts[0] == ".ci":
                files.append(path)
    return files


def test_no_file_cites_a_tracker_issue_by_number() -> None:
    offenders = [
        f"{path.relative_to(TESTS.parent)}:{number}: {line.strip()}"
        for path in _project_files()
        for number, line in enumerate(
            path.read_text(encoding="utf-8", errors="replace").splitlines(), 1
        )
        if _ISSUE_CITATION.search(line)
    ]
    assert offenders == [], "say the reason itself, or cite a public source or the repo's docs"
