"""The store's SQL: its tables, and the statements that run inside one open transaction.

Callers (store.py) hold the transaction; nothing here commits, so a commit's blobs, tree, commit
row and ref update land together or not at all.
"""

from __future__ import annotations

import hashlib
import json
import re
import sqlite3
import uuid
from collections.abc import Sequence
from typing import Any

from pipeline.localhub import problems
from pipeline.localhub.objects import (
    COMMIT_OID,
    Discussion,
    Event,
    EventKind,
    FileEntry,
    LfsInfo,
    Op,
    Repo,
    blob_oid,
    hub_date,
)

SCHEMA = """
CREATE TABLE IF NOT EXISTS repos (
    pk INTEGER PRIMARY KEY,
    repo_id TEXT NOT NULL,
    repo_key TEXT NOT NULL UNIQUE,      -- lower(repo_id): the Hub's ids are case-insensitive
    object_id TEXT NOT NULL,
    private INTEGER NOT NULL,
    created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS blobs (
    oid TEXT PRIMARY KEY,               -- git blob sha1, the Hub's ETag of a regular file
    size INTEGER NOT NULL,
    content BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS commits (
    oid TEXT PRIMARY KEY,
    repo INTEGER NOT NULL REFERENCES repos(pk),
    parent TEXT REFERENCES commits(oid),
    title TEXT NOT NULL,
    description TEXT NOT NULL,
    author TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS tree (
    commit_oid TEXT NOT NULL REFERENCES commits(oid),
    path TEXT NOT NULL,
    blob_oid TEXT NOT NULL REFERENCES blobs(oid),
    PRIMARY KEY (commit_oid, path)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS refs (
    repo INTEGER NOT NULL REFERENCES repos(pk),
    name TEXT NOT NULL,                 -- a branch ("main"), "refs/pr/N" or "refs/tags/<tag>"
    commit_oid TEXT NOT NULL REFERENCES commits(oid),
    PRIMARY KEY (repo, name)
);
CREATE TABLE IF NOT EXISTS lfs_objects (
    oid TEXT PRIMARY KEY,               -- sha256 of the content, stored in <root>/lfs/objects/
    size INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS lfs_pointers (
    blob_oid TEXT PRIMARY KEY REFERENCES blobs(oid),  -- the pointer file git holds for it
    lfs_oid TEXT NOT NULL REFERENCES lfs_objects(oid)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS discussions (
    repo INTEGER NOT NULL REFERENCES repos(pk),
    num INTEGER NOT NULL,
    title TEXT NOT NULL,
    description TEXT NOT NULL,
    author TEXT NOT NULL,
    is_pr INTEGER NOT NULL,
    status TEXT NOT NULL,
    created_at TEXT NOT NULL,
    base_ref TEXT,
    base_commit TEXT,
    PRIMARY KEY (repo, num)
);
CREATE TABLE IF NOT EXISTS discussion_events (
    repo INTEGER NOT NULL REFERENCES repos(pk),
    num INTEGER NOT NULL,
    seq INTEGER NOT NULL,               -- the order events happened in, per discussion
    id TEXT NOT NULL,
    kind TEXT NOT NULL,                 -- "comment" or "status-change"
    author TEXT NOT NULL,
    created_at TEXT NOT NULL,
    data TEXT NOT NULL,                 -- the event's "data" object, as JSON
    PRIMARY KEY (repo, num, seq)
);
CREATE TABLE IF NOT EXISTS repo_settings (
    repo INTEGER PRIMARY KEY REFERENCES repos(pk),
    gated TEXT                          -- "auto", "manual", or NULL: not gated
);
"""

# A table of its own rather than a column of `repos`: a store made before it still opens.
REPO_COLUMNS = "r.pk, r.repo_id, r.object_id, r.private, r.created_at, s.gated"
REPO_FROM = "repos r LEFT JOIN repo_settings s ON s.repo = r.pk"
TAG_PREFIX = "refs/tags/"
DEFAULT_BRANCH = "main"


