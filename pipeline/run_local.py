"""The commands that need no Hub: validate and render. They never import the Hub client."""

from __future__ import annotations

from rich.console import Console

from pipeline import render
from pipeline.exitcodes import EXIT_ERROR, EXIT_OK
from pipeline.options import RenderOptions, ValidateOptions
from pipeline.sources import load_sources


def validate(options: ValidateOptions, console: Console) -> int:
    files, manifest = load_sources(options.sources.manifest, options.sources.cards)
    cards = render.render_all(manifest, files, options.selection)
    console.print(
        f"{options.sources.manifest}: valid. {len(cards)} cards rendered and checked "
        f"({len(manifest.variants)} variants in the manifest)."
    )
    return EXIT_OK


def render_cards(options: RenderOptions, console: Console) -> int:
    files, manifest = load_sources(options.sources.manifest, options.sources.cards)
    cards = render.render_all(manifest, files, options.selection)
    render.check_out(cards, options.out)  # before anything is read or written under --out
    gone = render.stale_files(manifest, options.out)  # cards of variants no longer there
    if options.check:
        differ = render.differing_files(cards, options.out)
        if differ:
            console.print(f"{len(differ)} of {len(cards)} cards differ from a fresh render:")
            for path in differ:
                console.print(f"  {path}")
        if gone:
            noun = "card is" if len(gone) == 1 else "cards are"
            console.print(f"{len(gone)} {noun} of variants no longer in the manifest:")
            for path in gone:
                console.print(f"  {path}")
        if differ or gone:
            return EXIT_ERROR
        console.print(f"All {len(cards)} cards under {options.out} match a fresh render.")
        return EXIT_OK
    written = render.write_cards(cards, options.out)
    render.remove_stale(gone)
    removed = f"; removed {len(gone)} of variants no longer in the manifest" if gone else ""
    console.print(f"Rendered {len(written)} cards to {options.out}/{removed}")
    return EXIT_OK
