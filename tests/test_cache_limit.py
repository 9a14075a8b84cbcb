"""The cache's size limit: least recently used entries leave first, and the limit holds."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from pipeline.errors import PipelineError
from pipeline.hub.cache import DEFAULT_MAX_MB, Cache, default_max_bytes

MB = 1024 * 1024


def _size(root: Path) -> int:
    return sum(p.stat().st_size for p in root.rglob("*") if p.is_file())


def _age(cache: Cache, key: str, seconds: float) -> None:
    """Make the entry of `key` look last used `seconds` ago."""
    when = time.time() - seconds
    os.utime(cache._path("readme", key), (when, when))


def test_the_limit_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NB_RELEASE_CACHE_MAX_MB", raising=False)
    assert default_max_bytes() == DEFAULT_MAX_MB * MB == 256 * MB
    monkeypatch.setenv("NB_RELEASE_CACHE_MAX_MB", "12")
    assert default_max_bytes() == 12 * MB
    for bad in ("0", "-3", "1.5", "lots"):
        monkeypatch.setenv("NB_RELEASE_CACHE_MAX_MB", bad)
        with pytest.raises(PipelineError, match=f"NB_RELEASE_CACHE_MAX_MB is '{bad}'"):
            default_max_bytes()


def test_the_least_recently_used_entry_leaves_first(tmp_path: Path) -> None:
    cache = Cache(tmp_path, max_bytes=3_500)
    for key in ("a", "b", "c"):
        cache.put("readme", key, b"x" * 1_000)
    _age(cache, "a", 300)
    _age(cache, "b", 200)
    _age(cache, "c", 100)
    assert cache.get("readme", "a") is not None  # a read is a use: "a" is now the newest
    cache.put("readme", "d", b"x" * 1_000)  # over the limit: the oldest use goes
    assert cache.get("readme", "b") is None
    assert cache.get("readme", "a") is not None
    assert cache.get("readme", "d") is not None
    assert _size(tmp_path) <= 3_500


def test_the_cache_never_exceeds_its_limit(tmp_path: Path) -> None:
    cache = Cache(tmp_path, max_bytes=20_000)
    for n in range(200):
        cache.put("readme", f"k{n}", bytes([n % 256]) * (100 + 37 * (n % 50)))
        assert _size(tmp_path) <= 20_000, n
    # The newest entries are kept, and each is what was stored.
    assert cache.get("readme", "k199") == bytes([199]) * (100 + 37 * 49)


def test_an_entry_larger_than_the_limit_is_not_kept(tmp_path: Path) -> None:
    cache = Cache(tmp_path, max_bytes=1_000)
    cache.put("readme", "small", b"s" * 100)
    cache.put("readme", "huge", b"h" * 5_000)
    assert cache.get("readme", "huge") is None
    assert cache.get("readme", "small") == b"s" * 100


def test_runs_sharing_a_cache_each_keep_the_limit(tmp_path: Path) -> None:
    """Another run (another Cache on the same folder) filled it: the next put counts its
    entries too."""
    Cache(tmp_path, max_bytes=10_000).put("readme", "old", b"o" * 6_000)
    _age(Cache(tmp_path), "old", 60)
    later = Cache(tmp_path, max_bytes=10_000)
    later.put("readme", "new", b"n" * 6_000)
    assert later.get("readme", "old") is None
    assert later.get("readme", "new") == b"n" * 6_000


def _hammer(caches: list[Cache], workers: int) -> list[BaseException]:
    """`workers` threads putting and reading entries of their own, each through
    caches[worker % len(caches)]; what went wrong."""
    errors: list[BaseException] = []

    def payload(worker: int, n: int) -> bytes:
        return f"{worker}:{n}:".encode() * (50 + n % 40)

    def work(worker: int) -> None:
        cache = caches[worker % len(caches)]
        try:
            for n in range(150):
                cache.put("readme", f"{worker}-{n}", payload(worker, n))
                back = (n * 7) % (n + 1)
                got = cache.get("readme", f"{worker}-{back}")
                if got is not None and got != payload(worker, back):
                    raise AssertionError("an entry came back other than it was stored")
        except BaseException as error:  # reported on the test's thread
            errors.append(error)

    threads = [threading.Thread(target=work, args=(w,)) for w in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors


def test_concurrent_puts_of_one_run_keep_the_limit_and_whole_entries(tmp_path: Path) -> None:
    cache = Cache(tmp_path, max_bytes=60_000)
    assert not _hammer([cache], workers=6)
    assert not list(tmp_path.rglob("*.tmp"))
    assert _size(tmp_path) <= 60_000
    kept = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert len(kept) >= 60  # the limit's worth of entries stays (about 100 of these)


def test_runs_at_the_same_time_are_brought_under_the_limit_by_the_next(tmp_path: Path) -> None:
    limit = 60_000
    assert not _hammer([Cache(tmp_path, max_bytes=limit) for _ in range(2)], workers=6)
    assert not list(tmp_path.rglob("*.tmp"))
    following = Cache(tmp_path, max_bytes=limit)
    following.put("readme", "last", b"z")  # its first put counts every run's entries
    assert _size(tmp_path) <= limit
    assert following.get("readme", "last") == b"z"


def test_a_partial_entry_of_a_killed_writer_is_ignored_and_evicted(tmp_path: Path) -> None:
    cache = Cache(tmp_path, max_bytes=5_000)
    cache.put("readme", "k", b"v" * 100)
    path = cache._path("readme", "k")
    # A writer killed mid-write leaves its temp file; one killed before its rename, nothing.
    leftover = path.with_name(f".{path.name}.dead.tmp")
    leftover.write_bytes(path.read_bytes()[:40])
    os.utime(leftover, (time.time() - 3_600, time.time() - 3_600))
    path.write_bytes(path.read_bytes()[:-10])  # a truncated entry (not written by put)
    assert cache.get("readme", "k") is None
    for n in range(10):
        cache.put("readme", f"n{n}", b"w" * 450)
    assert not leftover.exists()  # the oldest file of all went first
    assert _size(tmp_path) <= 5_000


def test_clear_still_removes_everything(tmp_path: Path) -> None:
    cache = Cache(tmp_path, max_bytes=10_000)
    cache.put("readme", "a", b"1")
    cache.put("rendered", "b", b"2")
    assert cache.clear() == 2
    cache.put("readme", "c", b"3")  # the count starts again from the emptied folder
    assert cache.get("readme", "c") == b"3"


def test_a_runs_first_put_reads_the_count_instead_of_scanning(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The count of the cache's bytes is kept beside it (a scan's total and a journal of the
    puts since), so a run's first put stats no entry; it is the bytes on the disk."""
    first = Cache(tmp_path, max_bytes=10 * MB)
    for n in range(30):
        first.put("readme", f"k{n}", b"x" * (100 + n))
    scans: list[int] = []
    real = Cache._files

    def counted(self: Cache) -> list[tuple[float, int, Path]]:
        scans.append(1)
        return real(self)

    monkeypatch.setattr(Cache, "_files", counted)
    later = Cache(tmp_path, max_bytes=10 * MB)
    later.put("readme", "new", b"n" * 500)
    assert scans == []
    assert later._used is not None
    assert _size(tmp_path) <= later._used <= _size(tmp_path) + 64  # `usage` counted at 64 bytes