DISCUSSION_COLUMNS = (
    "num, title, description, author, is_pr, status, created_at, base_ref, base_commit"
)


def repo(row: tuple[int, str, str, int, str, str | None]) -> Repo:
    pk, repo_id, object_id, private, created_at, gated = row
    return Repo(pk, repo_id, object_id, bool(private), created_at, gated)


def get_repo(db: sqlite3.Connection, repo_id: str) -> Repo | None:
    row = db.execute(
        f"SELECT {REPO_COLUMNS} FROM {REPO_FROM} WHERE r.repo_key = ?", (repo_id.lower(),)
    ).fetchone()
    return repo(row) if row else None


def discussion(
    row: tuple[int, str, str, str, int, str, str, str | None, str | None],
) -> Discussion:
    num, title, description, author, is_pr, status, created_at, base_ref, base_commit = row
    return Discussion(
        num, title, description, author, bool(is_pr), status, created_at, base_ref, base_commit
    )


def get_discussion(db: sqlite3.Connection, pk: int, num: int) -> Discussion | None:
    row = db.execute(
        f"SELECT {DISCUSSION_COLUMNS} FROM discussions WHERE repo = ? AND num = ?", (pk, num)
    ).fetchone()
    return discussion(row) if row else None


def ref_name(revision: str) -> str:
    # The Hub accepts a branch by name or as refs/heads/<name>; PR refs keep their full name.
    return revision.removeprefix("refs/heads/")


def ref_target(db: sqlite3.Connection, pk: int, ref: str) -> str | None:
    row = db.execute(
        "SELECT commit_oid FROM refs WHERE repo = ? AND name = ?", (pk, ref)
    ).fetchone()
    return str(row[0]) if row else None


def find_commit(db: sqlite3.Connection, pk: int, oid: str) -> str | None:
    # A full id, or a prefix of at least 5 hex digits (the client allows short parent ids).
    if not re.fullmatch(r"[0-9a-f]{5,40}", oid):
        return None
    rows = db.execute(
        "SELECT oid FROM commits WHERE repo = ? AND oid >= ? AND oid < ? LIMIT 2",
        (pk, oid, oid + "g"),
    ).fetchall()
    return str(rows[0][0]) if len(rows) == 1 else None


def raise_unknown(revision: str) -> str:
    raise problems.revision_not_found(revision)


def resolve(db: sqlite3.Connection, pk: int, revision: str) -> str | None:
    """As git reads a revision on the Hub: a full commit id, `HEAD` (the default branch), a
    branch, a full ref (`refs/heads/`, `refs/tags/`, `refs/pr/`), a tag, then a short commit id."""
    if COMMIT_OID.match(revision):
        row = db.execute(
            "SELECT oid FROM commits WHERE repo = ? AND oid = ?", (pk, revision)
        ).fetchone()
        return str(row[0]) if row else None
    if revision == "HEAD":
        revision = DEFAULT_BRANCH
    found = ref_target(db, pk, ref_name(revision))
    if found is None and not revision.startswith("refs/"):
        found = ref_target(db, pk, TAG_PREFIX + revision)
    return found if found is not None else find_commit(db, pk, revision)


def tree(db: sqlite3.Connection, commit_oid: str) -> dict[str, str]:
    rows = db.execute("SELECT path, blob_oid FROM tree WHERE commit_oid = ?", (commit_oid,))
    return {str(path): str(oid) for path, oid in rows}


def path_state(db: sqlite3.Connection, commit_oid: str, path: str) -> list[tuple[str, str]]:
    """(path, blob) of the file `path`, or of every file under the folder `path`, at a commit."""
    rows = db.execute(
        "SELECT path, blob_oid FROM tree WHERE commit_oid = ?"
        " AND (path = ? OR (path >= ? AND path < ?)) ORDER BY path",
        (commit_oid, path, path + "/", path + "0"),  # "0" is the character after "/"
    ).fetchall()
    return [(str(name), str(blob)) for name, blob in rows]


