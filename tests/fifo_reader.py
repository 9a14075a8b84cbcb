"""A reader of a FIFO or a pipe in a thread of its own, as the consumer of
`nb-release ... --out FIFO` (or of its stdout) is: a writer may write more than a pipe holds."""

from __future__ import annotations

import os
import threading
from pathlib import Path


class FifoReader(threading.Thread):
    """Reads `fifo` (a path, or the read end of a pipe, which it closes) to its end; `finish()`
    returns what it read, b"" if nothing opened the FIFO."""

    def __init__(self, fifo: Path | int) -> None:
        super().__init__(daemon=True)
        self.fifo = fifo
        self.data = b""

    def run(self) -> None:
        with open(self.fifo, "rb") as handle:  # a FIFO: blocks until a writer opens it
            self.data = handle.read()

    def finish(self) -> bytes:
        self.join(timeout=10)
        if self.is_alive() and isinstance(self.fifo, Path):  # no writer came: release the reader
            os.close(os.open(self.fifo, os.O_WRONLY | os.O_NONBLOCK))
            self.join(timeout=10)
        return self.data
