"""The layout of pipeline/: the README's table names every module there is, and the imports run
one way only, down the floors the README states (cli -> plan -> hub, card -> manifest -> the
top-level modules; `python -m pipeline` above them all); a private module (`_name.py`) is
imported only inside its subpackage."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PIPELINE = ROOT / "pipeline"
# Each subpackage, and the subpackages it may import (the top-level modules: any of them).
FLOORS: dict[str, frozenset[str]] = {
    "cli": frozenset({"plan", "hub", "card", "manifest", "localhub"}),
    "plan": frozenset({"hub", "card", "manifest"}),
    "hub": frozenset({"localhub"}),  # the embedded local Hub is started by the client
    "card": frozenset({"manifest"}),
    "manifest": frozenset(),
}


def _modules() -> list[Path]:
    return sorted(
        p for p in PIPELINE.rglob("*.py") if "localhub" not in p.relative_to(PIPELINE).parts
    )


def _package(path: Path) -> str | None:
    """The subpackage a module of pipeline/ is in; None for a top-level module."""
    parts = path.relative_to(PIPELINE).parts
    return parts[0] if len(parts) > 1 else None


def _imports(path: Path) -> list[str]:
    names: list[str] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("pipeline"):
            names.append(node.module)
            names.extend(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            names.extend(a.name for a in node.names if a.name.startswith("pipeline"))
    return names


def _target(name: str) -> tuple[str | None, str] | None:
    """(subpackage or None, module) of an imported dotted name, if it is a module of pipeline/."""
    parts = name.split(".")
    for end in range(len(parts), 1, -1):
        path = PIPELINE.joinpath(*parts[1:end])
        if path.with_suffix(".py").is_file():
            return (parts[1] if end > 2 else None), parts[end - 1]
        if (path / "__init__.py").is_file():
            return parts[1], "__init__"
    return None


def test_imports_run_down_the_floors_only() -> None:
    offenders: list[str] = []
    for path in _modules():
        here = _package(path)
        for name in _imports(path):
            target = _target(name)
            if target is None:
                continue
            there, module = target
            rel = path.relative_to(ROOT)
            if here is None and there is not None and path.name != "__main__.py":
                offenders.append(f"{rel}: a top-level module imports {name}")
            elif here is not None and there not in (None, here) and there not in FLOORS[here]:
                offenders.append(f"{rel}: {here}/ imports {name}, above it or beside it")
            if module.startswith("_") and module != "__init__" and there != here:
                offenders.append(f"{rel}: imports the private {name} of another subpackage")
    assert offenders == []


def test_every_subpackage_has_a_floor() -> None:
    packages = {p.parent.name for p in PIPELINE.glob("*/__init__.py")} - {"localhub"}
    assert packages == set(FLOORS)


def _layout_table() -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Code layout", 1)[1]
    return section.split("```", 2)[1]


def test_the_readmes_layout_names_every_module_and_only_those() -> None:
    named: set[str] = set()
    folder: list[str] = []
    for line in _layout_table().splitlines():
        match = re.match(r"^( *)(\S+\.py|\S+/)(?=\s|$)", line)
        if not match:
            continue
        depth = len(match.group(1)) // 2
        name = match.group(2)
        del folder[depth:]
        if name.endswith("/"):
            folder.append(name.rstrip("/"))
        else:
            named.add("/".join([*folder, name]))
    # _version.py is no module of ours: setuptools-scm writes it at install (not in git).
    skip = {"__init__.py", "_version.py"}
    present = {str(p.relative_to(ROOT)) for p in _modules() if p.name not in skip}
    assert named == present
