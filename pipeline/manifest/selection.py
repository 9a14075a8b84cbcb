"""Which variants a command works on: `--only` and `--exclude`, shell globs on repo id or name.

Globs match without regard to case, as the Hub treats repo ids (the family mixes `70B` and
`70b`). A pattern that matches no variant at all is an error: a misspelt `--exclude` would
otherwise publish exactly what it was meant to hold back.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pipeline.errors import PipelineError

if TYPE_CHECKING:  # a warm plan from cached renders never loads the manifest's models
    from pipeline.manifest.model import Manifest, Variant

_HINT = (
    "patterns are shell globs matched, ignoring case, against the repo id or the name, "
    "e.g. --only 'NbAiLab/*-GGUF' or --exclude nb-llama-3.1-70B"
)


def _hit(variant: Variant, pattern: str) -> bool:
    pattern = pattern.casefold()
    return fnmatch.fnmatchcase(variant.repo_id.casefold(), pattern) or fnmatch.fnmatchcase(
        variant.name.casefold(), pattern
    )


@dataclass(frozen=True)
class Selection:
    """The --only and --exclude patterns of one command."""

    only: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()

    def matches(self, variant: Variant) -> bool:
        def hit(patterns: Iterable[str]) -> bool:
            return any(_hit(variant, p) for p in patterns)

        return (not self.only or hit(self.only)) and not hit(self.exclude)


def named(manifest: Manifest, name: str) -> list[Variant]:
    """The variants `name` picks as `--only name` would, in manifest order."""
    return [variant for variant in manifest.variants if _hit(variant, name)]


def select(manifest: Manifest, selection: Selection) -> list[Variant]:
    """The selected variants, in manifest order; PipelineError for a pattern that matches
    nothing, or a selection that leaves nothing."""
    variants: Sequence[Variant] = manifest.variants
    for flag, patterns in (("--only", selection.only), ("--exclude", selection.exclude)):
        for pattern in patterns:
            if not any(_hit(v, pattern) for v in variants):
                raise PipelineError(
                    f"{flag} {pattern!r} matches no variant of the manifest", hint=_HINT
                )
    chosen = [v for v in variants if selection.matches(v)]
    if not chosen:
        raise PipelineError(
            "--exclude leaves no variant of the manifest to work on"
            + (f" (after --only {' '.join(selection.only)})" if selection.only else ""),
            hint=_HINT,
        )
    return chosen
