"""The three-way merge of a card: a hand edit carried through a new render, with merge3 (the
maintained implementation of the algorithm bzr and breezy use), never a merge written here.

base: the card the edit was made against; ours: the card nb-release renders now; theirs: the
edited card. Clean when every region changed on one side only, or changed alike on both.
"""

from __future__ import annotations

from dataclasses import dataclass

import merge3

from pipeline.newlines import normalize_newlines


@dataclass(frozen=True)
class Conflict:
    """One region both sides changed differently, located in the base (1-based lines)."""

    base_line: int  # the first line of the region in the base (or where it would be)
    base: tuple[str, ...]
    ours: tuple[str, ...]  # what the new render has there
    theirs: tuple[str, ...]  # what the edited card has there


@dataclass(frozen=True)
class Merged:
    """The merged card when clean; otherwise the conflicts, and no card."""

    text: str | None
    conflicts: tuple[Conflict, ...]

    @property
    def clean(self) -> bool:
        return not self.conflicts


def three_way(base: str, ours: str, theirs: str) -> Merged:
    """Merge `theirs`' change of `base` into `ours` (all compared with LF endings)."""
    lines = [normalize_newlines(t).splitlines(keepends=True) for t in (base, ours, theirs)]
    merger = merge3.Merge3(lines[0], lines[1], lines[2])
    out: list[str] = []
    conflicts: list[Conflict] = []
    for region in merger.merge_regions():
        kind = region[0]
        if kind == "unchanged":
            out.extend(lines[0][region[1] : region[2]])
        elif kind in ("a", "same"):
            out.extend(lines[1][region[1] : region[2]])
        elif kind == "b":
            out.extend(lines[2][region[1] : region[2]])
        else:  # conflict: (kind, z1, z2, a1, a2, b1, b2), z the base
            z1, z2, a1, a2, b1, b2 = (int(n) for n in region[1:7])
            conflicts.append(
                Conflict(
                    base_line=z1 + 1,
                    base=tuple(lines[0][z1:z2]),
                    ours=tuple(lines[1][a1:a2]),
                    theirs=tuple(lines[2][b1:b2]),
                )
            )
    if conflicts:
        return Merged(None, tuple(conflicts))
    return Merged("".join(out), ())
