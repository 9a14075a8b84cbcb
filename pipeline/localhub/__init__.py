"""The local Hub: a loopback HTTP server speaking the part of the Hugging Face Hub API that
nb-release and the unmodified huggingface_hub client use for model repos.

Public API: `LocalHub` (context manager), `FaultConfig`, `Counters`, `serve_forever`.
Modules: `store` (SQLite), `server` (HTTP), `routes` (paths), `api_*` (endpoints), `views` (JSON
shapes), `metadata` (front matter, YAML 1.2, validate-yaml), `faults` (latency, faults, counters),
`auth` (token file), `app` (LocalHub, serve_forever).
"""

from pipeline.localhub.app import LocalHub, serve_forever
from pipeline.localhub.faults import Counters, FaultConfig

__all__ = ["Counters", "FaultConfig", "LocalHub", "serve_forever"]
