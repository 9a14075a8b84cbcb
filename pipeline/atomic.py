"""Write nb-release's output files: saved plans, reports, rendered cards, the preview page.

A regular file, or a path where nothing is yet, is written atomically: a temporary file in the same
folder, then renamed over it, so a reader sees the old file or the new one, never half of one.
Anything else that exists is written in place, as a shell's `>` would: a FIFO, the pipe or terminal
behind /dev/stdout (a link to /proc/self/fd/1), a character device such as /dev/full. Renaming over
one would replace it by a regular file, and nothing would reach its reader. A symbolic link is
followed to see what it names; a link to a regular file stays, and its target is replaced. The file
that is this process's own standard output or error (`--out /dev/stdout > plan.txt`, or `>>`) is
written through that descriptor, after what was printed before, as printing would.

The new file gets the mode a plain `open(path, "w")` would give, 0o666 less the umask, not mkstemp's
0o600: neither a card nor a plan is a secret, and CI uploads both. Every failure is an OutputError
naming the path as the user gave it.
"""

from __future__ import annotations

import errno
import os
import secrets
import stat
import sys
from pathlib import Path

from pipeline.errors import OutputError


def write_bytes_atomically(path: Path, data: bytes) -> None:
    """Write `data` to `path`: atomically for a regular file or a new path, else in place."""
    path = Path(path)
    try:
        found: os.stat_result | None = path.stat()  # through links: what the path names
    except FileNotFoundError:
        found = None
    except OSError as exc:
        raise cannot_write(path, exc) from None
    mode = None if found is None else found.st_mode
    own = None if found is None else _own_output(found)
    if own is not None:
        _write_all(own, data, path)
    elif mode is None or stat.S_ISREG(mode):
        target = Path(os.path.realpath(path)) if path.is_symlink() else path
        _replace(target, data, path)
    elif stat.S_ISFIFO(mode) or stat.S_ISCHR(mode):
        _write_in_place(path, data)
    else:  # a folder, a socket, a block device: nothing a report or a plan should go to
        kind = "a folder" if stat.S_ISDIR(mode) else "neither a file, a FIFO nor a terminal"
        raise OutputError(f"cannot write {path}: it is {kind}")


def write_text_atomically(path: Path, text: str) -> None:
    """Write `text` as UTF-8, line ends exactly as given."""
    write_bytes_atomically(path, text.encode("utf-8"))


def make_folders(path: Path) -> None:
    """Create the folder `path` and its parents, as needed; an OutputError if that cannot be."""
    try:
        path.mkdir(parents=True, exist_ok=True)
    except FileExistsError:  # exist_ok: only when `path` is there and not a folder
        raise OutputError(f"cannot write {path}: it is not a folder") from None
    except OSError as exc:
        raise cannot_write(path, exc) from None


def cannot_write(path: Path, exc: OSError) -> OutputError:
    """The located error for `exc`, met writing `path`: which folder is missing or not one."""
    if exc.errno == errno.ENOENT:
        return OutputError(
            f"cannot write {path}: the folder {path.parent} does not exist",
            hint=f"create {path.parent} first, or choose another path",
        )
    if exc.errno == errno.ENOTDIR:
        for part in reversed(path.parents):  # the outermost one that is not a folder
            if part.exists() and not part.is_dir():
                return OutputError(f"cannot write {path}: {part} is not a folder")
    if exc.errno == errno.EISDIR:
        return OutputError(f"cannot write {path}: it is a folder")
    return OutputError(f"cannot write {path}: {exc.strerror or exc}")


def _replace(target: Path, data: bytes, shown: Path) -> None:
    """A temporary file beside `target`, then renamed over it; errors name `shown`."""
    temp = target.with_name(f".{target.name}.{secrets.token_hex(4)}.tmp")
    try:
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)  # the umask applies
    except OSError as exc:
        raise cannot_write(shown, exc) from None
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, target)
    except BaseException as exc:
        temp.unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise cannot_write(shown, exc) from None
        raise


def _own_output(found: os.stat_result) -> int | None:
    """The descriptor, stdout's or stderr's, whose file `found` is; that stream is flushed, so
    that what is written next comes after what was printed."""
    for stream, fd in ((sys.stdout, 1), (sys.stderr, 2)):
        try:
            if os.path.samestat(found, os.fstat(fd)):
                stream.flush()
                return fd
        except OSError:  # that descriptor is closed
            continue
    return None


def _write_in_place(path: Path, data: bytes) -> None:
    """Open and write, as `>` would; a FIFO waits here for its reader, as in a shell."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_NOCTTY)
    except OSError as exc:
        raise cannot_write(path, exc) from None
    try:
        _write_all(fd, data, path)
    finally:
        os.close(fd)


def _write_all(fd: int, data: bytes, path: Path) -> None:
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
    except OSError as exc:
        raise cannot_write(path, exc) from None
