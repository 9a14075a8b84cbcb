"""nb-release's tests. Every folder is a package, so each module has one name
(tests.<folder>.<module>) for pytest and mypy alike."""
