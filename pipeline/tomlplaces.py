"""Where a key path (`models[3].base_model`) stands in a TOML text: line and column.

tomllib gives values but no places; this scans the text for table headers and keys, so that every
manifest problem can name its line.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

_HEADER = re.compile(r"^\s*(\[\[?)\s*([^\]]+?)\s*\]\]?\s*(#.*)?$")
_KEY = re.compile(r"""^\s*("[^"]*"|'[^']*'|[A-Za-z0-9_.-]+)\s*=""")


def _unquote(key: str) -> str:
    key = key.strip()
    if len(key) >= 2 and key[0] == key[-1] and key[0] in "\"'":
        return key[1:-1]
    return key


def _split_dotted(name: str) -> list[str]:
    return [_unquote(p) for p in re.findall(r'"[^"]*"|\'[^\']*\'|[^.]+', name)]


class Locator:
    """Maps key paths such as `models[3].base_model` to (line, column) in the TOML text."""

    def __init__(self, text: str) -> None:
        self.places: dict[str, tuple[int, int]] = {}
        counts: dict[str, int] = {}
        prefix = ""
        for number, line in enumerate(text.splitlines(), start=1):
            header = _HEADER.match(line)
            if header and not _KEY.match(line):
                parts = _split_dotted(header.group(2))
                if header.group(1) == "[[":
                    table = ".".join(parts)
                    index = counts.get(table, 0)
                    counts[table] = index + 1
                    prefix = f"{table}[{index}]"
                else:
                    prefix = self._with_indexes(parts, counts)
                self.places.setdefault(prefix, (number, line.index("[") + 1))
                continue
            key = _KEY.match(line)
            if key:
                names = _split_dotted(key.group(1))
                path = ".".join([prefix, *names]) if prefix else ".".join(names)
                self.places.setdefault(path, (number, len(line) - len(line.lstrip()) + 1))

    @staticmethod
    def _with_indexes(parts: list[str], counts: dict[str, int]) -> str:
        # `[models.x]` after `[[models]]` belongs to the last models entry.
        out: list[str] = []
        for part in parts:
            out.append(part)
            table = ".".join(out)
            if table in counts:
                out[-1] = f"{part}[{counts[table] - 1}]"
        return ".".join(out)

    def find(self, path: str) -> tuple[int | None, int | None]:
        candidate = path
        while candidate:
            if candidate in self.places:
                return self.places[candidate]
            cut = max(candidate.rfind("."), candidate.rfind("["))
            candidate = candidate[:cut] if cut > 0 else ""
        return None, None


def key_path(loc: Sequence[int | str]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out
