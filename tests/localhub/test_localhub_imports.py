"""The local Hub's place in the import graph (README.md "Code layout"): it imports nothing above
it, and the CLI loads the server only when a command opens it."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "pipeline" / "localhub"
# The shared rules (and the snapshot of the Hub's lists they read) and errors sit below the
# local Hub; everything else of pipeline/ is above it.
BELOW = {"pipeline.errors", "pipeline.hubrules", "pipeline.hubsnapshot"}


def imported(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def test_the_local_hub_imports_nothing_above_it() -> None:
    for path in sorted(PACKAGE.glob("*.py")):
        above = {
            name
            for name in imported(path)
            if name.startswith("pipeline.")
            and not name.startswith("pipeline.localhub")
            and not any(name == b or name.startswith(f"{b}.") for b in BELOW)
        }
        assert not above, f"{path.name} imports {sorted(above)}"


def test_the_cli_loads_no_server_until_one_is_opened() -> None:
    code = (
        "import sys, pipeline.cli.main, pipeline.localhub.cli\n"
        "print(sorted(m for m in ('pipeline.localhub.app', 'pipeline.localhub.server',"
        " 'pipeline.localhub.store', 'http.server') if m in sys.modules))"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert run.stdout.strip() == "[]"


def test_the_package_names_still_load_on_use() -> None:
    from pipeline.localhub import Counters, FaultConfig, LocalHub, Quota, serve_forever

    assert LocalHub.__module__ == "pipeline.localhub.app"
    assert serve_forever.__module__ == "pipeline.localhub.app"
    assert {Counters.__name__, FaultConfig.__name__, Quota.__name__} == {
        "Counters",
        "FaultConfig",
        "Quota",
    }
