"""The local Hub's store: repos, commits, trees, blobs, refs and discussions in one SQLite file.

Every write is one `BEGIN IMMEDIATE` transaction, so a commit lands whole or not at all, also when
the process is killed (SQLite's WAL journal rolls an unfinished transaction back on the next open).
`BEGIN IMMEDIATE` takes SQLite's write lock before the parent check, so two commits with the same
parent serialise and the second sees the first's head: one wins, the other gets 412, as on the Hub.
In the process, one connection is shared under a lock (requests are small; the lock is never held
while sleeping for injected latency).
"""

from __future__ import annotations

import hashlib
import re
import secrets
import sqlite3
import threading
import time
import uuid
from collections.abc import Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pipeline.localhub import problems

DB_NAME = "hub.sqlite3"
COMMIT_OID = re.compile(r"^[0-9a-f]{40}$")
PR_REF = re.compile(r"^refs/pr/([1-9][0-9]*)$")

# What the Hub puts in a new repo's initial commit (by "system"), abridged to the common patterns.
_LFS_PATTERNS = (
    "*.7z *.arrow *.bin *.bz2 *.ckpt *.ftz *.gz *.h5 *.joblib *.lfs.* *.mlmodel *.model *.msgpack "
    "*.npy *.npz *.onnx *.ot *.parquet *.pb *.pickle *.pkl *.pt *.pth *.rar *.safetensors "
    "saved_model/**/* *.tar.* *.tar *.tflite *.tgz *.wasm *.xz *.zip *.zst *tfevents*"
)
GITATTRIBUTES = "".join(
    f"{pattern} filter=lfs diff=lfs merge=lfs -text\n" for pattern in _LFS_PATTERNS.split(" ")
).encode()

_SCHEMA = """
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
    name TEXT NOT NULL,                 -- "main" (a branch) or "refs/pr/N"
    commit_oid TEXT NOT NULL REFERENCES commits(oid),
    PRIMARY KEY (repo, name)
);
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
"""


def hub_date(timestamp: float | None = None) -> str:
    """The Hub's date form; the client refuses anything without the trailing `Z`."""
    return time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(timestamp))


def blob_oid(data: bytes) -> str:
    """The git blob sha1 the Hub uses as a regular file's oid and ETag."""
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


@dataclass(frozen=True)
class Repo:
    pk: int
    repo_id: str
    object_id: str
    private: bool
    created_at: str

    @property
    def namespace(self) -> str:
        return self.repo_id.split("/")[0]


@dataclass(frozen=True)
class Commit:
    oid: str
    parent: str | None
    title: str
    description: str
    author: str
    created_at: str


@dataclass(frozen=True)
class FileEntry:
    path: str
    oid: str
    size: int


@dataclass(frozen=True)
class Discussion:
    num: int
    title: str
    description: str
    author: str
    is_pr: bool
    status: str
    created_at: str
    base_ref: str | None
    base_commit: str | None


@dataclass(frozen=True)
class Op:
    """One line of a commit: put a file, delete a file, or delete everything under a folder."""

    kind: Literal["put", "delete", "delete_folder"]
    path: str
    content: bytes = b""


@dataclass(frozen=True)
class CommitOutcome:
    oid: str
    created: bool
    pr_num: int | None = None


