"""The cache on its own: where it lives, checksums, concurrent writers."""

from __future__ import annotations

import shutil
import threading
from pathlib import Path

import pytest

import pipeline
from pipeline.hub.cache import _PACKAGE, Cache, _code_stamp, card_digest, default_root, face_of
from pipeline.records import CardFace, ManagedFile, RenderedCard, SameHead


def test_location_follows_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("NB_RELEASE_CACHE", str(tmp_path / "explicit"))
    assert default_root() == tmp_path / "explicit"
    monkeypatch.delenv("NB_RELEASE_CACHE")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert default_root() == tmp_path / "xdg" / "nb-release"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert default_root() == tmp_path / "home" / ".cache" / "nb-release"


def test_readme_entries_round_trip_including_no_readme(tmp_path: Path) -> None:
    cache = Cache(tmp_path)
    assert cache.readme("http://h", "a/b", "1" * 40) == (False, None)
    cache.put_readme("http://h", "a/b", "1" * 40, "---\nx: 1\n---\nå\n")
    cache.put_readme("http://h", "a/c", "2" * 40, None)
    assert cache.readme("http://h", "a/b", "1" * 40) == (True, "---\nx: 1\n---\nå\n")
    assert cache.readme("http://h", "a/c", "2" * 40) == (True, None)
    # Another endpoint or sha is another entry.
    assert cache.readme("http://other", "a/b", "1" * 40) == (False, None)
    assert cache.readme("http://h", "a/b", "3" * 40) == (False, None)


def test_rendered_entries_round_trip(tmp_path: Path) -> None:
    cache = Cache(tmp_path)
    cards = [RenderedCard("a/b", "b", "base.md.j2", "content\n", allow_create=True)]
    reads: dict[str, str | None] = {"base.md.j2": "1" * 64, "_gone.md.j2": None}
    cache.put_card("card:k", cards[0], reads)
    assert cache.card("card:k") == (cards[0], reads)
    assert cache.card("card:other") is None
    cache.put_rendered("sha256:f", ("sel",), ["card:k"], [face_of(c) for c in cards], "t")
    assert cache.rendered("sha256:f", ("sel",)) == cards
    assert cache.rendered("sha256:g", ("sel",)) is None
    assert cache.rendered("sha256:f", ("other",)) is None


def test_a_new_render_replaces_the_list_of_its_cards(tmp_path: Path) -> None:
    """An edit adds the cards it re-rendered, not another list of the whole family: the
    list of a selection's cards is one entry, and the fingerprint it was made from is in it."""
    cache = Cache(tmp_path)
    card = RenderedCard("a/b", "b", "base.md.j2", "content\n", allow_create=True)
    cache.put_card("card:k", card, {})
    cache.put_rendered("sha256:f", ("sel",), ["card:k"], [face_of(card)], "t")
    before = sorted(p.name for p in tmp_path.rglob("*") if p.is_file())
    cache.put_rendered("sha256:g", ("sel",), ["card:k"], [face_of(card)], "t")
    assert sorted(p.name for p in tmp_path.rglob("*") if p.is_file()) == before
    assert cache.rendered("sha256:f", ("sel",)) is None
    assert cache.rendered("sha256:g", ("sel",)) == [card]


def test_an_entry_under_another_key_is_not_taken(tmp_path: Path) -> None:
    cache = Cache(tmp_path)
    cache.put("readme", "key-1", b"one")
    # Simulate a collision: key-2's file holds key-1's entry.
    cache._path("readme", "key-2").parent.mkdir(parents=True, exist_ok=True)
    cache._path("readme", "key-2").write_bytes(cache._path("readme", "key-1").read_bytes())
    assert cache.get("readme", "key-1") == b"one"
    assert cache.get("readme", "key-2") is None


