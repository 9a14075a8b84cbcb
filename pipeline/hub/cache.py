"""A local cache that makes warm plans cheap without ever changing their answer.

The kinds of entry, each keyed by everything its value depends on:

- `readme`: README.md of a repo at a commit, keyed by (endpoint, repo, head sha). A commit is
  immutable, so the entry is true for as long as that sha is the head; the listing says which
  sha is the head now.
- `history`: the commits of a repo below a commit sha, newest first (immutable, like `readme`).
- `tree`: the file paths of a repo at a commit (immutable), for the compliance rules of a repo a
  warm plan compares (its listing names the heads alone).
- `own`: the newest commit nb-release itself made in a repo, keyed by (endpoint, repo), and
  given only for that commit's sha: the record that nb-release made it, which a commit whose
  trailers were copied from a release does not have.
- `card`: one rendered card, keyed by what its render reads that is known before it renders
  (card/incremental.py) and nb-release's version and code; it holds the digest of every file
  under cards/ the render loaded, and is taken only while those are unchanged. A one-variant
  edit renders that card (and the cards that show it) again, nothing else.
- `rendered`: per selection, the fingerprint of the manifest and cards/ last rendered, the key
  of each of its cards and their namespaces, so an unchanged project is neither validated nor
  rendered again (and its listing can start before its cards are loaded).
- `same`: per endpoint and selection, the head sha of every repo whose README.md and companion
  files at that sha were found byte-identical to its rendered card, with the digest of that
  card. A warm plan whose listing shows the same heads takes those cards as they are: one entry
  read instead of one per repo. A card whose render changed since (another digest) is not
  taken, so the entry survives a one-variant edit for every other card, and it is overwritten,
  not added to, when it changes.

Entries are files named by the sha256 of their key and written atomically (a temp file, then a
rename), so concurrent runs never see half an entry. Each stores its key and a checksum of its
payload; an entry that does not match (corrupt, truncated, a hash collision) is ignored.

The cache lives in the user's cache directory: $NB_RELEASE_CACHE, else
$XDG_CACHE_HOME/nb-release, else ~/.cache/nb-release.

Its size is bounded: $NB_RELEASE_CACHE_MAX_MB megabytes (default 256: a warm plan of 5,000 repos of
the shipped family, a card, its NOTICE and LICENSE each, needs about 140: its render and the live
files, about 28 KB a repo), counted as the bytes of its files. Least recently used entries leave
first. A use is a write or a read; a read marks its entry by its modification time (the access time
is unreliable: noatime and relatime mounts), at most once a minute per entry, so a warm plan does
not rewrite metadata for every file it reads. After each put the run counts the cache and, once
over the limit, scans the folder and removes the oldest files until the cache is under 90% of it
(so the next puts need no scan).

The count needs no scan either: a scan's total is kept in `usage`, and every put appends its size
to `journal` (one short append, atomic on a local file system), so a run's first put reads two
small files instead of stat-ing every entry (at 5,000 repos, some 20,000 files). Without them (a new
cache, or one an older nb-release wrote) the first put scans. The two files count toward the limit.

Concurrent runs are safe: a removed entry is a miss for a reader (one that has it open keeps
reading it), a put whose temp file was removed is skipped, and two runs removing the same file
both go on. A put is journaled after its entry is written and a scan notes the journal's length
before it starts, so a put is never missed by the count (at worst counted twice until the next
scan); runs overlapping in time may together exceed the limit by what they write before the next
put that counts. A writer killed mid-write leaves a temp file no reader takes (only a renamed file
is an entry); it is counted and, as the oldest file, removed first.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import os
import secrets
import shutil
import threading
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from pipeline import __version__
from pipeline.errors import PipelineError
from pipeline.ownership import POLICIES, README
from pipeline.records import CardFace, CommitRecord, ManagedFile, RenderedCard, SameHead

_LAYOUT = "v1"
_MAGIC = b"nb-release-cache 1\n"
DEFAULT_MAX_MB = 256
_MB = 1024 * 1024
_TOUCH_AFTER = 60.0  # seconds: a read marks its entry as used at most this often
_LOW_WATER = 0.9  # an eviction leaves the cache at this share of its limit
# The running count of the cache's bytes (see the module's docstring), beside the entry folders.
_USAGE = "usage"
_JOURNAL = "journal"
_JOURNAL_MAX = 1024 * 1024  # an eviction starts the journal again once it is this long
_USAGE_BYTES = 64  # `usage` ({"bytes": ..., "journal": ...}) is never longer


def default_max_bytes() -> int:
    """The size limit: $NB_RELEASE_CACHE_MAX_MB megabytes, else DEFAULT_MAX_MB."""
    raw = os.environ.get("NB_RELEASE_CACHE_MAX_MB", "").strip()
    if not raw:
        return DEFAULT_MAX_MB * _MB
    if not raw.isdigit() or int(raw) < 1:
        raise PipelineError(
            f"NB_RELEASE_CACHE_MAX_MB is {raw!r}: expected a whole number of megabytes, at least 1",
            hint=f"unset it for the default ({DEFAULT_MAX_MB} MB)",
        )
    return int(raw) * _MB


def default_root() -> Path:
    explicit = os.environ.get("NB_RELEASE_CACHE")
    if explicit:
        return Path(explicit)
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg) if xdg else Path.home() / ".cache"
    return base / "nb-release"


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class Cache:
    """Content-addressed entries under `root`; every failure to read is a miss, never an error."""

    def __init__(self, root: Path | None = None, max_bytes: int | None = None) -> None:
        self.root = root if root is not None else default_root()
        self.max_bytes = max_bytes if max_bytes is not None else default_max_bytes()
        self._used: int | None = None  # this run's count of the cache's bytes (None: not yet)
        self._folders: set[Path] = set()  # the entry folders this run has seen exist
        self._lock = threading.Lock()

    def _path(self, kind: str, key: str) -> Path:
        name = _digest(key.encode("utf-8"))
        return self.root / _LAYOUT / kind / name[:2] / name

    def get(self, kind: str, key: str) -> bytes | None:
        path = self._path(kind, key)
        try:
            with open(path, "rb") as handle:
                used = os.fstat(handle.fileno()).st_mtime
                raw = handle.read()
        except OSError:
            return None
        payload = self._valid(key, raw)
        if payload is not None and time.time() - used > _TOUCH_AFTER:
            with contextlib.suppress(OSError):
                os.utime(path)  # used now: the last to leave
        return payload

    @staticmethod
    def _valid(key: str, raw: bytes) -> bytes | None:
        """The payload of an entry file, when it is whole and holds `key`."""
        if not raw.startswith(_MAGIC):
            return None
        header, sep, payload = raw[len(_MAGIC) :].partition(b"\n")
        if not sep:
            return None
        try:
            meta = json.loads(header)
        except ValueError:
            return None
        if not isinstance(meta, dict) or meta.get("key") != key:
            return None
        if meta.get("sha256") != _digest(payload):
            return None
        return payload

    def put(self, kind: str, key: str, payload: bytes) -> None:
        """Store an entry; a cache that cannot be written is skipped (it is only a cache)."""
        path = self._path(kind, key)
        header = json.dumps({"key": key, "sha256": _digest(payload)}).encode("utf-8")
        data = _MAGIC + header + b"\n" + payload
        if len(data) > self.max_bytes:
            return  # it would push out everything else and still not fit
        temp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
        try:
            self._write(temp, data)
            os.replace(temp, path)
        except OSError:
            with contextlib.suppress(OSError):
                temp.unlink()
            return
        self._count(path, len(data))

    def _write(self, temp: Path, data: bytes) -> None:
        """Write `temp`, its folder made once a run (not stat-ed at every put) and again if it
        was removed since (an eviction, `cache clear` beside this run)."""
        folder = temp.parent
        if folder not in self._folders:
            folder.mkdir(parents=True, exist_ok=True)
            self._folders.add(folder)
        try:
            temp.write_bytes(data)
        except FileNotFoundError:
            folder.mkdir(parents=True, exist_ok=True)
            temp.write_bytes(data)

    def _count(self, written: Path, size: int) -> None:
        """Add a put to the run's count; over the limit, remove the least recently used files."""
        with self._lock:
            size += self._journal(size)  # the journal's line is on the disk too
            if self._used is None:
                self._used = self._recorded()
            else:
                self._used += size  # a replaced entry is counted twice: never an undercount
            if self._used > self.max_bytes:
                self._used = self._evict(written)

    def _journal(self, size: int) -> int:
        """Append a put's size to the journal; the bytes appended."""
        line = f"{size}\n".encode()
        try:
            fd = os.open(self.root / _LAYOUT / _JOURNAL, os.O_WRONLY | os.O_APPEND | os.O_CREAT)
        except OSError:
            return 0
        try:
            return os.write(fd, line)
        except OSError:
            return 0
        finally:
            os.close(fd)

    def _recorded(self) -> int:
        """The cache's bytes (this put's included): the last scan's total plus the sizes put
        since, from `usage` and `journal`; a scan when they are missing or unreadable."""
        folder = self.root / _LAYOUT
        try:
            usage = json.loads((folder / _USAGE).read_bytes())
            with open(folder / _JOURNAL, "rb") as handle:
                handle.seek(int(usage["journal"]))
                since = handle.read()
            total = int(usage["bytes"]) + sum(int(n) for n in since.split()) + len(since)
        except (OSError, ValueError, TypeError, KeyError):
            total = -1
        if total >= 0:
            return total
        length = self._overhead() - _USAGE_BYTES  # before the scan: see _scanned
        return self._scanned(self._files(), length)

    def _scanned(self, files: list[tuple[float, int, Path]], length: int) -> int:
        """Record a scan's total in `usage`, with `length`, the journal's length taken before
        the scan began: a put journaled after it is counted from the journal (and counted
        twice if the scan saw it too: never an undercount); the total, the journal and
        `usage` included (they are on the disk too)."""
        total = sum(size for _, size, _ in files)
        folder = self.root / _LAYOUT
        with contextlib.suppress(OSError):
            usage = json.dumps({"bytes": total + length + _USAGE_BYTES, "journal": length})
            temp = folder / f".{_USAGE}.{secrets.token_hex(4)}.tmp"
            temp.write_text(usage, encoding="utf-8")
            os.replace(temp, folder / _USAGE)
        return total + length + _USAGE_BYTES

    def _overhead(self) -> int:
        """The bytes of the running count's files: the journal's, and `usage` counted at most."""
        try:
            length = (self.root / _LAYOUT / _JOURNAL).stat().st_size
        except OSError:
            length = 0
        return length + _USAGE_BYTES

    def _files(self) -> list[tuple[float, int, Path]]:
        """(last use, size, path) of every file of the cache, temp files included (the running
        count's two files are not entries)."""
        found: list[tuple[float, int, Path]] = []
        top = str(self.root / _LAYOUT)
        for folder, _, names in os.walk(top):
            for name in names:
                if folder == top and name in (_USAGE, _JOURNAL):
                    continue
                path = Path(folder, name)
                with contextlib.suppress(OSError):  # removed by another run meanwhile
                    stat = path.stat()
                    found.append((stat.st_mtime, stat.st_size, path))
        return found

    def _evict(self, keep: Path) -> int:
        """Remove the oldest files (never `keep`, the entry just written) until the cache is
        under its low-water mark; the bytes left."""
        journal = self.root / _LAYOUT / _JOURNAL
        with contextlib.suppress(OSError):
            if journal.stat().st_size > _JOURNAL_MAX:
                # Before the scan: a put whose line this drops wrote its entry before, so the
                # scan sees it.
                journal.write_bytes(b"")
        overhead = self._overhead()
        length = overhead - _USAGE_BYTES
        files = sorted(self._files(), key=lambda item: item[0])
        total = sum(size for _, size, _ in files) + overhead
        if total <= self.max_bytes:
            return self._scanned(files, length)  # another run made room already
        goal = int(self.max_bytes * _LOW_WATER)
        total -= overhead  # entries only from here; _scanned adds the count's files again
        goal -= overhead
        kept: list[tuple[float, int, Path]] = []
        for index, (used, size, path) in enumerate(files):
            if total <= goal:
                kept += files[index:]
                break
            if path == keep:
                kept.append((used, size, path))
                continue
            with contextlib.suppress(OSError):
                path.unlink()
            total -= size  # gone, by this run or another
        return self._scanned(kept, length)

    def clear(self) -> int:
        """Remove every entry; the number of entries removed."""
        folder = self.root / _LAYOUT
        count = len(self._files()) if folder.exists() else 0
        shutil.rmtree(folder, ignore_errors=True)
        with self._lock:
            self._used = None
        return count

    # --- README.md at a commit --------------------------------------------------------------

    @staticmethod
    def _readme_key(endpoint: str, repo_id: str, sha: str) -> str:
        return json.dumps(["readme", endpoint, repo_id, sha])

    def holds_any(self, kind: str) -> bool:
        """Whether the cache may hold an entry of `kind` (its folder exists): a cache that holds
        none is not asked for each of thousands (a cold plan's 5,000 lookups cost 0.2 s)."""
        return (self.root / _LAYOUT / kind).is_dir()

    def readme(self, endpoint: str, repo_id: str, sha: str) -> tuple[bool, str | None]:
        """(found, content): content None means the commit has no README.md."""
        return _content(self.get("readme", self._readme_key(endpoint, repo_id, sha)))

    def put_readme(self, endpoint: str, repo_id: str, sha: str, content: str | None) -> None:
        payload = json.dumps({"content": content}, ensure_ascii=False).encode("utf-8")
        self.put("readme", self._readme_key(endpoint, repo_id, sha), payload)

    # --- another managed file at a commit (a companion such as NOTICE) ----------------------

    @staticmethod
    def _file_key(endpoint: str, repo_id: str, sha: str, path: str) -> str:
        return json.dumps(["file", endpoint, repo_id, sha, path])

    def file(self, endpoint: str, repo_id: str, sha: str, path: str) -> tuple[bool, str | None]:
        """(found, content): content None means the commit has no such file."""
        if path == README:
            return self.readme(endpoint, repo_id, sha)
        return _content(self.get("file", self._file_key(endpoint, repo_id, sha, path)))

    def put_file(
        self, endpoint: str, repo_id: str, sha: str, path: str, content: str | None
    ) -> None:
        if path == README:
            self.put_readme(endpoint, repo_id, sha, content)
            return
        payload = json.dumps({"content": content}, ensure_ascii=False).encode("utf-8")
        self.put("file", self._file_key(endpoint, repo_id, sha, path), payload)

    # --- a repo's file paths at a commit -------------------------------------------------------

    @staticmethod
    def _tree_key(endpoint: str, repo_id: str, sha: str) -> str:
        return json.dumps(["tree", endpoint, repo_id, sha])

    def tree(self, endpoint: str, repo_id: str, sha: str) -> frozenset[str] | None:
        """The file paths of the repo at the commit `sha` (immutable, like `readme`)."""
        payload = self.get("tree", self._tree_key(endpoint, repo_id, sha))
        try:
            value = json.loads(payload) if payload is not None else None
        except ValueError:
            return None
        if not isinstance(value, list) or not all(isinstance(p, str) for p in value):
            return None
        return frozenset(value)

    def put_tree(self, endpoint: str, repo_id: str, sha: str, paths: frozenset[str]) -> None:
        payload = json.dumps(sorted(paths), ensure_ascii=False).encode("utf-8")
        self.put("tree", self._tree_key(endpoint, repo_id, sha), payload)

    # --- the commit history below a commit ----------------------------------------------------

    @staticmethod
    def _history_key(endpoint: str, repo_id: str, sha: str) -> str:
        return json.dumps(["history", endpoint, repo_id, sha])

    def history(self, endpoint: str, repo_id: str, sha: str) -> list[CommitRecord] | None:
        payload = self.get("history", self._history_key(endpoint, repo_id, sha))
        if payload is None:
            return None
        try:
            return [
                CommitRecord(**{**item, "authors": tuple(item["authors"])})
                for item in json.loads(payload)
            ]
        except (ValueError, TypeError, KeyError):
            return None

    def put_history(
        self, endpoint: str, repo_id: str, sha: str, commits: list[CommitRecord]
    ) -> None:
        payload = json.dumps([asdict(c) for c in commits], ensure_ascii=False).encode("utf-8")
        self.put("history", self._history_key(endpoint, repo_id, sha), payload)

    # --- nb-release's own commits -------------------------------------------------------------

    @staticmethod
    def _own_key(endpoint: str, repo_id: str) -> str:
        return json.dumps(["own", endpoint, repo_id])

    def own_commit(self, endpoint: str, repo_id: str, sha: str) -> CommitRecord | None:
        """The commit nb-release itself made at `sha` (the newest one it recorded for the repo)."""
        payload = self.get("own", self._own_key(endpoint, repo_id))
        if payload is None:
            return None
        try:
            item = json.loads(payload)
            record = CommitRecord(**{**item, "authors": tuple(item["authors"])})
        except (ValueError, TypeError, KeyError):
            return None
        return record if record.commit_id == sha else None

    def put_own_commit(self, endpoint: str, repo_id: str, commit: CommitRecord) -> None:
        payload = json.dumps(asdict(commit), ensure_ascii=False).encode("utf-8")
        self.put("own", self._own_key(endpoint, repo_id), payload)

    # --- rendered cards: one entry per card, and the keys of the last whole render -----------

    @staticmethod
    def _card_key(key: str) -> str:
        return json.dumps(["card", key, __version__, _this_code()])

    def card(
        self, key: str, shared: dict[str, str] | None = None
    ) -> tuple[RenderedCard, dict[str, str | None]] | None:
        """A card rendered before under `key` (card/incremental.py), and the digest of each
        file under cards/ its render loaded (None: a name that did not exist). `shared`: the
        companion texts met so far, by value: a family's LICENSE is one text, held once in
        memory however many repos carry it (at 5,000 repos, some 40 MB)."""
        payload = self.get("card", self._card_key(key))
        if payload is None:
            return None
        try:
            value = json.loads(payload)
            item, reads = value["card"], value["reads"]
            files = tuple(ManagedFile(**f) for f in item.get("files", ()))
            if shared is not None:
                files = tuple(
                    ManagedFile(f.path, shared.setdefault(f.content, f.content))
                    if f.content is not None
                    else f
                    for f in files
                )
            card = RenderedCard(**{**item, "files": files})
        except (ValueError, TypeError, AttributeError, KeyError):
            return None
        allowed = (None, *POLICIES)
        if card.on_drift not in allowed or card.on_adopt not in allowed:
            return None  # not what a render writes: ignored like any corrupt entry
        if not isinstance(reads, dict) or not all(
            isinstance(k, str) and (v is None or isinstance(v, str)) for k, v in reads.items()
        ):
            return None
        return card, reads

    def put_card(self, key: str, card: RenderedCard, reads: dict[str, str | None]) -> None:
        payload = json.dumps({"card": asdict(card), "reads": reads}, ensure_ascii=False)
        self.put("card", self._card_key(key), payload.encode("utf-8"))

    @staticmethod
    def _rendered_key(selection: Any) -> str:
        # One entry per selection, overwritten by each render: an edit adds the cards it
        # re-rendered to the cache, not another list of the whole family.
        return json.dumps(["rendered", __version__, _this_code(), repr(selection)])

    def rendered_index(self, fingerprint: str, selection: Any) -> RenderIndex | None:
        """The card keys these exact bytes (manifest and cards/) rendered to last, the
        namespaces of their repos and each card's face (None when an older entry did not record
        them); None when they were not the last render."""
        index = self.last_render(selection)
        return index if index is not None and index.fingerprint == fingerprint else None

    def last_render(self, selection: Any) -> RenderIndex | None:
        """The index of the selection's last render, whatever bytes it was made from."""
        value = self._object("rendered", self._rendered_key(selection))
        if not isinstance(value.get("fingerprint"), str):
            return None
        keys, namespaces = value.get("cards"), value.get("namespaces", [])
        if not isinstance(keys, list) or not all(isinstance(k, str) for k in keys):
            return None
        if not isinstance(namespaces, list) or not all(isinstance(n, str) for n in namespaces):
            namespaces = []
        templates = value.get("templates")
        return RenderIndex(
            keys,
            namespaces,
            _faces(value.get("faces"), len(keys)),
            value["fingerprint"],
            templates if isinstance(templates, str) else None,
        )

    def cards(self, keys: Sequence[str]) -> list[RenderedCard] | None:
        """The card of each key (rendered_index), with no check of what it read (the bytes are
        the same); None when one is missing."""
        cards: list[RenderedCard] = []
        shared: dict[str, str] = {}
        for key in keys:
            found = self.card(key, shared)
            if found is None:
                return None
            cards.append(found[0])
        return cards

    def rendered(self, fingerprint: str, selection: Any) -> list[RenderedCard] | None:
        """The cards rendered last from these exact bytes (manifest and cards/), or None: each
        from its own entry, with no check of what it read (the bytes are the same)."""
        index = self.rendered_index(fingerprint, selection)
        return self.cards(index.keys) if index is not None else None

    def put_rendered(
        self,
        fingerprint: str,
        selection: Any,
        keys: list[str],
        faces: Sequence[CardFace],
        templates: str,
    ) -> None:
        """Note the card entries (card/incremental.py keys) these bytes render to, the
        namespaces of their repos, each card's face, and the fingerprint of cards/ alone."""
        value = {
            "fingerprint": fingerprint,
            "templates": templates,
            "cards": keys,
            "namespaces": sorted({f.repo_id.split("/")[0] for f in faces}),
            "faces": [
                [f.repo_id, f.variant, f.digest, f.on_drift, f.on_adopt, list(f.files)]
                for f in faces
            ],
        }
        self.put("rendered", self._rendered_key(selection), json.dumps(value).encode("utf-8"))

    def _object(self, kind: str, key: str) -> dict[str, Any]:
        """An entry that holds one JSON object; {} when it is missing or is something else."""
        payload = self.get(kind, key)
        try:
            value = json.loads(payload) if payload is not None else None
        except ValueError:
            return {}
        return value if isinstance(value, dict) else {}

    # --- the cards `verify` found read as meant ------------------------------------------------

    @staticmethod
    def _verified_key(endpoint: str) -> str:
        return json.dumps(["verified", endpoint, __version__, _this_code()])

    def verified(self, endpoint: str) -> dict[str, str]:
        """{repo_id: the digest of what verify compared} of every card it found read as meant
        (plan/verify.py): the same card, the same answer of the Hub, the same verdict."""
        value = self._object("verified", self._verified_key(endpoint))
        return {k: v for k, v in value.items() if isinstance(v, str)}

    def put_verified(self, endpoint: str, verified: dict[str, str]) -> None:
        """Note `verified` (see verified), replacing the last."""
        payload = json.dumps(verified, sort_keys=True).encode("utf-8")
        self.put("verified", self._verified_key(endpoint), payload)

    # --- heads whose README.md is the rendered card -------------------------------------------

    @staticmethod
    def _same_key(endpoint: str, selection: Any) -> str:
        return json.dumps(["same", endpoint, __version__, _this_code(), repr(selection)])

    def same_record(self, endpoint: str, selection: Any) -> dict[str, SameHead]:
        """Every repo's SameHead noted for this endpoint and selection."""
        out: dict[str, SameHead] = {}
        for repo_id, item in self._object("same", self._same_key(endpoint, selection)).items():
            head = _same_head(item)
            if head is not None:
                out[repo_id] = head
        return out

    def same_heads(
        self, endpoint: str, selection: Any, cards: Sequence[RenderedCard]
    ) -> dict[str, str]:
        """{repo_id: head sha} of the repos whose README.md and companion files at that sha are
        the rendered card: each noted with the digest of the card it equalled, and taken only
        for a card with that digest now."""
        record = self.same_record(endpoint, selection)
        out: dict[str, str] = {}
        for card in cards:
            head = record.get(card.repo_id)
            if head is not None and head.digest == card_digest(card):
                out[card.repo_id] = head.sha
        return out

    def put_same_record(self, endpoint: str, selection: Any, record: dict[str, SameHead]) -> None:
        """Note `record` (repo id: SameHead), replacing the last."""
        value = {
            repo_id: [head.sha, head.digest, None if head.failed is None else list(head.failed)]
            for repo_id, head in record.items()
        }
        payload = json.dumps(value, sort_keys=True).encode("utf-8")
        self.put("same", self._same_key(endpoint, selection), payload)