class Store:
    """The SQLite store under `<root>/hub.sqlite3`; safe to share between threads."""

    def __init__(self, root: Path) -> None:
        root.mkdir(parents=True, exist_ok=True)
        self.path = root / DB_NAME
        self._lock = threading.RLock()
        # isolation_level=None: transactions are explicit, so BEGIN IMMEDIATE means what it says.
        self._db = sqlite3.connect(
            self.path, isolation_level=None, check_same_thread=False, timeout=30
        )
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute("PRAGMA foreign_keys=ON")
        with self._write() as db:
            # One statement at a time: executescript() would COMMIT the open transaction first.
            for statement in _SCHEMA.split(";"):
                if statement.strip():
                    db.execute(statement)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    @contextmanager
    def _txn(self, begin: str) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._db.execute(begin)
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def _read(self) -> AbstractContextManager[sqlite3.Connection]:
        # A read transaction: several SELECTs see one snapshot even if another process writes.
        return self._txn("BEGIN")

    def _write(self) -> AbstractContextManager[sqlite3.Connection]:
        return self._txn("BEGIN IMMEDIATE")

    # -- repos ---------------------------------------------------------------------------------

    def get_repo(self, repo_id: str) -> Repo | None:
        with self._read() as db:
            return _get_repo(db, repo_id)

    def list_repos(self) -> list[Repo]:
        with self._read() as db:
            rows = db.execute(
                "SELECT pk, repo_id, object_id, private, created_at FROM repos ORDER BY repo_key"
            ).fetchall()
        return [_repo(row) for row in rows]

    def create_repo(self, repo_id: str, *, private: bool) -> tuple[Repo, bool]:
        """The repo and True if it was created, or the existing one (any case) and False."""
        with self._write() as db:
            existing = _get_repo(db, repo_id)
            if existing is not None:
                return existing, False
            now = hub_date()
            pk = db.execute(
                "INSERT INTO repos (repo_id, repo_key, object_id, private, created_at)"
                " VALUES (?, ?, ?, ?, ?)",
                (repo_id, repo_id.lower(), secrets.token_hex(12), int(private), now),
            ).lastrowid
            assert pk is not None
            # Like the Hub: a new repo starts with an "initial commit" by "system".
            tree = {".gitattributes": _put_blob(db, GITATTRIBUTES)}
            oid = _insert_commit(db, pk, None, tree, "initial commit", "", "system")
            db.execute("INSERT INTO refs (repo, name, commit_oid) VALUES (?, 'main', ?)", (pk, oid))
            repo = _get_repo(db, repo_id)
            assert repo is not None
            return repo, True

    def head(self, repo: Repo) -> str:
        """The commit `main` points at."""
        oid = self.resolve(repo, "main")
        assert oid is not None
        return oid

    def resolve(self, repo: Repo, revision: str) -> str | None:
        """The commit a branch, a `refs/pr/N` or a 40-hex commit id of this repo names, or None."""
        with self._read() as db:
            return _resolve(db, repo.pk, revision)

    def refs(self, repo: Repo) -> list[tuple[str, str]]:
        """(name, commit) of every ref: branches by name, pull requests as `refs/pr/N`."""
        with self._read() as db:
            rows = db.execute(
                "SELECT name, commit_oid FROM refs WHERE repo = ? ORDER BY name", (repo.pk,)
            ).fetchall()
        return [(str(name), str(oid)) for name, oid in rows]

    def commit_info(self, oid: str) -> Commit:
        with self._read() as db:
            row = db.execute(
                "SELECT oid, parent, title, description, author, created_at FROM commits"
                " WHERE oid = ?",
                (oid,),
            ).fetchone()
        return Commit(*row)

    def history(self, oid: str, *, stop: str | None = None) -> list[Commit]:
        """The commit and its ancestors, newest first, ending before `stop` if it is met."""
        with self._read() as db:
            rows = db.execute(
                "WITH RECURSIVE h(oid, depth) AS ("
                " SELECT ?, 0 UNION ALL"
                " SELECT c.parent, h.depth + 1 FROM commits c JOIN h ON c.oid = h.oid"
                " WHERE c.parent IS NOT NULL AND c.oid IS NOT ?)"
                " SELECT c.oid, c.parent, c.title, c.description, c.author, c.created_at"
                " FROM h JOIN commits c ON c.oid = h.oid ORDER BY h.depth",
                (oid, stop),
            ).fetchall()
        return [Commit(*row) for row in rows if row[0] != stop]

    def files(self, commit_oid: str) -> list[FileEntry]:
        with self._read() as db:
            rows = db.execute(
                "SELECT t.path, t.blob_oid, b.size FROM tree t JOIN blobs b ON b.oid = t.blob_oid"
                " WHERE t.commit_oid = ? ORDER BY t.path",
                (commit_oid,),
            ).fetchall()
        return [FileEntry(*row) for row in rows]

    def file(self, commit_oid: str, path: str) -> FileEntry | None:
        with self._read() as db:
            row = db.execute(
                "SELECT t.path, t.blob_oid, b.size FROM tree t JOIN blobs b ON b.oid = t.blob_oid"
                " WHERE t.commit_oid = ? AND t.path = ?",
                (commit_oid, path),
            ).fetchone()
        return FileEntry(*row) if row else None

    def blob(self, oid: str) -> bytes:
        with self._read() as db:
            row = db.execute("SELECT content FROM blobs WHERE oid = ?", (oid,)).fetchone()
        return bytes(row[0])

    # -- commits -------------------------------------------------------------------------------

    def commit(
        self,
        repo: Repo,
        revision: str,
        ops: Sequence[Op],
        *,
        title: str,
        description: str,
        author: str,
        parent: str | None = None,
        create_pr: bool = False,
    ) -> CommitOutcome:
        """Apply `ops` on top of `revision` in one transaction, as the Hub's commit endpoint does.

        Without `create_pr`, `parent` must name the branch head (else 412) and a commit that changes
        nothing makes no commit. With `create_pr`, the commit goes to a new `refs/pr/N` on top of
        `parent` (or the head), with its pull-request discussion, and there is no parent check.
        """
        with self._write() as db:
            if COMMIT_OID.match(revision):
                raise problems.bad_request(
                    f"Cannot commit to a commit id ({revision}): use a branch"
                )
            ref = _ref_name(revision)
            head = _ref_target(db, repo.pk, ref)
            if head is None:
                raise problems.revision_not_found(revision)
            if create_pr:
                base = head
                if parent is not None:
                    base = _find_commit(db, repo.pk, parent) or _raise_unknown(parent)
                tree = _apply(db, _tree(db, base), ops, base)
                oid = _insert_commit(db, repo.pk, base, tree, title, description, author)
                num = _insert_discussion(
                    db,
                    repo,
                    title,
                    description,
                    author,
                    is_pr=True,
                    status="open",
                    base=base,
                    base_ref=f"refs/heads/{ref}" if not PR_REF.match(ref) else ref,
                )
                db.execute(
                    "INSERT INTO refs (repo, name, commit_oid) VALUES (?, ?, ?)",
                    (repo.pk, f"refs/pr/{num}", oid),
                )
                return CommitOutcome(oid, True, num)
            # The parent check runs under SQLite's write lock: no commit can slip in between.
            if parent is not None and not head.startswith(parent):
                raise problems.stale_parent()
            old = _tree(db, head)
            tree = _apply(db, old, ops, head)
            if tree == old:
                return CommitOutcome(head, False)
            oid = _insert_commit(db, repo.pk, head, tree, title, description, author)
            db.execute(
                "UPDATE refs SET commit_oid = ? WHERE repo = ? AND name = ?", (oid, repo.pk, ref)
            )
            return CommitOutcome(oid, True)

    # -- discussions ---------------------------------------------------------------------------

    def create_discussion(
        self, repo: Repo, *, title: str, description: str, author: str, pull_request: bool
    ) -> Discussion:
        """A discussion, or a draft pull request whose `refs/pr/N` starts at the head of main."""
        with self._write() as db:
            head = _ref_target(db, repo.pk, "main")
            assert head is not None
            num = _insert_discussion(
                db,
                repo,
                title,
                description,
                author,
                is_pr=pull_request,
                status="draft" if pull_request else "open",
                base=head if pull_request else None,
                base_ref="refs/heads/main" if pull_request else None,
            )
            if pull_request:
                db.execute(
                    "INSERT INTO refs (repo, name, commit_oid) VALUES (?, ?, ?)",
                    (repo.pk, f"refs/pr/{num}", head),
                )
            found = _get_discussion(db, repo.pk, num)
            assert found is not None
            return found

    def discussions(self, repo: Repo) -> list[Discussion]:
        with self._read() as db:
            rows = db.execute(
                f"SELECT {_DISCUSSION_COLUMNS} FROM discussions WHERE repo = ? ORDER BY num DESC",
                (repo.pk,),
            ).fetchall()
        return [_discussion(row) for row in rows]

    def discussion(self, repo: Repo, num: int) -> Discussion | None:
        with self._read() as db:
            return _get_discussion(db, repo.pk, num)

    # -- tests and tools -----------------------------------------------------------------------

    def seed(
        self,
        repo_id: str,
        files: Mapping[str, bytes | str],
        *,
        private: bool = False,
        message: str = "Seed files",
        author: str = "local-user",
    ) -> str:
        """Create `repo_id` if needed and commit `files` to main directly (for test setup only)."""
        repo, _ = self.create_repo(repo_id, private=private)
        ops = [
            Op("put", path, data.encode() if isinstance(data, str) else data)
            for path, data in files.items()
        ]
        return self.commit(repo, "main", ops, title=message, description="", author=author).oid

    def check(self) -> list[str]:
        """Every consistency problem: refs to missing commits, files without blobs, bad blobs."""
        found: list[str] = []
        with self._read() as db:
            integrity = db.execute("PRAGMA integrity_check").fetchone()[0]
            if integrity != "ok":
                found.append(f"integrity_check: {integrity}")
            for row in db.execute("PRAGMA foreign_key_check").fetchall():
                found.append(f"foreign key: {row}")
            for repo, name, oid in db.execute(
                "SELECT r.repo, r.name, r.commit_oid FROM refs r"
                " LEFT JOIN commits c ON c.oid = r.commit_oid AND c.repo = r.repo"
                " WHERE c.oid IS NULL"
            ):
                found.append(f"repo {repo}: ref {name} points to missing commit {oid}")
            for (pk,) in db.execute(
                "SELECT pk FROM repos WHERE pk NOT IN (SELECT repo FROM refs WHERE name = 'main')"
            ):
                found.append(f"repo {pk}: no main branch")
            for commit, path in db.execute(
                "SELECT t.commit_oid, t.path FROM tree t LEFT JOIN blobs b ON b.oid = t.blob_oid"
                " WHERE b.oid IS NULL"
            ):
                found.append(f"commit {commit}: file {path} has no blob")
            for oid, size, content in db.execute("SELECT oid, size, content FROM blobs"):
                if blob_oid(bytes(content)) != oid or len(content) != size:
                    found.append(f"blob {oid}: content does not match its oid or size")
        return found


