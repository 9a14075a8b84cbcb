"""The local Hub's store: repos, commits, trees, blobs, refs and discussions in one SQLite file.

Every write is one `BEGIN IMMEDIATE` transaction, so a commit lands whole or not at all, also when
the process is killed (SQLite's WAL journal rolls an unfinished transaction back on the next open).
`BEGIN IMMEDIATE` takes SQLite's write lock before the parent check, so two commits with the same
parent serialise and the second sees the first's head: one wins, the other gets 412, as on the Hub.
In the process, one connection is shared under a lock (requests are small; the lock is never held
while sleeping for injected latency).
"""

from __future__ import annotations

import itertools
import secrets
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

from pipeline.localhub import collection_tables, problems, tables
from pipeline.localhub.lfs import LfsObjects
from pipeline.localhub.objects import (
    COMMIT_OID,
    GITATTRIBUTES,
    PR_REF,
    Commit,
    CommitOutcome,
    Discussion,
    Event,
    FileEntry,
    LfsInfo,
    Op,
    Repo,
    blob_oid,
    hub_date,
)

__all__ = [
    "GITATTRIBUTES",
    "Commit",
    "CommitOutcome",
    "Discussion",
    "Event",
    "FileEntry",
    "LfsInfo",
    "Op",
    "Repo",
    "Store",
    "blob_oid",
    "hub_date",
]

DB_NAME = "hub.sqlite3"


def _discussion_or_404(db: sqlite3.Connection, repo: Repo, num: int) -> Discussion:
    found = tables.get_discussion(db, repo.pk, num)
    if found is None:
        raise problems.HubProblem(404, f"Discussion {num} not found")
    return found