@dataclass(frozen=True)
class RenderIndex:
    """What the cache notes of a render: its cards' keys, their namespaces and faces, and what
    it was made from."""

    keys: list[str]
    namespaces: list[str]
    faces: tuple[CardFace, ...] | None  # one a key; None: not noted (an older entry)
    fingerprint: str = ""  # of the manifest and cards/ (SourceFiles.fingerprint)
    templates: str | None = None  # of cards/ alone (SourceFiles.templates_fingerprint)


def face_of(card: RenderedCard) -> CardFace:
    """What the render index keeps of a card (records.CardFace)."""
    return CardFace(
        card.repo_id,
        card.variant,
        card_digest(card),
        card.on_drift,
        card.on_adopt,
        tuple(f.path for f in card.files),
    )


def _content(payload: bytes | None) -> tuple[bool, str | None]:
    """(found, content) of a file's entry at a commit: {"content": text, or null for none}."""
    try:
        value = json.loads(payload) if payload is not None else None
    except ValueError:
        return False, None
    content = value.get("content") if isinstance(value, dict) else None
    if not isinstance(value, dict) or not (content is None or isinstance(content, str)):
        return False, None
    return True, content


def _faces(value: object, count: int) -> tuple[CardFace, ...] | None:
    if not isinstance(value, list) or len(value) != count:
        return None
    faces = []
    allowed = (None, *POLICIES)
    for item in value:
        if not (isinstance(item, list) and len(item) == 6):
            return None
        repo_id, variant, digest, on_drift, on_adopt, paths = item
        if not (
            isinstance(repo_id, str)
            and isinstance(variant, str)
            and isinstance(digest, str)
            and on_drift in allowed
            and on_adopt in allowed
            and isinstance(paths, list)
            and all(isinstance(p, str) for p in paths)
        ):
            return None
        faces.append(CardFace(repo_id, variant, digest, on_drift, on_adopt, tuple(paths)))
    return tuple(faces)


