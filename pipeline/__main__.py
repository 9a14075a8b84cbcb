"""`python -m pipeline` is the same as the `nb-release` command."""

from pipeline.cli import main

raise SystemExit(main())
