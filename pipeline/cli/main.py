"""The `nb-release` command: parse, build one options record, run one command.

This is the only module that prints errors and chooses the exit status (pipeline/exitcodes.py;
the README's table): the commands raise PipelineError, and a traceback means a bug. The commands
are registered in pipeline/cli/commands.py, each with the handler it runs; a handler is imported
only when its command runs.
"""

from __future__ import annotations

import signal
import sys
import threading
from collections.abc import Sequence
from types import FrameType
from typing import TYPE_CHECKING

from pipeline.cli.commands import build_parser, chosen
from pipeline.errors import PipelineError
from pipeline.exitcodes import EXIT_INTERRUPTED
from pipeline.safetext import printable_lines

if TYPE_CHECKING:
    from rich.console import Console


def _show_log(errors: Console) -> None:
    """The core's warnings (a request tried again) as plain lines on stderr."""
    import logging  # only where a command runs: not for --help, nor a remembered answer

    class _ConsoleLog(logging.Handler):
        def __init__(self, console: Console) -> None:
            super().__init__(logging.WARNING)
            self.console = console

        def emit(self, record: logging.LogRecord) -> None:
            message = printable_lines(record.getMessage())
            self.console.print(f"note: {message}", markup=False, highlight=False)

    logger = logging.getLogger("nb_release")
    logger.handlers[:] = [_ConsoleLog(errors)]
    logger.setLevel(logging.WARNING)
    logger.propagate = False


# --- the one exit point -------------------------------------------------------------------------


def _terminated(signum: int, frame: FrameType | None) -> None:
    # SIGTERM (a CI job cancelled, `timeout`, systemd) takes Ctrl-C's way out: no new commit
    # starts, those in flight finish, what landed is listed, and the status is 130.
    raise KeyboardInterrupt


def main(argv: Sequence[str] | None = None) -> int:
    words = sys.argv[1:] if argv is None else list(argv)
    args = build_parser(words).parse_args(words)  # a usage error exits 64 (cli_args.Parser)
    try:  # before rich and the console: a remembered answer (validate's verdict) needs neither
        answered = chosen(args).answered(args)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    if answered is not None:
        return answered
    # rich only now: help and usage errors print through argparse, without it.
    from pipeline.cli.terminal import stderr_console, stdout_console

    console = stdout_console()
    errors = stderr_console()
    _show_log(errors)
    previous = None
    if threading.current_thread() is threading.main_thread():
        previous = signal.signal(signal.SIGTERM, _terminated)
    try:
        status = chosen(args).run(args, console)
        console.file.flush()  # a full or closed stdout fails here at the latest, as an OutputError
        return status
    except PipelineError as exc:
        # A message may quote text nb-release did not write (the Hub's, a file's): escaped.
        errors.print(f"error: {printable_lines(exc.message)}", markup=False)
        if exc.hint:
            errors.print(f"hint: {printable_lines(exc.hint)}", markup=False)
        return exc.exit_code
    except KeyboardInterrupt:
        errors.print("interrupted", markup=False)
        return EXIT_INTERRUPTED
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