def _same_head(item: object) -> SameHead | None:
    if not (isinstance(item, list) and len(item) == 3):
        return None
    sha, digest, failed = item
    if not (isinstance(sha, str) and isinstance(digest, str)):
        return None
    if failed is None:
        return SameHead(sha, digest, None)
    if not isinstance(failed, list) or not all(
        isinstance(f, list) and len(f) == 2 and all(isinstance(x, str) for x in f) for f in failed
    ):
        return None
    return SameHead(sha, digest, tuple((f[0], f[1]) for f in failed))


def card_digest(card: RenderedCard) -> str:
    """What a card is, as a repo holds it: its README.md and its companion files."""
    found = hashlib.sha256()
    for part in (card.content, *(x for f in card.files for x in (f.path, _text_digest(f.content)))):
        if part is None:
            found.update(b"-\n")  # no such file: no length is "-"
            continue
        data = part.encode("utf-8", "surrogatepass")
        found.update(b"%d\n" % len(data))
        found.update(data)
    return found.hexdigest()


@functools.lru_cache(maxsize=64)
def _text_digest(text: str | None) -> str | None:
    """A companion's text by its digest: a family's LICENSE, one text in every repo, is hashed
    once (a str keeps its own hash, so the look-up costs nothing more)."""
    return None if text is None else _digest(text.encode("utf-8", "surrogatepass"))


_PACKAGE = Path(__file__).resolve().parents[1]  # pipeline/, not only pipeline/hub/


@functools.cache
def _this_code() -> str:
    """_code_stamp of this nb-release, read once per run (every card's key asks for it)."""
    return _code_stamp(_PACKAGE)


def _code_stamp(package: Path = _PACKAGE) -> str:
    """nb-release's own code as installed, every module of the package and its subpackages: a
    working copy's edit must not reuse old renders."""
    parts = []
    for path in sorted(package.rglob("*.py")):
        with contextlib.suppress(OSError):
            stat = path.stat()
            name = path.relative_to(package).as_posix()
            parts.append(f"{name}:{stat.st_size}:{stat.st_mtime_ns}")
    return _digest("\n".join(parts).encode("utf-8"))