def test_an_unwritable_cache_is_skipped(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    cache = Cache(blocker)
    cache.put("readme", "k", b"v")  # no error
    assert cache.get("readme", "k") is None


def test_concurrent_writers_never_leave_half_an_entry(tmp_path: Path) -> None:
    cache = Cache(tmp_path)
    payloads = [bytes([n]) * 200_000 for n in range(4)]
    bad: list[bytes] = []
    stop = threading.Event()

    def write(payload: bytes) -> None:
        for _ in range(20):
            cache.put("readme", "same", payload)

    def read() -> None:
        while not stop.is_set():
            value = cache.get("readme", "same")
            if value is not None and value not in payloads:
                bad.append(value)

    reader = threading.Thread(target=read)
    reader.start()
    writers = [threading.Thread(target=write, args=(p,)) for p in payloads]
    for thread in writers:
        thread.start()
    for thread in writers:
        thread.join()
    stop.set()
    reader.join()
    assert not bad
    assert cache.get("readme", "same") in payloads
    assert not [p for p in tmp_path.rglob("*.tmp")]


def test_clear_counts_and_removes(tmp_path: Path) -> None:
    cache = Cache(tmp_path)
    cache.put("readme", "a", b"1")
    cache.put("rendered", "b", b"2")
    assert cache.clear() == 2
    assert cache.get("readme", "a") is None
    assert cache.clear() == 0


def test_the_runs_code_stamp_is_of_the_whole_package() -> None:
    # The renderer (pipeline/card/) is code a render depends on, not only the cache's own folder.
    assert Path(pipeline.__file__).resolve().parent == _PACKAGE


def test_the_code_stamp_covers_the_modules_of_subpackages(tmp_path: Path) -> None:
    package = tmp_path / "pipeline"
    (package / "plan").mkdir(parents=True)
    (package / "cache.py").write_text("a = 1\n", encoding="utf-8")
    (package / "plan" / "apply.py").write_text("b = 1\n", encoding="utf-8")
    before = _code_stamp(package)
    assert _code_stamp(package) == before
    (package / "plan" / "apply.py").write_text("b = 22\n", encoding="utf-8")  # another size
    edited = _code_stamp(package)
    assert edited != before
    # A module moved to another package (same name, size and time) is other code too.
    (package / "plan" / "apply.py").rename(package / "apply.py")
    assert _code_stamp(package) != edited


def _noted(cards: list[RenderedCard], heads: dict[str, str]) -> dict[str, SameHead]:
    return {c.repo_id: SameHead(heads[c.repo_id], card_digest(c), ()) for c in cards}


def test_same_heads_are_taken_only_for_the_card_they_were_found_equal_to(tmp_path: Path) -> None:
    """The heads whose files were found equal to the render are kept with the digest of that
    render: after a one-variant edit, every other card's head is still taken, the edited
    card's is not, and the entry is replaced (one per endpoint and selection), not added."""
    cache = Cache(tmp_path)
    a = RenderedCard("n/a", "a", "base.md.j2", "card a\n")
    b = RenderedCard("n/b", "b", "base.md.j2", "card b\n")
    cache.put_same_record("http://h", ("sel",), _noted([a, b], {"n/a": "1" * 40, "n/b": "2" * 40}))
    assert cache.same_heads("http://h", ("sel",), [a, b]) == {"n/a": "1" * 40, "n/b": "2" * 40}
    edited = RenderedCard("n/b", "b", "base.md.j2", "card b, edited\n")
    assert cache.same_heads("http://h", ("sel",), [a, edited]) == {"n/a": "1" * 40}
    # Another endpoint or selection: another entry.
    assert cache.same_heads("http://other", ("sel",), [a, b]) == {}
    assert cache.same_heads("http://h", ("other",), [a, b]) == {}
    files_before = sorted(p for p in tmp_path.rglob("*") if p.is_file() and "same" in p.parts)
    noted = _noted([a, edited], {"n/a": "1" * 40, "n/b": "3" * 40})
    cache.put_same_record("http://h", ("sel",), noted)
    files_after = sorted(p for p in tmp_path.rglob("*") if p.is_file() and "same" in p.parts)
    assert files_after == files_before
    assert cache.same_heads("http://h", ("sel",), [a, edited]) == {"n/a": "1" * 40, "n/b": "3" * 40}
    assert cache.same_record("http://h", ("sel",)) == noted


def test_same_heads_see_the_companion_files(tmp_path: Path) -> None:
    cache = Cache(tmp_path)
    notice = RenderedCard("n/a", "a", "base.md.j2", "card\n", files=(ManagedFile("NOTICE", "1"),))
    cache.put_same_record("http://h", ("sel",), _noted([notice], {"n/a": "1" * 40}))
    other = RenderedCard("n/a", "a", "base.md.j2", "card\n", files=(ManagedFile("NOTICE", "2"),))
    assert cache.same_heads("http://h", ("sel",), [notice]) == {"n/a": "1" * 40}
    assert cache.same_heads("http://h", ("sel",), [other]) == {}


def test_the_same_record_keeps_the_failed_rules_and_drops_what_is_not_its_shape(
    tmp_path: Path,
) -> None:
    cache = Cache(tmp_path)
    record = {
        "n/a": SameHead("1" * 40, "d" * 64, (("llama-name", "the name ..."),)),
        "n/b": SameHead("2" * 40, "e" * 64, None),
    }
    cache.put_same_record("http://h", ("sel",), record)
    assert cache.same_record("http://h", ("sel",)) == record
    key = cache._same_key("http://h", ("sel",))
    cache.put("same", key, b'{"n/a": ["1", "d", [["rule"]]], "n/b": ["2", "e", null], "n/c": 3}')
    assert cache.same_record("http://h", ("sel",)) == {"n/b": SameHead("2", "e", None)}


def test_the_render_index_names_its_namespaces_and_faces(tmp_path: Path) -> None:
    cache = Cache(tmp_path)
    card = RenderedCard(
        "n/a",
        "a",
        "base.md.j2",
        "card\n",
        on_drift="overwrite",
        files=(ManagedFile("NOTICE", "x"),),
    )
    cache.put_card("card:k", card, {})
    cache.put_rendered("sha256:f", ("sel",), ["card:k"], [face_of(card)], "t")
    index = cache.rendered_index("sha256:f", ("sel",))
    assert index is not None
    assert (index.keys, index.namespaces) == (["card:k"], ["n"])
    assert (index.fingerprint, index.templates) == ("sha256:f", "t")
    assert cache.rendered_index("sha256:g", ("sel",)) is None
    assert cache.last_render(("sel",)) == index
    assert index.faces == (CardFace("n/a", "a", card_digest(card), "overwrite", None, ("NOTICE",)),)
    assert cache.cards(["card:k"]) == [card]
    assert cache.cards(["card:k", "card:missing"]) is None


def test_cards_read_together_hold_a_shared_companion_text_once(tmp_path: Path) -> None:
    cache = Cache(tmp_path)
    licence = "LLAMA 3.1 COMMUNITY LICENSE AGREEMENT\n" * 200
    for name in ("a", "b"):
        card = RenderedCard(
            f"n/{name}",
            name,
            "base.md.j2",
            f"card {name}\n",
            files=(ManagedFile("LICENSE", licence),),
        )
        cache.put_card(f"card:{name}", card, {})
    found = cache.cards(["card:a", "card:b"])
    assert found is not None
    first, second = (card.files[0].content for card in found)
    assert first == second == licence
    assert first is second  # one string in memory, not one per repo


def test_a_commits_file_names_round_trip(tmp_path: Path) -> None:
    cache = Cache(tmp_path)
    assert cache.tree("http://h", "a/b", "1" * 40) is None
    cache.put_tree("http://h", "a/b", "1" * 40, frozenset({"README.md", "NOTICE", "å.gguf"}))
    assert cache.tree("http://h", "a/b", "1" * 40) == frozenset({"README.md", "NOTICE", "å.gguf"})
    assert cache.tree("http://h", "a/b", "2" * 40) is None
    assert cache.tree("http://other", "a/b", "1" * 40) is None


def test_a_folder_removed_beside_a_run_is_made_again_at_the_next_put(tmp_path: Path) -> None:
    # Folders are made once a run; one removed since (`cache clear` in another terminal, an
    # eviction) is made again, and the entry is kept.
    cache = Cache(tmp_path / "cache")
    cache.put("readme", "first", b"one")
    shutil.rmtree(tmp_path / "cache" / "v1")
    cache.put("readme", "first", b"again")
    assert cache.get("readme", "first") == b"again"
