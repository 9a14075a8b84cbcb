"""The manifest: models.toml read, located and validated into frozen variants, the family rules,
the selection (--only, --exclude) and the source files with their fingerprint."""
