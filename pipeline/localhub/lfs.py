"""LFS objects on disk (`<root>/lfs/objects/ab/cd/<sha256>`): streamed in, checked, put in place.

An object is written to `<root>/lfs/tmp/` in chunks while its sha256 is computed, flushed to
disk, and renamed over its final name only when its size and sha256 are the ones the batch
request announced: a reader never sees half an object, and a killed upload leaves only a
temporary file (removed by a later start once it is a day old: another process may share the
store and be uploading right now). The bytes never sit in memory whole.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import tempfile
import time
from collections.abc import Iterable
from pathlib import Path

from pipeline.localhub import problems

# The Hub refuses files over 50 GB (hub-docs, storage limits); so does the local Hub, per object.
MAX_LFS_OBJECT = 50 * 1000**3
CHUNK = 1024 * 1024
SHA256 = re.compile(r"^[0-9a-f]{64}$")


class LfsObjects:
    """The objects under `<root>/lfs/`; the store's `lfs_objects` table lists the complete ones."""

    def __init__(self, root: Path) -> None:
        self.objects = root / "lfs" / "objects"
        self.tmp = root / "lfs" / "tmp"
        self.objects.mkdir(parents=True, exist_ok=True)
        self.tmp.mkdir(parents=True, exist_ok=True)
        # Left over from an upload cut short by a kill: never renamed, so never referenced.
        stale = time.time() - 86400
        for part in self.tmp.glob("*.part"):
            with contextlib.suppress(FileNotFoundError):
                if part.stat().st_mtime < stale:
                    part.unlink()

    def path(self, oid: str) -> Path:
        if not SHA256.match(oid):
            raise ValueError(f"not an LFS oid: {oid!r}")
        return self.objects / oid[:2] / oid[2:4] / oid

    def size_on_disk(self, oid: str) -> int | None:
        try:
            return self.path(oid).stat().st_size
        except FileNotFoundError:
            return None

    def receive(self, oid: str, size: int, chunks: Iterable[bytes]) -> None:
        """Write the object from `chunks`, or raise a 400 (and keep nothing) if its size or sha256
        is not `size` and `oid`."""
        final = self.path(oid)
        digest, written = hashlib.sha256(), 0
        fd, name = tempfile.mkstemp(prefix=f"{oid[:16]}.", suffix=".part", dir=self.tmp)
        temp = Path(name)
        try:
            with os.fdopen(fd, "wb") as out:
                for chunk in chunks:
                    written += len(chunk)
                    if written > size:
                        raise problems.bad_request(
                            f"The uploaded object is larger than the {size} bytes announced"
                        )
                    digest.update(chunk)
                    out.write(chunk)
                out.flush()
                os.fsync(out.fileno())
            if written != size:
                raise problems.bad_request(
                    f"The uploaded object has {written} bytes, not the {size} announced"
                )
            if digest.hexdigest() != oid:
                raise problems.bad_request(
                    f"The uploaded object's sha256 is {digest.hexdigest()}, not {oid}"
                )
            final.parent.mkdir(parents=True, exist_ok=True)
            os.replace(temp, final)
        finally:
            with contextlib.suppress(FileNotFoundError):
                temp.unlink()

    def read(self, oid: str, start: int, length: int) -> Iterable[bytes]:
        """`length` bytes of the object from `start`, in chunks."""
        with self.path(oid).open("rb") as source:
            source.seek(start)
            left = length
            while left > 0:
                chunk = source.read(min(CHUNK, left))
                if not chunk:
                    return
                left -= len(chunk)
                yield chunk
