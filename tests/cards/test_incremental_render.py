"""Incremental render: each card is re-rendered only when something it reads has changed.

A card's cache entry is keyed by its resolved variant (and the variants its context shows: its
parent, its quantised versions), the kept edit of its repo and nb-release's code, and it holds
the digest of every file under cards/ the render loaded (templates, includes, data files). The
renders counted here are the entries a render writes to a real cache.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import tomlkit
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.card.render import Selection, render_all
from pipeline.hub.cache import Cache
from pipeline.manifest.sources import load_sources
from pipeline.records import RenderedCard

ROOT = Path(__file__).resolve().parents[2]
EVERY = Selection()


class CountingCache(Cache):
    """A real cache on disk that also notes the repo of each card entry it is given."""

    def __init__(self, root: Path) -> None:
        super().__init__(root)
        self.written: list[str] = []

    def put_card(self, key: str, card: RenderedCard, reads: dict[str, str | None]) -> None:
        self.written.append(card.repo_id)
        super().put_card(key, card, reads)


def _project(tmp_path: Path) -> Path:
    shutil.copytree(ROOT / "cards", tmp_path / "cards")
    shutil.copy(ROOT / "models.toml", tmp_path / "models.toml")
    return tmp_path


def _render(project: Path, cache: Cache | None) -> list[RenderedCard]:
    from pipeline.plan.planning import render_cards

    files, manifest = load_sources(project / "models.toml", project / "cards")
    return render_cards(files, manifest, EVERY, cache)


def _plain(project: Path) -> list[RenderedCard]:
    """The render without any cache: every card rendered now."""
    files, manifest = load_sources(project / "models.toml", project / "cards")
    return render_all(manifest, files, EVERY)


def _set(project: Path, variant: str, key: str, value: object) -> None:
    path = project / "models.toml"
    doc = tomlkit.parse(path.read_text(encoding="utf-8"))
    (entry,) = [m for m in doc["models"] if m["name"] == variant]
    entry[key] = value
    path.write_text(tomlkit.dumps(doc), encoding="utf-8")


def _every_repo(project: Path) -> set[str]:
    return {card.repo_id for card in _plain(project)}


def test_a_warm_render_re_renders_nothing(tmp_path: Path) -> None:
    project = _project(tmp_path / "p")
    cache = CountingCache(tmp_path / "cache")
    first = _render(project, cache)
    assert sorted(cache.written) == sorted(c.repo_id for c in first)
    cache.written.clear()
    assert _render(project, cache) == first
    assert cache.written == []


def test_a_one_variant_edit_re_renders_that_card_and_its_children_only(tmp_path: Path) -> None:
    project = _project(tmp_path / "p")
    cache = CountingCache(tmp_path / "cache")
    _render(project, cache)
    cache.written.clear()
    _set(project, "nb-llama-3.1-8B", "knowledge_cutoff", "June 2024")
    cards = _render(project, cache)
    assert sorted(cache.written) == [
        "NbAiLab/nb-llama-3.1-8B",
        "NbAiLab/nb-llama-3.1-8B-Q4_K_M-GGUF",
        "NbAiLab/nb-llama-3.1-8B-sft",
    ]
    assert cards == _plain(project)


def test_a_variant_moved_down_the_manifest_is_not_re_rendered(tmp_path: Path) -> None:
    """A card reads no position: an edit that adds lines above a variant leaves its card be."""
    project = _project(tmp_path / "p")
    cache = CountingCache(tmp_path / "cache")
    _render(project, cache)
    cache.written.clear()
    _set(project, "nb-llama-3.2-1B", "year", 2025)  # a new line near the top
    _render(project, cache)
    # The variant, and the quantised variant that shows it as its parent.
    assert sorted(cache.written) == [
        "NbAiLab/nb-llama-3.2-1B",
        "NbAiLab/nb-llama-3.2-1B-Q4_K_M-GGUF",
    ]


def test_a_template_edit_re_renders_the_cards_that_use_it_only(tmp_path: Path) -> None:
    project = _project(tmp_path / "p")
    cache = CountingCache(tmp_path / "cache")
    first = _render(project, cache)
    cache.written.clear()
    gguf = project / "cards/gguf.md.j2"
    heading = "### Model Overview\n"
    gguf.write_text(gguf.read_text(encoding="utf-8").replace(heading, heading + "Edited.\n", 1))
    cards = _render(project, cache)
    users = sorted(c.repo_id for c in first if c.template == "gguf.md.j2")
    assert sorted(cache.written) == users and len(users) < len(first)
    assert cards == _plain(project)


def test_an_included_data_file_edit_re_renders_the_cards_that_include_it_only(
    tmp_path: Path,
) -> None:
    project = _project(tmp_path / "p")
    cache = CountingCache(tmp_path / "cache")
    _render(project, cache)
    cache.written.clear()
    text = project / "cards/licenses/llama-3.3.txt"
    text.write_text(text.read_text(encoding="utf-8") + "An added line.\n", encoding="utf-8")
    cards = _render(project, cache)
    assert cache.written == ["NbAiLab/nb-notram-llama-3.3-70b-instruct"]
    assert cards == _plain(project)


# --- random edits: the render is the same with and without the cache --------------------------

_VARIANTS = (
    "nb-llama-3.2-1B",
    "nb-llama-3.1-8B",
    "nb-llama-3.1-8B-sft",
    "nb-notram-llama-3.3-70b-instruct",
    "nb-llama-3.2-1B-Q4_K_M-GGUF",
)
_TEMPLATES = ("_layout.md.j2", "base.md.j2", "gguf.md.j2", "sft.md.j2", "files/NOTICE.j2")

_manifest_edit = st.tuples(
    st.just("manifest"),
    st.sampled_from(_VARIANTS),
    st.sampled_from(("knowledge_cutoff", "year", "display_name")),
    st.integers(min_value=0, max_value=3),
)
_template_edit = st.tuples(
    st.just("template"), st.sampled_from(_TEMPLATES), st.just(""), st.integers(0, 3)
)


def _apply(project: Path, edit: tuple[str, str, str, int]) -> None:
    what, target, key, n = edit
    if what == "manifest":
        value: object = {
            "knowledge_cutoff": f"May {2020 + n}",
            "year": 2020 + n,
            "display_name": f"NB-Llama edited {n}",
        }[key]
        _set(project, target, key, value)
        return
    path = project / "cards" / target
    text = path.read_text(encoding="utf-8")
    # A line of text at the end of the first line: inside a block or outside one, both count.
    first, _, rest = text.partition("\n")
    path.write_text(f"{first}\n{{# edit {n} #}}Edit {n}.\n{rest}", encoding="utf-8")


@settings(
    max_examples=8,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(edits=st.lists(st.one_of(_manifest_edit, _template_edit), min_size=1, max_size=3))
def test_renders_are_the_same_with_and_without_the_cache_after_random_edits(
    edits: list[tuple[str, str, str, int]],
) -> None:
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        project = _project(root / "p")
        cache = Cache(root / "cache")
        assert _render(project, cache) == _plain(project)
        for edit in edits:
            _apply(project, edit)
            try:
                plain = _plain(project)
            except Exception as exc:  # an edit the family refuses fails alike either way
                try:
                    _render(project, cache)
                except Exception as again:
                    assert str(again) == str(exc)
                    continue
                raise AssertionError("the cached render took what the plain one refuses") from exc
            assert _render(project, cache) == plain  # incremental: per-card entries
            assert _render(project, cache) == plain  # warm: the whole render's index
            assert _render(project, None) == plain  # no cache at all
