"""The terminal side of a command: progress, questions, and consoles that never cut a CI log.

Rich is configured here, once; library code never prints.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import IO, TextIO, cast

from rich.console import Console
from rich.markup import escape

from pipeline.errors import OutputError

# Without a terminal (a CI log, a pipe), a console this wide: nothing is cut or wrapped at 80
# columns, where rich would otherwise fold repo ids and values in tables.
LOG_WIDTH = 1000


def log_width(stream: object) -> int | None:
    isatty = getattr(stream, "isatty", None)
    return None if callable(isatty) and isatty() else LOG_WIDTH


def stdout_console() -> Console:
    stream = cast(IO[str], _Stdout(sys.stdout))
    return Console(file=stream, soft_wrap=True, highlight=False, width=log_width(sys.stdout))


class _Stdout:
    """sys.stdout, where a failed write or flush (a full disk, a closed pipe, `> /dev/full`) is an
    OutputError: cli.main says so in one line and exits 1, instead of a traceback or rich's silent
    exit on a closed pipe.

    The descriptor is then pointed at /dev/null, as the Python docs advise for a closed pipe
    (https://docs.python.org/3/library/signal.html#note-on-sigpipe): what is still buffered is
    flushed there at exit, so Python prints no "Exception ignored" after the error.
    """

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream

    def write(self, text: str) -> int:
        try:
            return self.stream.write(text)
        except OSError as exc:
            raise self._failed(exc) from None

    def flush(self) -> None:
        try:
            self.stream.flush()
        except OSError as exc:
            raise self._failed(exc) from None

    def isatty(self) -> bool:
        return self.stream.isatty()

    def fileno(self) -> int:
        return self.stream.fileno()

    @property
    def encoding(self) -> str:
        return self.stream.encoding

    def _failed(self, exc: OSError) -> OutputError:
        try:
            fd = self.stream.fileno()
        except (OSError, ValueError):  # not a real descriptor (a test's capture): nothing buffered
            pass
        else:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, fd)
            os.close(devnull)
        return OutputError(f"cannot write to standard output: {exc.strerror or exc}")


def stderr_console() -> Console:
    return Console(stderr=True, soft_wrap=True, highlight=False, width=log_width(sys.stderr))


@contextmanager
def progress(
    console: Console, label: str
) -> Iterator[tuple[Callable[[int, int], None], Callable[[str], None]]]:
    """A rich progress bar; yields (start(total, cached), advance(repo_id)) callbacks for the
    core. `cached` is how many need no work (taken from the cache): one line says so.

    Without a terminal (a CI log) one line with the count, and none when there is nothing to do:
    the report names each repo, in the plan's order, and the work finishes in no order at all.
    """
    if not console.is_terminal:
        out = console.file

        def start_plain(total: int, cached: int) -> None:
            if total or cached:
                out.write(f"{label}: {_count(total, cached)}\n")
                out.flush()

        def advance_plain(_repo_id: str) -> None:
            pass

        yield start_plain, advance_plain
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn  # a terminal's

    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        console=console,
        transient=True,
    ) as bar:
        task = bar.add_task(label, total=None)

        def start(total: int, cached: int) -> None:
            if cached:
                bar.console.print(f"{label}: {_count(total, cached)}", markup=False)
            bar.update(task, total=total)

        def advance(_repo_id: str) -> None:
            bar.advance(task)

        yield start, advance


def _count(total: int, cached: int) -> str:
    if not cached:
        return str(total)
    return f"{total} to read from the Hub, {cached} from the cache (their head commit is unchanged)"


def ask(console: Console, prompt: str) -> str:
    """Ask at the terminal; the prompt is plain text (rich would read `[y/N]` as markup).
    End of input answers no; Ctrl-C reaches main(), which exits 130."""
    try:
        return console.input(escape(prompt))
    except EOFError:
        console.print()
        return ""


def confirmed(console: Console, prompt: str) -> bool | None:
    """y/N at a terminal: True for yes, False for anything else; None without a terminal."""
    if not sys.stdin.isatty():
        return None
    return ask(console, prompt).strip().lower() in ("y", "yes")