# -- helpers that run inside a transaction -----------------------------------------------------

_DISCUSSION_COLUMNS = (
    "num, title, description, author, is_pr, status, created_at, base_ref, base_commit"
)


def _repo(row: tuple[int, str, str, int, str]) -> Repo:
    pk, repo_id, object_id, private, created_at = row
    return Repo(pk, repo_id, object_id, bool(private), created_at)


def _get_repo(db: sqlite3.Connection, repo_id: str) -> Repo | None:
    row = db.execute(
        "SELECT pk, repo_id, object_id, private, created_at FROM repos WHERE repo_key = ?",
        (repo_id.lower(),),
    ).fetchone()
    return _repo(row) if row else None


def _discussion(
    row: tuple[int, str, str, str, int, str, str, str | None, str | None],
) -> Discussion:
    num, title, description, author, is_pr, status, created_at, base_ref, base_commit = row
    return Discussion(
        num, title, description, author, bool(is_pr), status, created_at, base_ref, base_commit
    )


def _get_discussion(db: sqlite3.Connection, pk: int, num: int) -> Discussion | None:
    row = db.execute(
        f"SELECT {_DISCUSSION_COLUMNS} FROM discussions WHERE repo = ? AND num = ?", (pk, num)
    ).fetchone()
    return _discussion(row) if row else None


