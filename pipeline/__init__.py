"""nb-release: keep every NB-Llama model card on the Hub true to one manifest."""

__version__ = "0.1.0"