def put_blob(db: sqlite3.Connection, data: bytes) -> str:
    oid = blob_oid(data)
    db.execute(
        "INSERT OR IGNORE INTO blobs (oid, size, content) VALUES (?, ?, ?)", (oid, len(data), data)
    )
    return oid


# A commit's files with their sizes, and the LFS object of each LFS file (NULLs for the others).
FILE_COLUMNS = (
    "SELECT t.path, t.blob_oid, b.size, o.oid, o.size FROM tree t"
    " JOIN blobs b ON b.oid = t.blob_oid"
    " LEFT JOIN lfs_pointers p ON p.blob_oid = t.blob_oid"
    " LEFT JOIN lfs_objects o ON o.oid = p.lfs_oid"
)


def file_entry(row: tuple[str, str, int, str | None, int | None]) -> FileEntry:
    path, oid, size, lfs_oid, lfs_size = row
    if lfs_oid is None or lfs_size is None:
        return FileEntry(path, oid, size)
    return FileEntry(path, oid, lfs_size, LfsInfo(lfs_oid, lfs_size))


def put_lfs_pointer(db: sqlite3.Connection, lfs: LfsInfo) -> str:
    """The pointer blob of an uploaded LFS object (a 400 if it was not uploaded, as on the Hub)."""
    row = db.execute("SELECT size FROM lfs_objects WHERE oid = ?", (lfs.sha256,)).fetchone()
    if row is None or int(row[0]) != lfs.size:
        raise problems.bad_request(
            f"LFS object {lfs.sha256} of {lfs.size} bytes was never uploaded: upload it through"
            " the LFS batch API before the commit that names it"
        )
    oid = put_blob(db, lfs.pointer)
    db.execute(
        "INSERT OR IGNORE INTO lfs_pointers (blob_oid, lfs_oid) VALUES (?, ?)", (oid, lfs.sha256)
    )
    return oid


def apply(
    db: sqlite3.Connection, old: dict[str, str], ops: Sequence[Op], head: str
) -> dict[str, str]:
    tree = dict(old)
    for op in ops:
        if op.kind == "put":
            tree[op.path] = put_lfs_pointer(db, op.lfs) if op.lfs else put_blob(db, op.content)
        elif op.kind == "delete":
            if tree.pop(op.path, None) is None:
                raise problems.entry_not_found(op.path, head)
        else:
            prefix = op.path.rstrip("/") + "/"
            doomed = [path for path in tree if path.startswith(prefix)]
            if not doomed:
                raise problems.entry_not_found(op.path, head)
            for path in doomed:
                del tree[path]
    # Git cannot hold a file and a folder of the same name; the Hub refuses such a commit.
    folders = {path[:i] for path in tree for i, ch in enumerate(path) if ch == "/"}
    clash = sorted(folders & tree.keys())
    if clash:
        raise problems.bad_request(f"'{clash[0]}' would be both a file and a folder")
    return tree


def insert_commit(
    db: sqlite3.Connection,
    pk: int,
    parent: str | None,
    tree: dict[str, str],
    title: str,
    description: str,
    author: str,
) -> str:
    now = hub_date()
    # Not git's exact object format (there is no git here), but a 40-hex id unique to this commit.
    listing = "\n".join(f"{path}\0{oid}" for path, oid in sorted(tree.items()))
    material = "\0".join([str(pk), parent or "", listing, title, description, author, now])
    oid = hashlib.sha1(f"commit\0{material}\0{uuid.uuid4()}".encode()).hexdigest()
    db.execute(
        "INSERT INTO commits (oid, repo, parent, title, description, author, created_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)",
        (oid, pk, parent, title, description, author, now),
    )
    db.executemany(
        "INSERT INTO tree (commit_oid, path, blob_oid) VALUES (?, ?, ?)",
        [(oid, path, blob) for path, blob in tree.items()],
    )
    return oid


