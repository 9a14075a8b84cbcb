"""What the review page's tests share: the hostile text a template edit adds, and `PreviewRun`, a
run of `nb-release preview` over a published family. The `preview_run` fixture is in conftest.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pipeline.manifest.model import load_manifest

ROOT = Path(__file__).resolve().parents[2]

# Added to every card (before its last section): what a hostile edit could put in a card.
HOSTILE = (
    "<script>document.title = 'pwned'</script> "
    "![pixel](http://127.0.0.1:9/pixel.png) [run](javascript:alert(1))\n\n"
)


@dataclass(frozen=True)
class PreviewRun:
    folder: Path
    page: Path
    status: int
    repos: tuple[str, ...]
    source: tuple[str, ...]
    hub_args: tuple[str, ...]


def repos(folder: Path) -> tuple[str, ...]:
    """The repo ids of the project's manifest, in its order."""
    return tuple(v.repo_id for v in load_manifest(folder / "models.toml").variants)