def test_a_cache_without_its_count_is_scanned_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A cache an older nb-release wrote (no count), or one whose count is unreadable: the
    first put scans it, and the count it keeps is right."""
    first = Cache(tmp_path, max_bytes=10 * MB)
    for n in range(10):
        first.put("readme", f"k{n}", b"x" * 300)
    for broken in (None, b"{not json", b'{"bytes": "many", "journal": 0}'):
        usage = tmp_path / "v1" / "usage"
        if broken is None:
            usage.unlink()
        else:
            usage.write_bytes(broken)
        scans: list[int] = []
        with monkeypatch.context() as patched:
            patched.setattr(Cache, "_files", _counting(scans))
            later = Cache(tmp_path, max_bytes=10 * MB)
            later.put("readme", f"after-{broken!r}", b"y" * 300)
            later.put("readme", f"after-2-{broken!r}", b"y" * 300)
        assert scans == [1], broken
        assert later._used is not None
        assert _size(tmp_path) <= later._used <= _size(tmp_path) + 64, broken


def _counting(scans: list[int]) -> Any:
    real = Cache._files

    def counted(self: Cache) -> list[tuple[float, int, Path]]:
        scans.append(1)
        return real(self)

    return counted


def test_the_count_survives_many_runs_and_an_eviction(tmp_path: Path) -> None:
    """Run after run, each a new Cache: the limit holds and the count stays the bytes on the
    disk (the journal starts again after an eviction once it is long)."""
    for run in range(12):
        cache = Cache(tmp_path, max_bytes=30_000)
        for n in range(40):
            cache.put("readme", f"{run}-{n}", bytes([n]) * (200 + 13 * n))
            assert _size(tmp_path) <= 30_000, (run, n)
        assert cache._used is not None and cache._used >= _size(tmp_path) - 64
