"""The review page of a real run: a local Hub holding the family's cards as nb-release published
them, then templates changed (with hostile Markdown in them) and `nb-release preview` run."""

from __future__ import annotations

import shutil
from collections.abc import Iterator

import pytest

from pipeline.cli.main import main
from tests.preview.support import HOSTILE, ROOT, PreviewRun, repos


@pytest.fixture(scope="module")
def preview_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PreviewRun]:
    tmp = tmp_path_factory.mktemp("preview")
    folder = tmp / "project"
    folder.mkdir()
    shutil.copytree(ROOT / "cards", folder / "cards")
    shutil.copy(ROOT / "models.toml", folder / "models.toml")
    source = ("--manifest", str(folder / "models.toml"), "--cards", str(folder / "cards"))
    with pytest.MonkeyPatch.context() as env:
        env.delenv("HF_TOKEN", raising=False)
        env.delenv("NB_RELEASE_HUB", raising=False)
        env.setenv("HF_HOME", str(tmp / "hf-home"))
        env.setenv("HF_HUB_CACHE", str(tmp / "hf-cache"))
        # The embedded local Hub, kept in one folder across the runs: the first release
        # publishes every card, as the previous render.
        hub_args = ("--hub", "local", "--hub-root", str(tmp / "hub"))
        assert main(["release", "--yes", *source, *hub_args]) == 0
        layout = folder / "cards" / "_layout.md.j2"
        text = layout.read_text(encoding="utf-8")
        marker = "### Citing & Authors"
        assert marker in text
        text = text.replace(marker, HOSTILE + marker, 1)
        # and a sentence of the overview reworded, so a block near the top of each card changes
        text = text.replace("The basic idea with this model series", "The idea of this series", 1)
        layout.write_text(text, encoding="utf-8")
        out = tmp / "site"
        status = main(["preview", "--out", str(out), *source, *hub_args])
        yield PreviewRun(folder, out / "index.html", status, repos(folder), source, hub_args)
