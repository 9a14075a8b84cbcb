"""The manifest and template bytes, read once: what is rendered is exactly what is fingerprinted.

A plan records the fingerprint of the files it was made from. Reading the files once, hashing
those bytes and rendering from the same bytes means an edit made while a plan is being built
cannot give a plan whose fingerprint does not match its content.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from pipeline.errors import PipelineError
from pipeline.manifestfile import read_manifest_bytes

if TYPE_CHECKING:  # a warm plan from cached renders never loads the manifest's models
    from pipeline.manifest import Manifest


@dataclass(frozen=True)
class Sources:
    """Where the manifest and templates are (what a command was told to read)."""

    manifest: Path
    cards: Path


@dataclass(frozen=True)
class SourceFiles:
    """The bytes of the manifest and of every file under the cards folder, as read at the start."""

    manifest_path: Path
    manifest_bytes: bytes
    cards_dir: Path
    templates: Mapping[str, bytes] = field(
        repr=False
    )  # path relative to cards_dir (posix) -> bytes

    @property
    def fingerprint(self) -> str:
        """sha256 over the manifest and every file under cards/: what a plan was made from."""
        digest = hashlib.sha256()
        files = [("models.toml", self.manifest_bytes), *sorted(self.templates.items())]
        for name, data in files:
            digest.update(f"{name}\0{len(data)}\0".encode())
            digest.update(data)
        return "sha256:" + digest.hexdigest()


def read_templates(cards_dir: Path) -> dict[str, bytes]:
    """Every file under `cards_dir`, by path relative to it; PipelineError if it cannot be read."""
    try:
        paths = sorted(p for p in cards_dir.rglob("*") if p.is_file())
        return {p.relative_to(cards_dir).as_posix(): p.read_bytes() for p in paths}
    except OSError as exc:
        raise PipelineError(
            f"cannot read the templates in {cards_dir}/: {exc.strerror or exc}",
            hint="--cards names the folder of card templates (default: cards)",
        ) from None


def read_sources(manifest_path: Path, cards_dir: Path) -> SourceFiles:
    """Read the manifest's bytes and every template's, once."""
    manifest_bytes = read_manifest_bytes(manifest_path)
    return SourceFiles(manifest_path, manifest_bytes, cards_dir, read_templates(cards_dir))


def load_sources(manifest_path: Path, cards_dir: Path) -> tuple[SourceFiles, Manifest]:
    """The files read once, and the manifest validated from exactly those bytes."""
    from pipeline.manifest import load_manifest_bytes

    files = read_sources(manifest_path, cards_dir)
    return files, load_manifest_bytes(manifest_path, files.manifest_bytes)
