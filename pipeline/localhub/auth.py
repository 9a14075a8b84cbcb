"""Tokens of the local Hub: `<root>/tokens`, one `TOKEN USERNAME [ROLE [SCOPE...]]` per line,
mode 0600.

ROLE is what whoami-v2 answers as the token's role: `write` (the default), `read` (every write
refused, 403), or `fineGrained` with its scopes, each `TYPE:NAME` (user, org or model; the
permissions repo.content.read and repo.write) or `TYPE:NAME=PERMISSION,...`. A write or
fine-grained token may write to any namespace: the local Hub has no organisations to check, and
its only writers are this project's own runs and tests; the scopes are answered, not enforced.
A token is never logged, echoed or returned.
"""

from __future__ import annotations

import contextlib
import hmac
import os
import secrets
import threading
from dataclasses import dataclass
from pathlib import Path

from pipeline.errors import PipelineError

TOKENS_NAME = "tokens"
DEFAULT_USER = "local-user"
ROLES = ("write", "read", "fineGrained")
SCOPE_TYPES = ("user", "org", "model")
DEFAULT_SCOPE_PERMISSIONS = ("repo.content.read", "repo.write")


@dataclass(frozen=True)
class Scope:
    """One entity a fine-grained token may act on, and its permissions there."""

    entity_type: str  # user, org or model
    name: str
    permissions: tuple[str, ...]


@dataclass(frozen=True)
class Access:
    """Whose a token is and what it may do, as whoami-v2 tells it."""

    user: str
    role: str = "write"
    scopes: tuple[Scope, ...] = ()

    @property
    def read_only(self) -> bool:
        return self.role == "read"


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


def _scope(text: str) -> Scope | None:
    entity, _, permissions = text.partition("=")
    entity_type, _, name = entity.partition(":")
    if entity_type not in SCOPE_TYPES or not name:
        return None
    granted = tuple(p for p in permissions.split(",") if p) if permissions else ()
    return Scope(entity_type, name, granted or DEFAULT_SCOPE_PERMISSIONS)


def _access(parts: list[str]) -> Access | None:
    user, rest = parts[1], parts[2:]
    role = rest[0] if rest else "write"
    scopes = [_scope(text) for text in rest[1:]]
    if role not in ROLES or (scopes and role != "fineGrained"):
        return None
    found = tuple(scope for scope in scopes if scope is not None)
    return Access(user, role, found) if len(found) == len(scopes) else None


def _parse(path: Path) -> list[tuple[str, Access]]:
    pairs: list[tuple[str, Access]] = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        parts = line.split()
        access = _access(parts) if len(parts) >= 2 else None
        if access is None:
            # The line is not quoted: it may hold a token.
            raise PipelineError(
                f"{path}:{number}: expected 'TOKEN USERNAME [ROLE [SCOPE...]]'",
                hint="one token and one user name per line, separated by a space; ROLE is "
                "write (the default), read or fineGrained, each SCOPE TYPE:NAME (user, org or "
                "model) or TYPE:NAME=PERMISSION,...",
            )
        pairs.append((parts[0], access))
    return pairs


class Tokens:
    """The token file, re-read when it changes, so tokens can be added to a running server."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._stamp: tuple[int, int] | None = None
        self._pairs: list[tuple[str, Access]] = []
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
        access = self.access(token)
        return access.user if access else None

    def access(self, token: str) -> Access | None:
        """Whose `token` is and what it may do, or None; compares in constant time."""
        with self._lock:
            # Keep the last good list rather than lock everyone out while the file is edited.
            with contextlib.suppress(OSError, PipelineError):
                self._load()
            found = None
            for known, access in self._pairs:
                if hmac.compare_digest(known.encode(), token.encode()):
                    found = access
            return found
