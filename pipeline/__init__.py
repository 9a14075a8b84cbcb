"""nb-release: keep every NB-Llama model card on the Hub true to one manifest."""

from __future__ import annotations

from functools import cache


@cache
def _installed_version() -> str:
    # Written at install time from the git tag (setuptools-scm, pyproject.toml), as
    # pipeline/_version.py and in the package's metadata. Read on first use, from the module:
    # importlib.metadata (and the email package it loads) costs about 30 ms, a large share of a
    # warm plan's or a remembered validate's start-up.
    try:
        from pipeline._version import __version__ as written

        return str(written)
    except ImportError:  # installed before the file was written, or not installed
        pass
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("nb-release")
    except PackageNotFoundError:  # a source tree run without installing it
        return "0.0.0+unknown"


def __getattr__(name: str) -> str:
    """`pipeline.__version__`, read from the installed package's metadata when first asked for."""
    if name == "__version__":
        return _installed_version()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