def insert_discussion(
    db: sqlite3.Connection,
    repo: Repo,
    title: str,
    description: str,
    author: str,
    *,
    is_pr: bool,
    status: str,
    base: str | None,
    base_ref: str | None,
) -> int:
    # Discussions and pull requests share one numbering per repo, as on the Hub.
    num = int(
        db.execute(
            "SELECT COALESCE(MAX(num), 0) + 1 FROM discussions WHERE repo = ?", (repo.pk,)
        ).fetchone()[0]
    )
    db.execute(
        f"INSERT INTO discussions ({DISCUSSION_COLUMNS}, repo)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (num, title, description, author, int(is_pr), status, hub_date(), base_ref, base, repo.pk),
    )
    return num


def insert_event(
    db: sqlite3.Connection, pk: int, num: int, kind: str, author: str, data: dict[str, Any]
) -> Event:
    seq = int(
        db.execute(
            "SELECT COALESCE(MAX(seq), 0) + 1 FROM discussion_events WHERE repo = ? AND num = ?",
            (pk, num),
        ).fetchone()[0]
    )
    # A 24-hex id, as the Hub's event ids are (MongoDB object ids).
    event_id = uuid.uuid4().hex[:24]
    now = hub_date()
    db.execute(
        "INSERT INTO discussion_events (repo, num, seq, id, kind, author, created_at, data)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (pk, num, seq, event_id, kind, author, now, json.dumps(data, ensure_ascii=False)),
    )
    return _event((event_id, kind, author, now, json.dumps(data)))


def merged_tree(
    base: dict[str, str], ours: dict[str, str], theirs: dict[str, str]
) -> tuple[dict[str, str], list[str]]:
    """`theirs`' changes since `base` applied to `ours`, file by file, and the files both changed
    differently (a pull request's merge when its target branch moved since it was opened)."""
    tree, conflicts = dict(ours), []
    for path in sorted(base.keys() | theirs.keys()):
        if base.get(path) == theirs.get(path) or ours.get(path) == theirs.get(path):
            continue
        if ours.get(path) != base.get(path):
            conflicts.append(path)
        elif path in theirs:
            tree[path] = theirs[path]
        else:
            del tree[path]
    return tree, conflicts


def events(db: sqlite3.Connection, pk: int, num: int) -> list[Event]:
    rows = db.execute(
        "SELECT id, kind, author, created_at, data FROM discussion_events"
        " WHERE repo = ? AND num = ? ORDER BY seq",
        (pk, num),
    ).fetchall()
    return [_event(row) for row in rows]


def _event(row: tuple[str, str, str, str, str]) -> Event:
    event_id, kind, author, created_at, data = row
    known: EventKind = (
        "comment"
        if kind == "comment"
        else "title-change"
        if kind == "title-change"
        else "status-change"
    )
    return Event(event_id, known, author, created_at, json.loads(data))


def set_title(db: sqlite3.Connection, pk: int, num: int, title: str) -> None:
    db.execute("UPDATE discussions SET title = ? WHERE repo = ? AND num = ?", (title, pk, num))


def set_status(db: sqlite3.Connection, pk: int, num: int, status: str) -> None:
    db.execute("UPDATE discussions SET status = ? WHERE repo = ? AND num = ?", (status, pk, num))


def delete_repo(db: sqlite3.Connection, pk: int) -> None:
    """Every row of the repo; blobs stay, shared by content with other repos (git's objects)."""
    db.execute("DELETE FROM refs WHERE repo = ?", (pk,))
    db.execute(
        "DELETE FROM tree WHERE commit_oid IN (SELECT oid FROM commits WHERE repo = ?)", (pk,)
    )
    db.execute("DELETE FROM discussion_events WHERE repo = ?", (pk,))
    db.execute("DELETE FROM discussions WHERE repo = ?", (pk,))
    db.execute("DELETE FROM repo_settings WHERE repo = ?", (pk,))
    db.execute("DELETE FROM commits WHERE repo = ?", (pk,))
    db.execute("DELETE FROM repos WHERE pk = ?", (pk,))
