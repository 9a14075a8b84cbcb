"""The `nb-release` command: parse, build one options record, run one command.

This is the only module that prints errors and chooses the exit status (pipeline/exitcodes.py;
the README's table): the commands raise PipelineError, and a traceback means a bug. The commands
that talk to the Hub live in run_plan.py (plan, preview), run_hub.py (apply, release, sync) and
run_history.py, and are imported only when run, so `validate` and `render` start without the Hub
client (issue 9) and a warm plan without the renderer, pydantic's models or the publishing code.
"""

from __future__ import annotations

import logging
import signal
import sys
import threading
from collections.abc import Sequence
from types import FrameType

from rich.console import Console

from pipeline.cli_args import build_parser as build_parser  # re-exported for tests and docs
from pipeline.errors import PipelineError
from pipeline.exitcodes import EXIT_INTERRUPTED, EXIT_OK
from pipeline.options import (
    ApplyOptions,
    CacheClearOptions,
    HistoryOptions,
    Options,
    PlanOptions,
    PreviewOptions,
    ReleaseOptions,
    RenderOptions,
    RestoreOptions,
    ServeOptions,
    SyncOptions,
    ValidateOptions,
    from_args,
)
from pipeline.safetext import printable_lines
from pipeline.terminal import LOG_WIDTH as LOG_WIDTH  # re-exported: tests pin the log width
from pipeline.terminal import stderr_console, stdout_console


def run(options: Options, console: Console) -> int:
    """Run one command; its exit status."""
    if isinstance(options, ValidateOptions | RenderOptions):
        from pipeline import run_local  # jinja2, YAML and pydantic: not for a warm plan

        if isinstance(options, ValidateOptions):
            return run_local.validate(options, console)
        return run_local.render_cards(options, console)
    if isinstance(options, ServeOptions):
        from pipeline.localhub.cli import serve_from_args

        serve_from_args(options.args, lambda line: console.print(line, soft_wrap=True))
        return EXIT_OK
    if isinstance(options, HistoryOptions | RestoreOptions):
        from pipeline import run_history

        if isinstance(options, HistoryOptions):
            return run_history.history_command(options, console)
        return run_history.restore_command(options, console)
    if isinstance(options, PlanOptions | PreviewOptions):
        from pipeline import run_plan  # the Hub client, only for the commands that use it

        if isinstance(options, PlanOptions):
            return run_plan.plan_command(options, console)
        return run_plan.preview_command(options, console)
    from pipeline import run_hub  # and the publishing code only for those that publish

    if isinstance(options, ApplyOptions):
        return run_hub.apply_command(options, console)
    if isinstance(options, ReleaseOptions):
        return run_hub.release_command(options, console)
    if isinstance(options, SyncOptions):
        return run_hub.sync_command(options, console)
    if isinstance(options, CacheClearOptions):
        return run_hub.cache_clear_command(console)
    raise AssertionError(f"no command runs {options!r}")  # pragma: no cover


class _ConsoleLog(logging.Handler):
    """The core's warnings (a request tried again) as plain lines on stderr."""

    def __init__(self, console: Console) -> None:
        super().__init__(logging.WARNING)
        self.console = console

    def emit(self, record: logging.LogRecord) -> None:
        message = printable_lines(record.getMessage())
        self.console.print(f"note: {message}", markup=False, highlight=False)


def _show_log(errors: Console) -> None:
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
    args = build_parser().parse_args(argv)  # a usage error exits 64 (cli_args._Parser)
    console = stdout_console()
    errors = stderr_console()
    _show_log(errors)
    previous = None
    if threading.current_thread() is threading.main_thread():
        previous = signal.signal(signal.SIGTERM, _terminated)
    try:
        status = run(from_args(args), console)
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
