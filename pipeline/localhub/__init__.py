"""The local Hub: a loopback HTTP server speaking the part of the Hugging Face Hub API that
nb-release and the unmodified huggingface_hub client use for model repos.

Public API: `LocalHub` (context manager), `FaultConfig`, `Counters`, `Quota`, `serve_forever`.
Modules: `store` (SQLite), `server` (HTTP), `routes` (paths), `api_*` (endpoints: `api_repos`,
`api_files`, `api_paths` paths-info, `api_lfs` the LFS batch API and transfers, `api_discussions`,
`api_refs` branches and tags, `api_admin` settings, move and delete, `api_tags` the tag lists),
`lfs` and `gitattributes` (LFS objects on disk, which files go to LFS), `views` (JSON shapes),
`cardcheck` (front matter, YAML 1.2, validate-yaml), `modelindex` (model-index's form), `derived`
(the tags the Hub derives from a card), `faults` (latency, faults, counters), `quotas` (rate
limits per bucket), `auth` (token file), `app` (LocalHub, serve_forever), `cli` (the `hub serve`
options).

The names load on first use: importing `pipeline.localhub.cli` (every nb-release command builds
its parser) must not load the server, its store or SQLite.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pipeline.localhub.app import LocalHub, serve_forever
    from pipeline.localhub.faults import Counters, FaultConfig
    from pipeline.localhub.quotas import Quota

__all__ = ["Counters", "FaultConfig", "LocalHub", "Quota", "serve_forever"]

_HOMES = {
    "LocalHub": "pipeline.localhub.app",
    "serve_forever": "pipeline.localhub.app",
    "Counters": "pipeline.localhub.faults",
    "FaultConfig": "pipeline.localhub.faults",
    "Quota": "pipeline.localhub.quotas",
}


def __getattr__(name: str) -> Any:
    if name in _HOMES:
        return getattr(importlib.import_module(_HOMES[name]), name)
    raise AttributeError(f"module 'pipeline.localhub' has no attribute {name!r}")
