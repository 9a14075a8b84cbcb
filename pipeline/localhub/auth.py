"""Tokens of the local Hub: `<root>/tokens`, one `TOKEN USERNAME` per line, mode 0600.

Any valid token may write to any namespace: the local Hub has no organisations to check, and its
only writers are this project's own runs and tests. A token is never logged, echoed or returned.
"""

from __future__ import annotations

import contextlib
import hmac
import os
import secrets
import threading
from pathlib import Path

from pipeline.errors import PipelineError

TOKENS_NAME = "tokens"
DEFAULT_USER = "local-user"


def ensure_token_file(root: Path) -> Path:
    """`<root>/tokens`, created with one random token for DEFAULT_USER if it does not exist."""
    root.mkdir(parents=True, exist_ok=True)
    path = root / TOKENS_NAME
    try:
        # O_EXCL + 0600 from the start: the token is never readable by others, not even briefly.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write("# TOKEN USERNAME, one per line. Any listed token may write any repo.\n")
        handle.write(f"hf_local_{secrets.token_hex(16)} {DEFAULT_USER}\n")
    return path


def _parse(path: Path) -> list[tuple[str, str]]:
    pairs: list[tuple[str, str]] = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        parts = line.split()
        if len(parts) != 2:
            # The line is not quoted: it may hold a token.
            raise PipelineError(
                f"{path}:{number}: expected 'TOKEN USERNAME'",
                hint="one token and one user name per line, separated by a space",
            )
        pairs.append((parts[0], parts[1]))
    return pairs


class Tokens:
    """The token file, re-read when it changes, so tokens can be added to a running server."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._stamp: tuple[int, int] | None = None
        self._pairs: list[tuple[str, str]] = []
        self._load()

    def _load(self) -> None:
        stat = self.path.stat()
        stamp = (stat.st_mtime_ns, stat.st_size)
        if stamp != self._stamp:
            self._pairs = _parse(self.path)
            self._stamp = stamp

    def first(self) -> str:
        with self._lock:
            self._load()
            if not self._pairs:
                raise PipelineError(
                    f"{self.path} holds no token", hint="add a 'TOKEN USERNAME' line"
                )
            return self._pairs[0][0]

    def user(self, token: str) -> str | None:
        """The user of `token`, or None; compares in constant time."""
        with self._lock:
            # Keep the last good list rather than lock everyone out while the file is edited.
            with contextlib.suppress(OSError, PipelineError):
                self._load()
            found = None
            for known, user in self._pairs:
                if hmac.compare_digest(known.encode(), token.encode()):
                    found = user
            return found
