"""The repos a family means to manage (`[defaults] manage`): a namespace and globs on names.

Read without Pydantic from manifest bytes that validated before (a warm plan takes its renders
from the cache and must not load the validator); model.py validates the table itself.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipeline.manifest._file import parse_manifest


@dataclass(frozen=True)
class ManagedScope:
    """The repos of `namespace` whose name matches a pattern are the family's; one the
    manifest lacks is reported as unmanaged (advice, never an error)."""

    namespace: str
    patterns: tuple[str, ...]

    def matches(self, repo_id: str) -> bool:
        """A repo of the namespace whose name matches a pattern (case ignored, as the Hub)."""
        owner, _, name = repo_id.partition("/")
        return owner.casefold() == self.namespace.casefold() and any(
            fnmatch.fnmatchcase(name.casefold(), pattern.casefold()) for pattern in self.patterns
        )

    def describe(self) -> str:
        """`NbAiLab/nb-llama-*`, or `NbAiLab/{a*, b*}` for several patterns."""
        if len(self.patterns) == 1:
            return f"{self.namespace}/{self.patterns[0]}"
        return f"{self.namespace}/{{{', '.join(self.patterns)}}}"


def scope_of(manage: Mapping[str, Any] | None) -> ManagedScope | None:
    """The scope of a `manage` table that validated."""
    if manage is None:
        return None
    return ManagedScope(str(manage["namespace"]), tuple(str(p) for p in manage["patterns"]))


def managed_scope(path: Path, source: bytes) -> ManagedScope | None:
    """`[defaults] manage` of manifest bytes that validated (rendered this run, or their renders
    cached under these bytes' fingerprint); None when the family declares none."""
    data, _ = parse_manifest(str(path), source, shared=True)  # read only
    defaults = data.get("defaults")
    return scope_of(defaults.get("manage") if isinstance(defaults, dict) else None)
