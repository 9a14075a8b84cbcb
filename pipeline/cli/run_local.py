"""The commands that render without a Hub: validate and render. Neither imports the Hub
client; `cache clear` and `hub serve` (run_cache.py, run_serve.py) load neither the renderer nor
pydantic."""

from __future__ import annotations

from rich.console import Console

from pipeline.card import render
from pipeline.cli import verdict
from pipeline.cli.options import RenderOptions, ValidateOptions
from pipeline.english import agrees, plural
from pipeline.exitcodes import EXIT_ERROR, EXIT_OK
from pipeline.manifest.sources import load_sources
from pipeline.plan.rulecheck import run_rules
from pipeline.safetext import printable


def _cards(count: int) -> str:
    return plural(count, "card")


def _gone(count: int) -> str:
    """The cards of variants no longer in the manifest, counted."""
    return plural(count, "card of a variant", "cards of variants")


def validate(options: ValidateOptions, console: Console) -> int:
    """Validate fully, and remember a pass (cli/verdict.py; cli.main asks it first)."""
    files, manifest = load_sources(options.sources.manifest, options.sources.cards)
    cards = render.render_all(manifest, files, options.selection)
    run_rules(files.manifest_path, files.manifest_bytes, cards, None)  # the card's rules
    variants = len(manifest.variants)
    line = printable(
        f"{options.sources.manifest}: valid. {_cards(len(cards))} rendered and checked "
        f"({plural(variants, 'variant')} in the manifest)."
    )
    # As verdict.remembered prints it: the text as it is, no markup, no emoji codes.
    console.print(line, markup=False, emoji=False)
    verdict.record(options, files, line, len(cards), variants)
    return EXIT_OK


def render_cards(options: RenderOptions, console: Console) -> int:
    files, manifest = load_sources(options.sources.manifest, options.sources.cards)
    cards = render.render_all(manifest, files, options.selection)
    render.check_out(cards, options.out)  # before anything is read or written under --out
    gone = render.stale_files(manifest, options.out)  # cards of variants no longer there
    if options.check:
        differ = render.differing_files(cards, options.out)
        if differ:
            verb = agrees(len(differ), "differs", "differ")
            console.print(f"{len(differ)} of {_cards(len(cards))} {verb} from a fresh render:")
            for path in differ:
                console.print(f"  {path}")
        if gone:
            console.print(f"{_gone(len(gone))} no longer in the manifest:")
            for path in gone:
                console.print(f"  {path}")
        if differ or gone:
            return EXIT_ERROR
        every = "The 1 card" if len(cards) == 1 else f"All {len(cards)} cards"
        verb = agrees(len(cards), "matches", "match")
        console.print(f"{every} under {options.out} {verb} a fresh render.")
        return EXIT_OK
    written = render.write_cards(cards, options.out)
    render.remove_stale(gone)
    removed = f"; removed {_gone(len(gone))} no longer in the manifest" if gone else ""
    console.print(f"Rendered {_cards(len(written))} to {options.out}/{removed}")
    return EXIT_OK
