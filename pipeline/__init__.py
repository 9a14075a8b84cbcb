"""nb-release: keep every NB-Llama model card on the Hub true to one manifest."""

from importlib.metadata import PackageNotFoundError, version

try:
    # Written at install time from the git tag (setuptools-scm, pyproject.toml).
    __version__ = version("nb-release")
except PackageNotFoundError:  # a source tree run without installing it
    __version__ = "0.0.0+unknown"