class Store:
    """The SQLite store under `<root>/hub.sqlite3`; safe to share between threads."""

    def __init__(self, root: Path) -> None:
        root.mkdir(parents=True, exist_ok=True)
        self.path = root / DB_NAME
        self.lfs = LfsObjects(root)
        # Signs the LFS upload and download links handed out by this process (they carry no token).
        self.link_key = secrets.token_bytes(32)
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
            for statement in (tables.SCHEMA + collection_tables.SCHEMA).split(";"):
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

    # -- collections: collection_tables.py runs its statements in one of these -----------------

    def read_collections(self) -> AbstractContextManager[sqlite3.Connection]:
        return self._read()

    def write_collections(self) -> AbstractContextManager[sqlite3.Connection]:
        return self._write()

    # -- repos ---------------------------------------------------------------------------------

    def get_repo(self, repo_id: str) -> Repo | None:
        with self._read() as db:
            return tables.get_repo(db, repo_id)

    def list_repos(self) -> list[Repo]:
        with self._read() as db:
            rows = db.execute(
                f"SELECT {tables.REPO_COLUMNS} FROM {tables.REPO_FROM} ORDER BY r.repo_key"
            ).fetchall()
        return [tables.repo(row) for row in rows]

    def create_repo(self, repo_id: str, *, private: bool) -> tuple[Repo, bool]:
        """The repo and True if it was created, or the existing one (any case) and False."""
        with self._write() as db:
            existing = tables.get_repo(db, repo_id)
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
            tree = {".gitattributes": tables.put_blob(db, GITATTRIBUTES)}
            oid = tables.insert_commit(db, pk, None, tree, "initial commit", "", "system")
            db.execute("INSERT INTO refs (repo, name, commit_oid) VALUES (?, 'main', ?)", (pk, oid))
            repo = tables.get_repo(db, repo_id)
            assert repo is not None
            return repo, True

    def head(self, repo: Repo) -> str:
        """The commit `main` points at."""
        oid = self.resolve(repo, "main")
        assert oid is not None
        return oid

    def heads(self, pks: Sequence[int]) -> dict[int, str]:
        """{repo pk: the commit `main` points at}, for many repos in one query (listings)."""
        with self._read() as db:
            found: dict[int, str] = {}
            for start in range(0, len(pks), 500):  # SQLite caps a statement's parameters
                chunk = list(pks[start : start + 500])
                marks = ", ".join("?" * len(chunk))
                rows = db.execute(
                    f"SELECT repo, commit_oid FROM refs WHERE name = 'main' AND repo IN ({marks})",
                    chunk,
                ).fetchall()
                found.update((int(pk), str(oid)) for pk, oid in rows)
        return found

    def resolve(self, repo: Repo, revision: str) -> str | None:
        """The commit a branch, a `refs/pr/N` or a 40-hex commit id of this repo names, or None."""
        with self._read() as db:
            return tables.resolve(db, repo.pk, revision)

    def refs(self, repo: Repo) -> list[tuple[str, str]]:
        """(name, commit) of every ref: branches by name, `refs/pr/N`, `refs/tags/<tag>`."""
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
                f"{tables.FILE_COLUMNS} WHERE t.commit_oid = ? ORDER BY t.path", (commit_oid,)
            ).fetchall()
        return [tables.file_entry(row) for row in rows]

    def file(self, commit_oid: str, path: str) -> FileEntry | None:
        with self._read() as db:
            row = db.execute(
                f"{tables.FILE_COLUMNS} WHERE t.commit_oid = ? AND t.path = ?", (commit_oid, path)
            ).fetchone()
        return tables.file_entry(row) if row else None

    def last_change(self, commit_oid: str, path: str) -> Commit:
        """The newest commit at or before `commit_oid` that changed `path` (a file, or anything
        under a folder): a file's or folder's `lastCommit` in paths-info."""
        history = self.history(commit_oid)
        with self._read() as db:
            state = tables.path_state(db, history[0].oid, path)
            for commit, parent in itertools.pairwise(history):
                before = tables.path_state(db, parent.oid, path)
                if before != state:
                    return commit
                state = before
        return history[-1]

    def blob(self, oid: str) -> bytes:
        with self._read() as db:
            row = db.execute("SELECT content FROM blobs WHERE oid = ?", (oid,)).fetchone()
        return bytes(row[0])

    # -- LFS objects ---------------------------------------------------------------------------

    def lfs_size(self, oid: str) -> int | None:
        """The size of the complete LFS object `oid` (a sha256), or None if it was not uploaded."""
        with self._read() as db:
            row = db.execute("SELECT size FROM lfs_objects WHERE oid = ?", (oid,)).fetchone()
        return int(row[0]) if row else None

    def lfs_in_repo(self, repo: Repo, oid: str) -> bool:
        """Whether a commit of `repo` names the LFS object `oid` (what a download may fetch)."""
        with self._read() as db:
            row = db.execute(
                "SELECT 1 FROM lfs_pointers p JOIN tree t ON t.blob_oid = p.blob_oid"
                " JOIN commits c ON c.oid = t.commit_oid WHERE p.lfs_oid = ? AND c.repo = ?"
                " LIMIT 1",
                (oid, repo.pk),
            ).fetchone()
        return row is not None

    def put_lfs(self, oid: str, size: int, chunks: Iterable[bytes]) -> None:
        """Store an LFS object from `chunks` (checked against `oid` and `size`), then list it."""
        if self.lfs_size(oid) == size and self.lfs.size_on_disk(oid) == size:
            for _ in chunks:  # already stored: the body is read and dropped
                pass
            return
        self.lfs.receive(oid, size, chunks)
        with self._write() as db:
            db.execute("INSERT OR IGNORE INTO lfs_objects (oid, size) VALUES (?, ?)", (oid, size))

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
            if revision.startswith(tables.TAG_PREFIX):
                raise problems.bad_request(f"Cannot commit to a tag ({revision}): use a branch")
            ref = tables.ref_name(revision)
            head = tables.ref_target(db, repo.pk, ref)
            if head is None:
                raise problems.revision_not_found(revision)
            if create_pr:
                base = head
                if parent is not None:
                    base = tables.find_commit(db, repo.pk, parent) or tables.raise_unknown(parent)
                tree = tables.apply(db, tables.tree(db, base), ops, base)
                oid = tables.insert_commit(db, repo.pk, base, tree, title, description, author)
                num = tables.insert_discussion(
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
            old = tables.tree(db, head)
            tree = tables.apply(db, old, ops, head)
            if tree == old:
                return CommitOutcome(head, False)
            oid = tables.insert_commit(db, repo.pk, head, tree, title, description, author)
            db.execute(
                "UPDATE refs SET commit_oid = ? WHERE repo = ? AND name = ?", (oid, repo.pk, ref)
            )
            return CommitOutcome(oid, True)

    # -- refs and repo administration ----------------------------------------------------------

    def create_ref(
        self, repo: Repo, ref: str, start: str, *, what: str, empty_by: str | None = None
    ) -> str:
        """A new branch (`ref` its name) or tag (`refs/tags/<tag>`) at the commit `start` names;
        409 when the ref exists, 404 when `start` names nothing. The commit it points at.
        `empty_by`: a branch with none of the repo's history, at a first commit of no files made
        by that user (the Hub's `emptyBranch`; `start` is then ignored)."""
        with self._write() as db:
            if tables.ref_target(db, repo.pk, ref) is not None:
                name = ref.removeprefix(tables.TAG_PREFIX)
                raise problems.HubProblem(409, f"{what} '{name}' already exists")
            if empty_by is not None:
                oid = tables.insert_commit(db, repo.pk, None, {}, "Initial commit", "", empty_by)
            else:
                oid = tables.resolve(db, repo.pk, start) or tables.raise_unknown(start)
            db.execute(
                "INSERT INTO refs (repo, name, commit_oid) VALUES (?, ?, ?)", (repo.pk, ref, oid)
            )
            return oid

    def delete_ref(self, repo: Repo, ref: str) -> None:
        """Remove a branch or tag; 404 RevisionNotFound when there is none by that name."""
        with self._write() as db:
            gone = db.execute(
                "DELETE FROM refs WHERE repo = ? AND name = ?", (repo.pk, ref)
            ).rowcount
            if not gone:
                raise problems.revision_not_found(ref.removeprefix(tables.TAG_PREFIX))

    def update_settings(
        self, repo: Repo, *, private: bool | None, gated: str | None, set_gated: bool
    ) -> Repo:
        """Change visibility (when `private` is not None) and gating (when `set_gated`)."""
        with self._write() as db:
            if private is not None:
                db.execute("UPDATE repos SET private = ? WHERE pk = ?", (int(private), repo.pk))
            if set_gated:
                db.execute(
                    "INSERT INTO repo_settings (repo, gated) VALUES (?, ?)"
                    " ON CONFLICT (repo) DO UPDATE SET gated = excluded.gated",
                    (repo.pk, gated),
                )
            found = tables.get_repo(db, repo.repo_id)
            assert found is not None
            return found

    def move_repo(self, repo: Repo, new_id: str) -> Repo:
        """Rename `repo` to `new_id`, history and all; 409 when another repo has that id."""
        with self._write() as db:
            other = tables.get_repo(db, new_id)
            if other is not None and other.pk != repo.pk:
                raise problems.HubProblem(409, f"A model repo {other.repo_id} already exists")
            db.execute(
                "UPDATE repos SET repo_id = ?, repo_key = ? WHERE pk = ?",
                (new_id, new_id.lower(), repo.pk),
            )
            found = tables.get_repo(db, new_id)
            assert found is not None
            return found

    def delete_repo(self, repo: Repo) -> None:
        with self._write() as db:
            tables.delete_repo(db, repo.pk)

    # -- discussions ---------------------------------------------------------------------------

    def create_discussion(
        self, repo: Repo, *, title: str, description: str, author: str, pull_request: bool
    ) -> Discussion:
        """A discussion, or a draft pull request whose `refs/pr/N` starts at the head of main."""
        with self._write() as db:
            head = tables.ref_target(db, repo.pk, "main")
            assert head is not None
            num = tables.insert_discussion(
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
            found = tables.get_discussion(db, repo.pk, num)
            assert found is not None
            return found

    def discussions(self, repo: Repo) -> list[Discussion]:
        with self._read() as db:
            rows = db.execute(
                f"SELECT {tables.DISCUSSION_COLUMNS} FROM discussions"
                " WHERE repo = ? ORDER BY num DESC",
                (repo.pk,),
            ).fetchall()
        return [tables.discussion(row) for row in rows]

    def discussion(self, repo: Repo, num: int) -> Discussion | None:
        with self._read() as db:
            return tables.get_discussion(db, repo.pk, num)

    def events(self, repo: Repo, num: int) -> list[Event]:
        """The comments and status changes of a discussion after its opening, oldest first."""
        with self._read() as db:
            return tables.events(db, repo.pk, num)

    def comment(self, repo: Repo, num: int, *, author: str, text: str) -> Event:
        with self._write() as db:
            _discussion_or_404(db, repo, num)
            return tables.insert_event(db, repo.pk, num, "comment", author, {"raw": text})

    def rename(self, repo: Repo, num: int, *, author: str, title: str) -> Event:
        """Give a discussion a new title; the event records the old and the new one."""
        with self._write() as db:
            found = _discussion_or_404(db, repo, num)
            tables.set_title(db, repo.pk, num, title)
            data = {"from": found.title, "to": title}
            return tables.insert_event(db, repo.pk, num, "title-change", author, data)

    def change_status(
        self, repo: Repo, num: int, *, author: str, status: str, reason: str | None
    ) -> Event:
        """Close or reopen a discussion; a merged pull request stays merged, as on the Hub."""
        with self._write() as db:
            found = _discussion_or_404(db, repo, num)
            if found.status == "merged":
                raise problems.bad_request(f"Pull request #{num} is merged: it cannot be {status}")
            if found.status == status or (status == "open" and found.status == "draft"):
                raise problems.bad_request(f"Discussion #{num} is already {found.status}")
            tables.set_status(db, repo.pk, num, status)
            data = {"status": status} | ({"reason": reason} if reason else {})
            return tables.insert_event(db, repo.pk, num, "status-change", author, data)

    def merge_pr(self, repo: Repo, num: int, *, author: str, comment: str | None) -> Event:
        """Merge an open pull request into its base branch: the PR's head becomes the branch's
        head when the branch has not moved since the PR's base; else a commit on the branch
        applies the PR's changes, file by file, and a file both changed is a 409."""
        with self._write() as db:
            found = _discussion_or_404(db, repo, num)
            if not found.is_pr or found.status not in ("open", "draft"):
                raise problems.bad_request(f"Discussion #{num} is not an open pull request")
            ref = tables.ref_name(found.base_ref or "main")
            head = tables.ref_target(db, repo.pk, ref)
            pr_head = tables.ref_target(db, repo.pk, f"refs/pr/{num}")
            if head is None:
                # Its target branch was deleted since the pull request was opened.
                raise problems.revision_not_found(ref)
            assert pr_head is not None and found.base_commit is not None
            new = pr_head
            if head != found.base_commit:
                base = tables.tree(db, found.base_commit)
                tree, conflicts = tables.merged_tree(
                    base, tables.tree(db, head), tables.tree(db, pr_head)
                )
                if conflicts:
                    raise problems.HubProblem(409, f"Merge conflict in {', '.join(conflicts)}")
                title = f"Merge pull request #{num}: {found.title}"
                new = tables.insert_commit(db, repo.pk, head, tree, title, "", author)
            db.execute(
                "UPDATE refs SET commit_oid = ? WHERE repo = ? AND name = ?", (new, repo.pk, ref)
            )
            if comment:
                tables.insert_event(db, repo.pk, num, "comment", author, {"raw": comment})
            tables.set_status(db, repo.pk, num, "merged")
            return tables.insert_event(
                db, repo.pk, num, "status-change", author, {"status": "merged"}
            )

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
            for oid, size in db.execute("SELECT oid, size FROM lfs_objects"):
                if self.lfs.size_on_disk(oid) != size:
                    found.append(f"LFS object {oid}: missing on disk or not {size} bytes")
        return found