def _ref_name(revision: str) -> str:
    # The Hub accepts a branch by name or as refs/heads/<name>; PR refs keep their full name.
    return revision.removeprefix("refs/heads/")


def _ref_target(db: sqlite3.Connection, pk: int, ref: str) -> str | None:
    row = db.execute(
        "SELECT commit_oid FROM refs WHERE repo = ? AND name = ?", (pk, ref)
    ).fetchone()
    return str(row[0]) if row else None


def _find_commit(db: sqlite3.Connection, pk: int, oid: str) -> str | None:
    # A full id, or a prefix of at least 5 hex digits (the client allows short parent ids).
    if not re.fullmatch(r"[0-9a-f]{5,40}", oid):
        return None
    rows = db.execute(
        "SELECT oid FROM commits WHERE repo = ? AND oid >= ? AND oid < ? LIMIT 2",
        (pk, oid, oid + "g"),
    ).fetchall()
    return str(rows[0][0]) if len(rows) == 1 else None


def _raise_unknown(revision: str) -> str:
    raise problems.revision_not_found(revision)


def _resolve(db: sqlite3.Connection, pk: int, revision: str) -> str | None:
    if COMMIT_OID.match(revision):
        row = db.execute(
            "SELECT oid FROM commits WHERE repo = ? AND oid = ?", (pk, revision)
        ).fetchone()
        return str(row[0]) if row else None
    return _ref_target(db, pk, _ref_name(revision))


def _tree(db: sqlite3.Connection, commit_oid: str) -> dict[str, str]:
    rows = db.execute("SELECT path, blob_oid FROM tree WHERE commit_oid = ?", (commit_oid,))
    return {str(path): str(oid) for path, oid in rows}


def _put_blob(db: sqlite3.Connection, data: bytes) -> str:
    oid = blob_oid(data)
    db.execute(
        "INSERT OR IGNORE INTO blobs (oid, size, content) VALUES (?, ?, ?)", (oid, len(data), data)
    )
    return oid


def _apply(
    db: sqlite3.Connection, old: dict[str, str], ops: Sequence[Op], head: str
) -> dict[str, str]:
    tree = dict(old)
    for op in ops:
        if op.kind == "put":
            tree[op.path] = _put_blob(db, op.content)
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


def _insert_commit(
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


def _insert_discussion(
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
        f"INSERT INTO discussions ({_DISCUSSION_COLUMNS}, repo)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (num, title, description, author, int(is_pr), status, hub_date(), base_ref, base, repo.pk),
    )
    return num
