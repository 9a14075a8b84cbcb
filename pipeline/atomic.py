"""Write a file atomically: a reader sees the old file or the new one, never half of one.

The one writer of nb-release's output files (rendered cards, saved plans). The new file gets the
mode a plain `open(path, "w")` would give, 0o666 less the umask, not mkstemp's 0o600: neither a
card nor a plan is a secret, and CI uploads both.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path


def write_bytes_atomically(path: Path, data: bytes) -> None:
    """Write `data` to `path` via a temporary file in the same folder, then rename it over."""
    path = Path(path)
    temp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)  # the umask applies
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, path)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise


def write_text_atomically(path: Path, text: str) -> None:
    """Write `text` as UTF-8, line ends exactly as given."""
    write_bytes_atomically(path, text.encode("utf-8"))
