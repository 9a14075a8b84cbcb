"""The manifest's TOML is parsed once per run, whoever reads it, and no reader can change what
another reads."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import pytest

from pipeline.manifest import _file
from pipeline.manifest._file import recall_document
from pipeline.manifest.scope import managed_scope
from pipeline.manifest.sources import copy_sources, rule_settings, toml_document

ROOT = Path(__file__).resolve().parents[1]
SOURCE = (ROOT / "models.toml").read_bytes() + b"\n# parsed-once test\n"


def _count_parses(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """tomllib's parses from now on (the length of each text), with this run's memo empty."""
    calls: list[int] = []
    real = tomllib.loads

    def counted(text: str, **kwargs: Any) -> dict[str, Any]:
        calls.append(len(text))
        return real(text, **kwargs)

    monkeypatch.setattr(tomllib, "loads", counted)
    monkeypatch.setattr(_file, "_PARSED", {})
    return calls


def test_every_reader_shares_one_parse(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = _count_parses(monkeypatch)
    path = ROOT / "models.toml"
    copy_sources(SOURCE)
    rule_settings(path, SOURCE)
    managed_scope(path, SOURCE)
    toml_document(SOURCE)
    _file.parse_manifest(str(path), SOURCE)
    assert len(calls) == 1
    toml_document(SOURCE + b"\n# another\n")
    assert len(calls) == 2


def test_each_reader_gets_its_own_copy(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_file, "_PARSED", {})
    first = toml_document(SOURCE)
    assert first is not None
    first["models"][0]["name"] = "changed"
    first["defaults"].clear()
    first["models"].append({"name": "added"})
    second = toml_document(SOURCE)
    assert second == tomllib.loads(SOURCE.decode("utf-8"))


def test_a_document_that_is_not_toml_is_none_every_time() -> None:
    assert toml_document(b"[[models]\nname = 1\n") is None
    assert toml_document(b"\xff\xfe") is None
    assert toml_document(b"a = [" * 5000) is None  # tomllib's RecursionError


def test_a_byte_order_mark_reads_as_the_validation_reads_it() -> None:
    assert toml_document(b"\xef\xbb\xbfa = 1\n") == {"a": 1}


def test_the_copy_keeps_dates_and_nesting() -> None:
    text = "when = 2024-05-01\n[a.b]\nc = [[1, 2], [{d = 1979-05-27T07:32:00Z}]]\n"
    assert _file._copied(tomllib.loads(text)) == tomllib.loads(text)


class _Store:
    def __init__(self) -> None:
        self.kept: dict[tuple[str, str], bytes] = {}

    def get(self, kind: str, key: str) -> bytes | None:
        return self.kept.get((kind, key))

    def put(self, kind: str, key: str, payload: bytes) -> None:
        self.kept[(kind, key)] = payload


def test_a_later_run_takes_the_parse_kept_in_the_store(monkeypatch: pytest.MonkeyPatch) -> None:
    store = _Store()
    monkeypatch.setattr(_file, "_PARSED", {})
    recall_document(SOURCE, store)  # parsed now, and kept
    assert len(store.kept) == 1
    expected = tomllib.loads(SOURCE.decode("utf-8"))
    calls = _count_parses(monkeypatch)  # the next run
    recall_document(SOURCE, store)
    assert toml_document(SOURCE) == expected
    assert calls == []
    # A corrupt entry is parsed again, and replaced.
    (key,) = store.kept
    store.kept[key] = b"{broken"
    monkeypatch.setattr(_file, "_PARSED", {})
    recall_document(SOURCE, store)
    assert len(calls) == 1
    assert toml_document(SOURCE) == expected


def test_dates_and_broken_toml_are_not_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    store = _Store()
    monkeypatch.setattr(_file, "_PARSED", {})
    recall_document(b"when = 2024-05-01\n", store)
    recall_document(b"[[models]\n", store)
    recall_document(b"\xff", store)
    assert store.kept == {}
    assert toml_document(b"when = 2024-05-01\n") == {
        "when": tomllib.loads("when = 2024-05-01")["when"]
    }


def test_an_edited_manifest_replaces_its_kept_parse(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """One entry per manifest file: an edit does not add another copy of the family."""
    store = _Store()
    path = tmp_path / "models.toml"
    monkeypatch.setattr(_file, "_PARSED", {})
    recall_document(SOURCE, store, path)
    monkeypatch.setattr(_file, "_PARSED", {})
    recall_document(SOURCE + b"\n# an edit\n", store, path)
    assert len(store.kept) == 1
    recall_document(SOURCE, store, tmp_path / "other.toml")
    assert len(store.kept) == 2
