"""A reader of a FIFO in a thread of its own, as the consumer of `nb-release ... --out FIFO` is."""

from __future__ import annotations

import os
import threading
from pathlib import Path


class FifoReader(threading.Thread):
    """Reads `fifo` to its end; `finish()` returns what it read, b"" if nothing opened the FIFO."""

    def __init__(self, fifo: Path) -> None:
        super().__init__(daemon=True)
        self.fifo = fifo
        self.data = b""

    def run(self) -> None:
        with open(self.fifo, "rb") as handle:  # blocks until a writer opens the FIFO
            self.data = handle.read()

    def finish(self) -> bytes:
        self.join(timeout=10)
        if self.is_alive():  # no writer came (the FIFO was replaced): release the reader
            os.close(os.open(self.fifo, os.O_WRONLY | os.O_NONBLOCK))
            self.join(timeout=10)
        return self.data
