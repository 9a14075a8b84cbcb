"""Reading the project's own files: regular files only, each within a size bound, never blocking.

models.toml, the templates under cards/ and a saved plan are input that a pull request or a user
can change. Each is read here:

* opened with O_NONBLOCK, so a FIFO with no writer does not block the open for ever, and checked
  with fstat before a byte is read: a FIFO, a device (`/dev/zero`), a socket or a folder is
  refused;
* refused unread when its size is over its bound, so a 4 GB sparse file costs nothing; and read
  at most one byte past the bound, since a file can grow and /proc files report a size of 0.

The caller turns `UnreadableFile` into its own located error (the manifest's, the templates',
the plan's), naming the file.
"""

from __future__ import annotations

import codecs
import errno
import os
import stat
from pathlib import Path

# Reading in pieces of this size: one read of `limit + 1` bytes would allocate the whole bound
# at once even for a file of a few kilobytes.
_CHUNK = 1024 * 1024


class UnreadableFile(Exception):
    """Why a project file cannot be read, as the rest of "<file>: <reason>"."""

    def __init__(self, reason: str, missing: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.missing = missing  # there is no such file


class NotText(UnreadableFile):
    """A project file that is not UTF-8 text: `reason`, at `line` and `column` (1-based, in
    bytes) of the first byte that cannot be read."""

    def __init__(self, raw: bytes, start: int) -> None:
        super().__init__(
            f"the file is not UTF-8 text: byte 0x{raw[start]:02x} cannot start or continue a "
            "character"
        )
        self.line = raw.count(b"\n", 0, start) + 1
        self.column = start - (raw.rfind(b"\n", 0, start) + 1) + 1


def decode_text(raw: bytes) -> str:
    """The text of a project file (models.toml, a file under cards/): UTF-8, its byte order mark
    dropped. Editors on Windows write one; it means nothing, yet TOML refuses it ("Invalid
    statement" at 1:1) and a template would put it before the card's `---`. NotText if the bytes
    are not UTF-8."""
    body = raw.removeprefix(codecs.BOM_UTF8)
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise NotText(raw, exc.start + len(raw) - len(body)) from None


def _kind(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "something else"


def read_regular_file(path: Path, limit: int, what: str, *, follow: bool = True) -> bytes:
    """The bytes of the regular file `path`, at most `limit` of them; else UnreadableFile.

    `what` names the file's role in the message ("a manifest" -> "the most a manifest may
    have"). With `follow=False` a symbolic link as the last part of `path` is refused (O_NOFOLLOW).
    """
    flags = os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC | (0 if follow else os.O_NOFOLLOW)
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        raise UnreadableFile("no such file", missing=True) from None
    except OSError as exc:
        raise UnreadableFile(exc.strerror or str(exc)) from None
    try:
        _check(fd, limit, what)
        return _read(fd, limit, what)
    finally:
        os.close(fd)


def _check(fd: int, limit: int, what: str) -> None:
    info = os.fstat(fd)
    if stat.S_ISDIR(info.st_mode):
        raise UnreadableFile(os.strerror(errno.EISDIR))  # "Is a directory", as open() says
    if not stat.S_ISREG(info.st_mode):
        raise UnreadableFile(f"the file is {_kind(info.st_mode)}, not a regular file")
    if info.st_size > limit:
        raise UnreadableFile(_too_large(limit, what))


def _read(fd: int, limit: int, what: str) -> bytes:
    parts: list[bytes] = []
    total = 0
    try:
        while total <= limit:
            chunk = os.read(fd, min(_CHUNK, limit + 1 - total))
            if not chunk:
                break
            parts.append(chunk)
            total += len(chunk)
    except OSError as exc:
        raise UnreadableFile(exc.strerror or str(exc)) from None
    if total > limit:
        raise UnreadableFile(_too_large(limit, what))
    return b"".join(parts)


def _too_large(limit: int, what: str) -> str:
    return f"the file is larger than {limit} bytes, the most {what} may have"


def nesting_depth(data: object, beyond: int) -> int:
    """How deep dicts and lists nest in `data`, counted up to `beyond + 1`; iterative, so any
    depth is safe to measure (a parser's own recursion may not be)."""
    deepest = 0
    stack: list[tuple[object, int]] = [(data, 0)]
    while stack:
        value, level = stack.pop()
        if isinstance(value, dict):
            children: list[object] = list(value.values())
        elif isinstance(value, list):
            children = list(value)
        else:
            continue
        deepest = max(deepest, level + 1)
        if deepest > beyond:
            break
        stack.extend((child, level + 1) for child in children)
    return deepest
