"""`hub serve`: the local Hub's server in the foreground (pipeline/localhub). It loads the server
and nothing of the manifest, the renderer or the Hub client."""

from __future__ import annotations

from rich.console import Console

from pipeline.cli.options import ServeOptions
from pipeline.exitcodes import EXIT_OK


def serve(options: ServeOptions, console: Console) -> int:
    from pipeline.localhub.cli import serve_from_args  # the server, only when serving

    serve_from_args(options.args, lambda line: console.print(line, soft_wrap=True))
    return EXIT_OK
