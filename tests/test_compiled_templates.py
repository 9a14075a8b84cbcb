"""Jinja's compiled templates kept in the cache: a later run loads a template's code instead of
parsing and compiling it again, renders the same text, and a changed template is compiled
afresh (its code is keyed by its text). The incremental render tells each card as soon as it has
it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jinja2
import pytest

from pipeline.card._templating import make_environment
from pipeline.hub.cache import Cache
from pipeline.records import RenderedCard


def _render(cache: Cache, text: bytes, tmp_path: Path) -> str:
    env = make_environment(tmp_path / "cards", {"card.md.j2": text}, cache)
    return env.get_template("card.md.j2").render(name="NB-Llama")


def test_a_template_is_compiled_once_across_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    compiled: list[str] = []
    compile_ = jinja2.Environment.compile

    def counting(self: jinja2.Environment, source: str, *args: Any, **kwargs: Any) -> Any:
        compiled.append(source)
        return compile_(self, source, *args, **kwargs)

    monkeypatch.setattr(jinja2.Environment, "compile", counting)
    template = b"# {{ name }}\n{% for x in range(2) %}{{ x }}{% endfor %}\n"
    first = _render(Cache(tmp_path / "cache"), template, tmp_path)
    assert first == "# NB-Llama\n01\n" and len(compiled) == 1
    # A new environment and a new Cache object over the same folder: a later run.
    again = _render(Cache(tmp_path / "cache"), template, tmp_path)
    assert again == first and len(compiled) == 1  # loaded, not compiled
    edited = _render(Cache(tmp_path / "cache"), template + b"{{ name | upper }}\n", tmp_path)
    assert edited == "# NB-Llama\n01\nNB-LLAMA\n" and len(compiled) == 2


def test_compiled_code_runs_in_the_sandbox_as_ever(tmp_path: Path) -> None:
    # The sandbox's checks are in the environment the loaded code calls, not in the cache.
    hostile = b"{{ ''.__class__.__mro__ }}\n"
    for _ in range(2):  # compiled, then loaded from the cache
        with pytest.raises(Exception, match="is unsafe"):
            _render(Cache(tmp_path / "cache"), hostile, tmp_path)


def test_each_card_is_told_as_soon_as_it_is_had_and_a_skipped_one_is_not(tmp_path: Path) -> None:
    # The plan asks the Hub about a card the moment it is rendered (or taken from the cache),
    # while the rest are rendered; a card the caller knows already (skipped) is not told.
    from pipeline.card.render import render_incremental
    from pipeline.manifest.sources import load_sources

    root = Path(__file__).resolve().parent.parent
    files, manifest = load_sources(root / "models.toml", root / "cards")
    cache = Cache(tmp_path / "cache")
    told: list[RenderedCard] = []
    cards, keys = render_incremental(manifest, files, store=cache, on_rendered=told.append)
    assert [c.repo_id for c in cards] == [v.repo_id for v in manifest.variants]
    assert told == cards  # rendered now, each told in order
    told.clear()
    again, _ = render_incremental(manifest, files, store=cache, on_rendered=told.append)
    assert told == again == cards  # taken from the cache, each told too
    told.clear()
    rest, _ = render_incremental(
        manifest, files, store=cache, skip=set(keys[1:]), on_rendered=told.append
    )
    assert told == rest == cards[:1]
