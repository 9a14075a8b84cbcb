"""The card: rendering a variant through the sandboxed templates, its front matter and metadata
checks, its HTML form and the diff against a live card. It imports the manifest, never the Hub."""
