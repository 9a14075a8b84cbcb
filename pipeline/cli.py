"""The `nb-release` command: parse, build one options object, call one core function.

This is the only module that prints errors and chooses exit codes. Exit codes:
0 success / nothing to publish, 1 error (nothing written), 2 changes pending (plan, render --check),
3 partly done (apply/release: some repos stale or failed; a re-run converges).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from rich.console import Console

from pipeline import __version__
from pipeline.errors import PipelineError

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_PENDING = 2
EXIT_PARTIAL = 3

Handler = Callable[[argparse.Namespace, Console], int]


def _add_source(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--manifest",
        type=Path,
        default=Path("models.toml"),
        metavar="FILE",
        help="the manifest to read (default: models.toml)",
    )
    parser.add_argument(
        "--cards",
        type=Path,
        default=Path("cards"),
        metavar="DIR",
        help="the folder of card templates (default: cards)",
    )


def _add_selection(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--only",
        action="append",
        default=[],
        metavar="GLOB",
        help="work only on variants whose repo id or name matches GLOB (repeatable)",
    )
    parser.add_argument(
        "--exclude",
        action="append",
        default=[],
        metavar="GLOB",
        help="leave out variants whose repo id or name matches GLOB (repeatable)",
    )


def _add_hub(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--hub",
        default=None,
        metavar="TARGET",
        help="'local' (the embedded local Hub in .hub/, the default) or a Hub URL such as "
        "https://huggingface.co; NB_RELEASE_HUB sets the default",
    )
    parser.add_argument(
        "--hub-root",
        type=Path,
        default=None,
        metavar="DIR",
        help="the store of the embedded local Hub (default: .hub)",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="nb-release",
        description="Keep every NB-Llama model card on the Hugging Face Hub true to one "
        "manifest: validate, render, plan, apply.",
    )
    parser.add_argument("--version", action="version", version=f"nb-release {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    validate = commands.add_parser(
        "validate",
        help="check the manifest, render every card and check its metadata; writes nothing",
        description="Check models.toml, render every card and check its front matter and "
        "metadata. Writes nothing. Exit status 0 if all is valid, 1 otherwise.",
    )
    _add_source(validate)
    _add_selection(validate)
    validate.set_defaults(handler=_validate)

    render = commands.add_parser(
        "render",
        help="render every card to DIR/<namespace>/<name>/README.md",
        description="Render every card to DIR/<namespace>/<name>/README.md (LF, UTF-8, one "
        "trailing newline), byte-identical from run to run. With --check, write nothing and exit "
        "1 listing the files that differ from a fresh render.",
    )
    _add_source(render)
    _add_selection(render)
    render.add_argument(
        "--out",
        type=Path,
        default=Path("build/cards"),
        metavar="DIR",
        help="where to write the cards (default: build/cards)",
    )
    render.add_argument(
        "--check",
        action="store_true",
        help="write nothing; exit 1 and list the files under --out that differ from a fresh render",
    )
    render.set_defaults(handler=_render)

    hub = commands.add_parser(
        "hub",
        help="the local Hub: a Hub-compatible server on loopback",
        description="The local Hub: a Hub-compatible HTTP server on loopback.",
    )
    hub_commands = hub.add_subparsers(dest="hub_command", metavar="COMMAND", required=True)
    serve = hub_commands.add_parser(
        "serve",
        help="serve the local Hub until interrupted",
        description="Serve the local Hub until interrupted (Ctrl-C). Prints its URL and the path "
        "of its token file, never a token.",
    )
    serve.add_argument(
        "--root",
        type=Path,
        default=Path(".hub"),
        metavar="DIR",
        help="the store folder (default: .hub)",
    )
    serve.add_argument(
        "--host", default="127.0.0.1", help="the address to bind (default: 127.0.0.1)"
    )
    serve.add_argument(
        "--port", type=int, default=0, metavar="N", help="the port (default: 0, a free port)"
    )
    serve.add_argument(
        "--allow-non-loopback",
        action="store_true",
        help="allow binding an address other than loopback",
    )
    serve.add_argument(
        "--latency-ms",
        type=float,
        default=0.0,
        metavar="N",
        help="fixed latency added to every request, in milliseconds",
    )
    serve.add_argument(
        "--jitter-ms",
        type=float,
        default=0.0,
        metavar="N",
        help="random extra latency of up to N milliseconds",
    )
    serve.add_argument(
        "--fault-rate",
        type=float,
        default=0.0,
        metavar="P",
        help="the share of requests (0 to 1) answered with an injected fault",
    )
    serve.add_argument(
        "--fault-seed",
        type=int,
        default=0,
        metavar="N",
        help="the seed of the fault mix, for repeatable runs",
    )
    serve.add_argument(
        "--fault-route",
        default=None,
        metavar="ROUTE",
        help="inject faults only on this route (e.g. commit, resolve)",
    )
    serve.add_argument(
        "--fault-first",
        type=int,
        default=None,
        metavar="N",
        help="inject faults only on the first N requests (of the route)",
    )
    serve.set_defaults(handler=_hub_serve)
    return parser


# --- handlers -----------------------------------------------------------------------------------


def _validate(args: argparse.Namespace, console: Console) -> int:
    from pipeline.manifest import load_manifest
    from pipeline.render import Selection, render_all

    manifest = load_manifest(args.manifest)
    cards = render_all(manifest, args.cards, Selection(tuple(args.only), tuple(args.exclude)))
    console.print(
        f"{args.manifest}: valid. {len(cards)} cards rendered and checked "
        f"({len(manifest.variants)} variants in the manifest)."
    )
    return EXIT_OK


def _render(args: argparse.Namespace, console: Console) -> int:
    from pipeline.manifest import load_manifest
    from pipeline.render import Selection, differing_files, render_all, write_cards

    manifest = load_manifest(args.manifest)
    cards = render_all(manifest, args.cards, Selection(tuple(args.only), tuple(args.exclude)))
    if args.check:
        stale = differing_files(cards, args.out)
        if stale:
            console.print(f"{len(stale)} of {len(cards)} cards differ from a fresh render:")
            for path in stale:
                console.print(f"  {path}")
            return EXIT_ERROR
        console.print(f"All {len(cards)} cards under {args.out} match a fresh render.")
        return EXIT_OK
    written = write_cards(cards, args.out)
    console.print(f"Rendered {len(written)} cards to {args.out}/")
    return EXIT_OK


def _hub_serve(args: argparse.Namespace, console: Console) -> int:
    from pipeline.localhub import FaultConfig, serve_forever

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
        announce=lambda line: console.print(line, highlight=False, soft_wrap=True),
    )
    return EXIT_OK


# --- the one exit point -------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    console = Console(soft_wrap=True, highlight=False)
    errors = Console(stderr=True, soft_wrap=True, highlight=False)
    handler: Handler = args.handler
    try:
        return handler(args, console)
    except PipelineError as exc:
        errors.print(f"error: {exc.message}", markup=False)
        if exc.hint:
            errors.print(f"hint: {exc.hint}", markup=False)
        return exc.exit_code
    except KeyboardInterrupt:
        errors.print("interrupted", markup=False)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
