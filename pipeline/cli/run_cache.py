"""`cache clear`: every entry of the local cache removed. It loads neither the renderer nor the
manifest's models, only the cache."""

from __future__ import annotations

from rich.console import Console

from pipeline.cli.options import CacheClearOptions
from pipeline.english import plural
from pipeline.exitcodes import EXIT_OK
from pipeline.hub.cache import Cache


def cache_clear(options: CacheClearOptions, console: Console) -> int:
    cache = Cache()
    removed = cache.clear()
    entries = plural(removed, "cache entry", "cache entries")
    console.print(f"Removed {entries} from {cache.root}/", markup=False)
    return EXIT_OK
