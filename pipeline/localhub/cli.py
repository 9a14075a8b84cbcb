"""The local Hub's own command-line options: `nb-release hub serve` and
`python -m pipeline.localhub` both build them here, so the local Hub imports no CLI above it.

Importing this module loads no server code (argparse, the fault and quota records): nb-release
builds its whole parser for every command, and `render`/`validate` must not load the Hub.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path

from pipeline.errors import PipelineError
from pipeline.localhub.faults import FaultConfig
from pipeline.localhub.quotas import BUCKETS, Quota


def _quota(text: str) -> Quota:
    try:
        return Quota.parse(text)
    except PipelineError as error:
        raise argparse.ArgumentTypeError(
            f"{error.message}; {error.hint}" if error.hint else error.message
        ) from None


def add_serve_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of `hub serve`: where to store and listen, latency, faults and quotas."""
    parser.add_argument(
        "--root",
        type=Path,
        default=Path(".hub"),
        metavar="DIR",
        help="the store folder (default: .hub)",
    )
    parser.add_argument(
        "--host", default="127.0.0.1", help="the address to bind (default: 127.0.0.1)"
    )
    parser.add_argument(
        "--port", type=int, default=0, metavar="N", help="the port (default: 0, a free port)"
    )
    parser.add_argument(
        "--allow-non-loopback",
        action="store_true",
        help="allow binding an address other than loopback",
    )
    parser.add_argument(
        "--latency-ms",
        type=float,
        default=0.0,
        metavar="N",
        help="fixed latency added to every request, in milliseconds",
    )
    parser.add_argument(
        "--jitter-ms",
        type=float,
        default=0.0,
        metavar="N",
        help="random extra latency of up to N milliseconds",
    )
    parser.add_argument(
        "--fault-rate",
        type=float,
        default=0.0,
        metavar="P",
        help="the share of requests (0 to 1) answered with an injected fault",
    )
    parser.add_argument(
        "--fault-seed",
        type=int,
        default=0,
        metavar="N",
        help="the seed of the fault mix, for repeatable runs",
    )
    parser.add_argument(
        "--fault-route",
        default=None,
        metavar="ROUTE",
        help="inject faults only on this route (e.g. commit, resolve)",
    )
    parser.add_argument(
        "--fault-first",
        type=int,
        default=None,
        metavar="N",
        help="inject faults only on the first N requests (of the route)",
    )
    parser.add_argument(
        "--quota",
        type=_quota,
        action="append",
        default=[],
        metavar="BUCKET=N/SECONDS",
        help="answer 429 past N requests per window, as the Hub does (buckets: "
        f"{', '.join(BUCKETS)}); e.g. --quota api=1000/300 --quota commits=100/3600; repeatable",
    )


def serve_from_args(args: argparse.Namespace, announce: Callable[[str], None]) -> None:
    """Serve until Ctrl-C with the options `add_serve_arguments` parsed."""
    from pipeline.localhub.app import serve_forever  # the server itself, only when serving

    faults = FaultConfig(
        latency_ms=args.latency_ms,
        jitter_ms=args.jitter_ms,
        fault_rate=args.fault_rate,
        fault_seed=args.fault_seed,
        route=args.fault_route,
        first_n=args.fault_first,
    )
    serve_forever(
        root=args.root,
        host=args.host,
        port=args.port,
        faults=faults,
        allow_non_loopback=args.allow_non_loopback,
        announce=announce,
        quotas=args.quota,
    )
