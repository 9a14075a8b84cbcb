"""verify: read back what the Hub parsed of every card and compare it with the render.

The same step ends apply, release and sync (run_hub.then_verify); both are _plumbing.verify_step.
"""

from __future__ import annotations

from rich.console import Console

from pipeline.cli._plumbing import new_cache, open_target, verify_step
from pipeline.cli.options import VerifyOptions
from pipeline.exitcodes import EXIT_MISMATCH, EXIT_OK


def verify_command(options: VerifyOptions, console: Console) -> int:
    with open_target(options.hub, new_cache(options.hub), read_only=True) as hub:
        ok = verify_step(hub, options.sources, options.selection, console, reports=options.reports)
    return EXIT_OK if ok else EXIT_MISMATCH
