"""import: the repos of a namespace written into models.toml as `[[models]]` entries.

One listing with what the Hub parsed of each card and each repo's files; a card is read only for
a quantization whose file the listing does not settle. Repos the manifest lists already are left
as they are; the file is written once, atomically, keeping its comments and layout.
"""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape

from pipeline.atomic import write_text_atomically
from pipeline.cli._plumbing import new_cache, open_target
from pipeline.cli.options import ImportOptions
from pipeline.english import plural
from pipeline.errors import PipelineError
from pipeline.exitcodes import EXIT_OK
from pipeline.manifest.importing import add_entries, derive, known_names, matches, read_family
from pipeline.safetext import printable


def import_command(options: ImportOptions, console: Console) -> int:
    text, data = read_family(options.manifest)
    defaults = data.get("defaults") if isinstance(data.get("defaults"), dict) else {}
    kinds = data.get("kinds") if isinstance(data.get("kinds"), dict) else {}
    known = known_names(data)
    with open_target(options.hub, new_cache(options.hub), read_only=True) as hub:
        listing = hub.list_parsed(options.namespace, files=True)
        wanted = [
            listed
            for repo_id, listed in listing.items()
            if (not options.only or matches(repo_id, options.only))
            and repo_id.split("/", 1)[-1].casefold() not in known
        ]
        if options.only and not any(matches(r, options.only) for r in listing):
            raise PipelineError(
                f"no repo of {options.namespace} matches {', '.join(options.only)}",
                hint=f"the namespace has {plural(len(listing), 'repo')}",
            )
        imported = derive(wanted, options.namespace, defaults or {}, kinds or {})
        unsettled = [e.repo_id for e in imported.entries if "gguf_file" in e.missing]
        if unsettled:
            bodies = {
                card.repo_id: card.content
                for card in hub.read_cards(unsettled)
                if card.content is not None
            }
            imported = derive(wanted, options.namespace, defaults or {}, kinds or {}, bodies)
    if imported.entries:
        write_text_atomically(options.manifest, add_entries(text, imported.entries))
    left = len(listing) - len(wanted)
    console.print(
        f"{options.manifest}: {plural(len(imported.entries), 'entry', 'entries')} imported from "
        f"{escape(printable(options.namespace))}"
        + (f"; {plural(left, 'repo')} already in the manifest or not matched" if left else "")
    )
    for entry in imported.entries:
        line = f"  {escape(printable(entry.repo_id))}: {entry.values['kind']}"
        if entry.missing:
            line += f"; could not derive {', '.join(entry.missing)}: fill in by hand"
        console.print(line)
        for note in entry.notes:
            console.print(f"    not derived: {escape(note)}")
    for skipped in imported.skipped:
        console.print(f"  {escape(printable(skipped.repo_id))}: skipped, {skipped.why}")
    return EXIT_OK
