"""`python -m pipeline.localhub ARGS`: the local Hub alone, with `nb-release hub serve`'s options.

Tests run it in a process of its own, to kill it.
"""

import argparse
import sys

from pipeline.errors import PipelineError
from pipeline.localhub.cli import add_serve_arguments, serve_from_args


def main() -> int:
    parser = argparse.ArgumentParser(
        prog="python -m pipeline.localhub", description="Serve the local Hub until interrupted."
    )
    add_serve_arguments(parser)
    args = parser.parse_args()
    try:
        serve_from_args(args, lambda line: print(line, flush=True))
    except PipelineError as error:
        print(f"error: {error.message}", file=sys.stderr)
        if error.hint:
            print(f"hint: {error.hint}", file=sys.stderr)
        return error.exit_code
    return 0


raise SystemExit(main())
