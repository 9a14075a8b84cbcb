"""`python -m pipeline` is the same as the `nb-release` command."""

from pipeline.cli.main import main

raise SystemExit(main())
