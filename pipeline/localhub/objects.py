"""The store's records: repos, commits, files, discussions, commit operations; git-like ids."""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

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
    gated: str | None = None  # "auto" or "manual" when access requests are on

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


LFS_SPEC = "https://git-lfs.github.com/spec/v1"


@dataclass(frozen=True)
class LfsInfo:
    """An LFS file's object: its sha256 (the LFS oid), its size, and the size of its pointer."""

    sha256: str
    size: int

    @property
    def pointer(self) -> bytes:
        """The pointer file git holds in its place (git-lfs spec v1), whose blob id is the oid."""
        return f"version {LFS_SPEC}\noid sha256:{self.sha256}\nsize {self.size}\n".encode()

    @property
    def pointer_size(self) -> int:
        return len(self.pointer)


@dataclass(frozen=True)
class FileEntry:
    """A file of a commit: `oid` is its git blob id (the pointer's, for an LFS file) and `size`
    the size of its content (the LFS object's, for an LFS file)."""

    path: str
    oid: str
    size: int
    lfs: LfsInfo | None = None


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


EventKind = Literal["comment", "status-change", "title-change"]


@dataclass(frozen=True)
class Event:
    """One event of a discussion after its opening: a comment, a change of status or of title."""

    id: str
    kind: EventKind
    author: str
    created_at: str
    data: Mapping[str, Any]


@dataclass(frozen=True)
class Op:
    """One line of a commit: put a file, delete a file, or delete everything under a folder.

    A put with `lfs` is an `lfsFile` line: its content is the pointer to an uploaded LFS object.
    """

    kind: Literal["put", "delete", "delete_folder"]
    path: str
    content: bytes = b""
    lfs: LfsInfo | None = None


@dataclass(frozen=True)
class CommitOutcome:
    oid: str
    created: bool
    pr_num: int | None = None
