"""`python -m pipeline.localhub ARGS` is `nb-release hub serve ARGS` (one place for its options).

Tests run it in a process of its own, to kill it.
"""

import sys

from pipeline.cli import main

raise SystemExit(main(["hub", "serve", *sys.argv[1:]]))
