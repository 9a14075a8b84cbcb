"""A command's one Cache and its one Hub (see plumbing.py), in a module of their own: light
enough that a plan opens its target, and starts its listing, before it loads its own code."""

from __future__ import annotations

from contextlib import AbstractContextManager

from pipeline.cli.options import HubOptions
from pipeline.hub.cache import Cache
from pipeline.hub.client import Hub, open_hub


def new_cache(options: HubOptions) -> Cache | None:
    """The run's one cache; None with --no-cache."""
    return Cache() if options.cache else None


def open_target(
    options: HubOptions, cache: Cache | None, read_only: bool = False
) -> AbstractContextManager[Hub]:
    """The run's one Hub, reading and recording through `cache` (see hub.open_hub for
    `read_only`)."""
    return open_hub(
        options.label,
        options.root,
        max_wait=options.max_wait,
        timeout=options.timeout,
        read_only=read_only,
        cache=cache,
    )
