"""rules update: the Hub's tag lists, read from the target Hub and written as the snapshot.

The lists are read with the client's own `get_model_tags` (GET /api/models-tags-by-type) under
the one retry policy, compared with the snapshot the file held (or, when it holds none, the
checked-in one) and written atomically.
"""

from __future__ import annotations

import datetime as dt

from rich.console import Console

from pipeline import hubsnapshot
from pipeline.atomic import write_text_atomically
from pipeline.cli._plumbing import open_target
from pipeline.cli.options import RulesUpdateOptions
from pipeline.exitcodes import EXIT_OK
from pipeline.hubsnapshot import Snapshot, SnapshotError

# How each list is named in what the command prints.
_NAMES = {"licenses": "licenses", "pipeline_tags": "pipeline tags", "libraries": "libraries"}


def rules_update(options: RulesUpdateOptions, console: Console) -> int:
    today = dt.datetime.now(dt.UTC).date().isoformat()
    with open_target(options.hub, None, read_only=True) as hub:
        new = hub.tag_lists(today)
        where = hub.target.display
    old = _previous(options, console)
    console.print(f"Read the Hub's tag lists from {where}.", markup=False, highlight=False)
    changed = hubsnapshot.changes(old, new)
    for name, label in _NAMES.items():
        console.print(f"  {label}: {_change(*changed.get(name, ([], [])))}", markup=False)
    write_text_atomically(options.out, hubsnapshot.dumps(new))
    console.print(f"Wrote {options.out}.", markup=False, highlight=False)
    return EXIT_OK


def _previous(options: RulesUpdateOptions, console: Console) -> Snapshot:
    """The snapshot the file holds now; the checked-in one when there is no file, or when the
    file holds no snapshot (said in one line)."""
    if not options.out.exists():
        return hubsnapshot.current()
    try:
        return hubsnapshot.read(options.out)
    except SnapshotError as error:
        reason = str(error).removeprefix(f"{options.out}: ")
        console.print(
            f"{options.out}: not a snapshot, so compared with the checked-in one ({reason}).",
            markup=False,
            highlight=False,
        )
        return hubsnapshot.current()


def _change(added: list[str], removed: list[str]) -> str:
    parts = [
        f"{len(ids)} {what} ({', '.join(ids)})"
        for ids, what in ((added, "added"), (removed, "removed"))
        if ids
    ]
    return "; ".join(parts) or "no change"
