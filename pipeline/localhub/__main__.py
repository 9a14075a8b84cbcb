"""`python -m pipeline.localhub --root DIR [--port N] ...`: the local Hub in the foreground.

For tests that need a server in its own process (to kill it); users run `nb-release hub serve`.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from pipeline.errors import PipelineError
from pipeline.localhub.app import serve_forever
from pipeline.localhub.faults import FaultConfig


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pipeline.localhub")
    parser.add_argument("--root", type=Path, default=Path(".hub"))
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--latency-ms", type=float, default=0)
    parser.add_argument("--jitter-ms", type=float, default=0)
    parser.add_argument("--fault-rate", type=float, default=0.0)
    parser.add_argument("--fault-seed", type=int, default=0)
    parser.add_argument("--fault-route", default=None)
    parser.add_argument("--fault-first", type=int, default=None)
    args = parser.parse_args(argv)
    try:
        faults = FaultConfig(
            latency_ms=args.latency_ms,
            jitter_ms=args.jitter_ms,
            fault_rate=args.fault_rate,
            fault_seed=args.fault_seed,
            route=args.fault_route,
            first_n=args.fault_first,
        )
        serve_forever(args.root, args.host, args.port, faults, False, _announce)
    except PipelineError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


def _announce(line: str) -> None:
    print(line, flush=True)


if __name__ == "__main__":
    raise SystemExit(main())
