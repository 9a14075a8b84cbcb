"""The defaults of how nb-release talks to the Hub, in one place for the client and the CLI.

Pure constants: the command line reads them without importing the Hub client.
"""

# The longest one request may wait for retries and rate limits; a quota that resets later stops
# the run cleanly (exit 3) instead of waiting.
DEFAULT_MAX_WAIT = 60.0
# Seconds per request (connect, read); a hung request is given up and retried.
DEFAULT_TIMEOUT = 60.0
# Commits in flight at once: enough to hide the round trips, few enough to stay inside the
# Hub's per-window request budgets and its commit quota's pacing.
DEFAULT_JOBS = 4
