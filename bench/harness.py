"""The harness's shared parts: settings of a run, a section of the table, and its rows."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class Settings:
    quick: bool
    seeds: int
    max_runs: int
    release_kills: int
    hub_kills: int
    race_rounds: int
    hostile_limit: int | None
    fuzz_requests: int
    jobs: int
    timeout: float
    # --max-wait of a `release` whose Hub is killed under it: how long it retries a dead Hub
    # before it gives up (None: nb-release's default, 60 s). Its exit status is not judged.
    dead_hub_wait: float | None = None
    # SIGKILLs of `release` while it writes the collection, after its commits
    collection_kills: int = 1


def settings(quick: bool, jobs: int) -> Settings:
    if quick:
        return Settings(True, 1, 3, 2, 1, 1, 10, 300, jobs, 120, dead_hub_wait=2)
    return Settings(False, 20, 20, 20, 10, 3, None, 2000, jobs, 300, collection_kills=6)


@dataclass
class Row:
    section: str
    check: str
    measured: Any
    target: str
    ok: bool | None  # None: informative only

    def cells(self) -> list[str]:
        mark = "" if self.ok is None else ("yes" if self.ok else "**NO**")
        return [self.section, self.check, str(self.measured), self.target, mark]


@dataclass
class Section:
    name: str
    rows: list[Row] = field(default_factory=list)
    detail: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0

    def row(self, check: str, measured: Any, target: str = "", ok: bool | None = None) -> None:
        self.rows.append(Row(self.name, check, measured, target, ok))


# One variant, creatable: the manifest of the sections that need only one repo.
SINGLE_REPO = "NbAiLab/nb-llama-3.1-8B"
SINGLE = """\
[defaults]
namespace = "NbAiLab"
developer = "National Library of Norway (NB-AiLab)"
author = "Per Egil Kummervold"
knowledge_cutoff = "{cutoff}"
pipeline_tag = "text-generation"
languages = ["no", "nb", "nn", "en"]
tags = ["norwegian", "text-generation"]

[defaults.licenses]
"3.1" = "llama3.1"

[defaults.files]
"NOTICE" = {{ template = "files/NOTICE.j2" }}
"LICENSE" = {{ template = "files/LICENSE.j2" }}

[[models]]
name = "nb-llama-3.1-8B"
kind = "base"
llama_version = "3.1"
size = "8B"
base_model = "meta-llama/Llama-3.1-8B"
allow_create = true
"""
