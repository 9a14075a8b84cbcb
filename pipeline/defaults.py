"""The client's defaults that the command line shows, in a module that imports nothing.

`nb-release validate` and `render` build the whole argument parser, help texts and defaults
included, but never reach a Hub; keeping these numbers here lets them start without importing
huggingface_hub and its HTTP client (pipeline.hub, pipeline.publish).
"""

from __future__ import annotations

DEFAULT_TIMEOUT = 60.0  # seconds per request (connect, read); a hung request is retried

# Commits in flight at once: enough to hide the round trips, few enough to stay inside the
# Hub's per-window request budgets and its commit quota's pacing.
DEFAULT_JOBS = 4
