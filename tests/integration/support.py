"""What the integration tests share: a small project (its manifest and repos) and `Project`, the
handle on a run of the CLI against the local Hub. The `project` fixture is in conftest.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
from huggingface_hub import HfApi

from pipeline.cli.main import main
from pipeline.hub.client import Hub, Target
from pipeline.localhub import LocalHub

ROOT = Path(__file__).resolve().parents[2]

SMALL_MANIFEST = """\
[defaults]
namespace = "NbAiLab"
developer = "National Library of Norway (NB-AiLab)"
author = "Per Egil Kummervold"
knowledge_cutoff = "May 2024"
pipeline_tag = "text-generation"
languages = ["no", "nb", "nn", "en", "sv", "da"]
tags = ["norwegian", "multilingual", "text-generation"]

[defaults.licenses]
"3.1" = "llama3.1"
"3.2" = "llama3.2"

# This small family keeps its cards alone (no NOTICE or LICENSE companions, which the shipped
# manifest keeps): the rules on those files are reported, not blocking.
[rules]
notice-file = "advisory"
license-file = "advisory"

[kinds.gguf]
extra_tags = ["llama-cpp", "gguf", "quantization"]

[[models]]
name = "nb-llama-3.2-1B"
kind = "base"
llama_version = "3.2"
size = "1B"
base_model = "meta-llama/Llama-3.2-1B"

[[models]]
name = "nb-llama-3.1-8B"
kind = "base"
llama_version = "3.1"
size = "8B"
base_model = "meta-llama/Llama-3.1-8B"

[[models]]
name = "nb-llama-3.1-8B-sft"
kind = "sft"
llama_version = "3.1"
size = "8B"
base_model = "NbAiLab/nb-llama-3.1-8B"

[[models]]
name = "nb-llama-3.2-1B-Q4_K_M-GGUF"
kind = "gguf"
llama_version = "3.2"
size = "1B"
base_model = "NbAiLab/nb-llama-3.2-1B"
quantization = "Q4_K_M"
gguf_file = "nb-llama-3.2-1b_1200-q4_k_m.gguf"
"""

REPOS = (
    "NbAiLab/nb-llama-3.2-1B",
    "NbAiLab/nb-llama-3.1-8B",
    "NbAiLab/nb-llama-3.1-8B-sft",
    "NbAiLab/nb-llama-3.2-1B-Q4_K_M-GGUF",
)


@dataclass
class Run:
    status: int
    out: str
    err: str


@dataclass
class Project:
    folder: Path
    hub: LocalHub
    api: HfApi
    capsys: pytest.CaptureFixture[str]

    def run(self, *argv: str, hub: bool = True) -> Run:
        args = list(argv)
        if hub:
            args += ["--hub", self.hub.url, "--hub-root", str(self.hub.root)]
        self.capsys.readouterr()
        status = main(args)
        out, err = self.capsys.readouterr()
        return Run(status, out, err)

    def readme(self, repo_id: str, revision: str = "main") -> str | None:
        """The card on the Hub, read fresh through nb-release's own reader."""
        reader = Hub(Target(url=self.hub.url, token=self.hub.token))
        return reader.read_card(repo_id, revision).content

    def commits(self, repo_id: str, revision: str = "main") -> int:
        return len(self.api.list_repo_commits(repo_id, revision=revision))

    def writes(self) -> int:
        """Write requests the Hub received (repo creations, commits, pull requests)."""
        return self.hub.counters.writes()


def readme_lookups(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The repo of each README.md the cache is asked for from now on (the test's own list)."""
    from pipeline.hub.cache import Cache

    looked_up: list[str] = []
    readme = Cache.readme

    def counting(self: Cache, endpoint: str, repo_id: str, sha: str) -> tuple[bool, str | None]:
        looked_up.append(repo_id)
        return readme(self, endpoint, repo_id, sha)

    monkeypatch.setattr(Cache, "readme", counting)
    return looked_up
