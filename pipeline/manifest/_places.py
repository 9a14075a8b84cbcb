"""Where a key path (`models[3].base_model`) stands in a TOML text: line and column.

tomllib gives values but no places; this scans the text for table headers and keys, so that every
manifest problem can name its line. A small lexer first marks which lines start outside every
string and array: a `[[models]]` inside a multi-line string is text, not a header (counted as
one, such a string once shifted every later location). Lines are split on "\\n" only, as
tomllib counts them.
"""

from __future__ import annotations

import bisect
import re
import tomllib
from dataclasses import dataclass
from enum import Enum
from typing import Any

from pipeline.keypaths import format_key as format_key  # re-exported
from pipeline.keypaths import key_path as key_path  # re-exported

_HEADER = re.compile(r"^\s*(\[\[?)\s*([^\]]+?)\s*\]\]?\s*(#.*)?$")
_KEY_PART = r"""(?:"[^"]*"|'[^']*'|[A-Za-z0-9_-]+)"""
_KEY = re.compile(rf"^\s*({_KEY_PART}(?:\s*\.\s*{_KEY_PART})*)\s*=")


class _State(Enum):
    CODE = "code"
    BASIC = "basic string"
    LITERAL = "literal string"
    MULTILINE_BASIC = "multi-line basic string"
    MULTILINE_LITERAL = "multi-line literal string"
    COMMENT = "comment"


@dataclass(frozen=True)
class Line:
    """One line of the text as the lexer saw it."""

    number: int
    text: str
    structural: bool  # starts outside every string and bracket: may hold a header or a key
    depth: int  # the deepest nesting of arrays and inline tables reached on the line
    depth_column: int  # where that depth was first reached (1 when the line opens none)


def lex(text: str) -> list[Line]:
    """Mark each line: does it start outside strings and brackets, and how deep does it nest.

    Iterative on purpose: it must survive the 5,000-deep arrays that make tomllib recurse
    until Python gives up with a traceback. It tolerates broken TOML; tomllib reports that.
    """
    lines: list[Line] = []
    state = _State.CODE
    depth = 0
    start = 0  # index of the current line's first character
    start_structural = True
    deepest, deepest_column = 0, 1
    index, size = 0, len(text)

    def close_line(end: int) -> None:
        lines.append(
            Line(len(lines) + 1, text[start:end], start_structural, deepest, deepest_column)
        )

    while index < size:
        char = text[index]
        if char == "\n":
            close_line(index)
            if state in (_State.BASIC, _State.LITERAL, _State.COMMENT):
                state = _State.CODE  # these end at the line's end (or are tomllib's to report)
            start = index + 1
            start_structural = state is _State.CODE and depth == 0
            deepest, deepest_column = depth, 1
            index += 1
            continue
        if state is _State.CODE:
            if char == "#":
                state = _State.COMMENT
            elif char in "\"'":
                triple = text.startswith(char * 3, index)
                if triple:
                    state = _State.MULTILINE_BASIC if char == '"' else _State.MULTILINE_LITERAL
                    index += 3
                    continue
                state = _State.BASIC if char == '"' else _State.LITERAL
            elif char in "[{":
                depth += 1
                if depth > deepest:
                    deepest, deepest_column = depth, index - start + 1
            elif char in "]}":
                depth = max(0, depth - 1)
        elif state in (_State.BASIC, _State.MULTILINE_BASIC) and char == "\\":
            # An escape: skip the escaped character, but never a line break (lines must count).
            index += 1 if index + 1 < size and text[index + 1] == "\n" else 2
            continue
        elif (state is _State.BASIC and char == '"') or (state is _State.LITERAL and char == "'"):
            state = _State.CODE
        elif (state is _State.MULTILINE_BASIC and text.startswith('"""', index)) or (
            state is _State.MULTILINE_LITERAL and text.startswith("'''", index)
        ):
            # Up to two quotes right before the closing three belong to the string.
            run = 0
            while index + run < size and text[index + run] == char and run < 5:
                run += 1
            index += run
            state = _State.CODE
            continue
        index += 1
    close_line(size)
    return lines


def _unquote(key: str) -> str:
    key = key.strip()
    if len(key) >= 2 and key[0] == key[-1] and key[0] in "\"'":
        if key[0] == '"':
            try:  # a basic string key may hold escapes (\n, \u0041): tomllib decodes them
                return str(tomllib.loads(f"k = {key}")["k"])
            except tomllib.TOMLDecodeError:
                pass
        return key[1:-1]
    return key


def _split_dotted(name: str) -> list[str]:
    return [_unquote(p) for p in re.findall(r'"[^"]*"|\'[^\']*\'|[^.]+', name) if p.strip()]


_INLINE_KEY = re.compile(rf"({_KEY_PART}(?:[ \t]*\.[ \t]*{_KEY_PART})*)[ \t]*=")
_SCALAR_END = re.compile(r"[,\]}\s#]")


def _string_end(text: str, index: int) -> int:
    """The index just past the string that starts at `index` (the text's end if it never ends)."""
    quote = text[index]
    if text.startswith(quote * 3, index):
        end = index + 3
        while True:
            found = text.find(quote * 3, end)
            if found < 0:
                return len(text)
            if quote == '"' and _escaped(text, found):
                end = found + 1
                continue
            # Up to two quotes right before the closing three belong to the string.
            while text.startswith(quote * 4, found) and found < len(text):
                found += 1
            return found + 3
    end = index + 1
    while end < len(text) and text[end] != quote and text[end] != "\n":
        end += 2 if quote == '"' and text[end] == "\\" else 1
    return end + 1


def _escaped(text: str, index: int) -> bool:
    slashes = 0
    while index - slashes - 1 >= 0 and text[index - slashes - 1] == "\\":
        slashes += 1
    return slashes % 2 == 1


def inline_places(text: str, start: int, path: str) -> list[tuple[str, int]]:
    """(key path, offset) of each array element and inline table key inside the value that
    starts at `start` (of key path `path`): `items[3]`, `items[3].note`. Iterative, so a deeply
    nested value cannot exhaust Python's stack; it stops where the value ends."""
    found: list[tuple[str, int]] = []
    frames: list[list[Any]] = []  # [bracket, path, index of the next element, fresh]
    value: str | None = path  # a value starts at the next token
    index, size = start, len(text)
    while index < size:
        char = text[index]
        if char in " \t\r\n":
            index += 1
            continue
        if char == "#":
            newline = text.find("\n", index)
            index = size if newline < 0 else newline
            continue
        if value is None and frames and frames[-1][3] and char not in "]}":
            frame = frames[-1]
            frame[3] = False
            if frame[0] == "[":
                value = f"{frame[1]}[{frame[2]}]"
                found.append((value, index))
            else:
                key = _INLINE_KEY.match(text, index)
                if key is None:
                    return found  # broken TOML: tomllib reports it
                names = [format_key(n) for n in _split_dotted(key.group(1))]
                value = ".".join([frame[1], *names])
                found.append((value, index))
                index = key.end()
                continue
        if value is not None:
            if char in "[{":
                frames.append([char, value, 0, True])
                index += 1
            elif char in "\"'":
                index = _string_end(text, index)
            else:
                end = _SCALAR_END.search(text, index)
                index = size if end is None else end.start()
            value = None
            if not frames:
                return found
            continue
        if char == ",":
            if frames:
                frames[-1][2] += 1
                frames[-1][3] = True
        elif char in "]}":
            frames.pop()
            if not frames:
                return found
        index += 1
    return found


class Locator:
    """Maps key paths such as `models[3].base_model` to (line, column) in the TOML text. The
    map is made on the first question: a manifest that is only read (a warm plan of thousands
    of variants) never pays for it."""

    def __init__(self, text: str) -> None:
        self._text = text
        self._index: _Index | None = None

    @property
    def index(self) -> _Index:
        if self._index is None:
            self._index = _Index(self._text)
        return self._index

    @property
    def places(self) -> dict[str, tuple[int, int]]:
        return self.index.places

    @property
    def last_line(self) -> int:
        return self.index.last_line

    def find(self, path: str) -> tuple[int | None, int | None]:
        return self.index.find(path)

    def array_lines(self, name: str, count: int) -> list[int | None]:
        """The line of each of the `count` entries of the top-level array of tables `name`
        (`[[models]]`), exactly as find(f"{name}[{i}]") gives it, without the lexer when a
        plain scan of the headers is sure (a valid manifest of thousands pays no lex)."""
        if self._index is None:
            quick = _header_lines(self._text, name, count)
            if quick is not None:
                return list(quick)
        return [self.index.find(f"{name}[{i}]")[0] for i in range(count)]

    def deepest(self, beyond: int | None = None) -> tuple[int, int | None, int | None]:
        return self.index.deepest(beyond)


# A line that starts an array-of-tables header: `[[name]]`, the name up to the first `]`.
_ARRAY_HEADER = re.compile(r"^[ \t]*\[\[[ \t]*([^\]\n]*?)[ \t]*\]\]", re.MULTILINE)


def _header_lines(text: str, name: str, count: int) -> list[int] | None:
    """The lines of the `[[name]]` headers, when a scan without the lexer can be sure of them.

    Sure means: no multi-line string (the only place a line-initial `[[name]]` can be text;
    an array element cannot be the bare word `name`), no quoted header name (`[["name"]]` is a
    header, or an array of arrays of strings inside a multi-line array), and exactly `count`
    headers (an inline `name = [...]` has none). Else None: the lexer decides.
    """
    if '"""' in text or "'''" in text or not name.isidentifier():
        return None
    lines: list[int] = []
    line, counted = 1, 0
    for match in _ARRAY_HEADER.finditer(text):
        header = match.group(1)
        if '"' in header or "'" in header:
            return None
        if header == name:
            line += text.count("\n", counted, match.start())
            counted = match.start()
            lines.append(line)
    return lines if len(lines) == count else None


class _Index:
    """The key paths of a TOML text and their places (Locator makes it when first asked)."""

    def __init__(self, text: str) -> None:
        self.places: dict[str, tuple[int, int]] = {}
        # For each line: how many keys deep it is, counting its table, dotted keys and brackets.
        self._nesting: list[tuple[int, int, int]] = []
        counts: dict[str, int] = {}
        prefix = ""
        prefix_parts = 0
        line_parts = 0  # the key depth of the last structural line (a multi-line array's owner)
        lines = lex(text)
        starts = [0]
        for line in lines[:-1]:
            starts.append(starts[-1] + len(line.text) + 1)
        # The last line that holds anything: where a missing table would go.
        self.last_line = max((n.number for n in lines if n.text.strip()), default=1)
        for line in lines:
            indent = len(line.text) - len(line.text.lstrip()) + 1
            if not line.structural:
                self._nesting.append((line_parts + line.depth, line.number, line.depth_column))
                continue
            header = _HEADER.match(line.text)
            if header and not _KEY.match(line.text):
                parts = [format_key(p) for p in _split_dotted(header.group(2))]
                if header.group(1) == "[[":
                    # `[[collections.items]]`: an element of the last collection's items.
                    parent = self._with_indexes(parts[:-1], counts)
                    table = f"{parent}.{parts[-1]}" if parent else parts[-1]
                    index = counts.get(table, 0)
                    counts[table] = index + 1
                    prefix = f"{table}[{index}]"
                    self.places.setdefault(table, (line.number, line.text.index("[") + 1))
                else:
                    prefix = self._with_indexes(parts, counts)
                prefix_parts = line_parts = len(parts)
                self._nesting.append((len(parts), line.number, indent))
                self.places.setdefault(prefix, (line.number, line.text.index("[") + 1))
                continue
            key = _KEY.match(line.text)
            if key:
                names = [format_key(n) for n in _split_dotted(key.group(1))]
                path = ".".join([prefix, *names]) if prefix else ".".join(names)
                self.places.setdefault(path, (line.number, indent))
                rest = line.text[key.end() :].lstrip(" \t")
                if rest[:1] in ("[", "{"):  # an array or inline table: each element's place
                    offset = starts[line.number - 1] + len(line.text) - len(rest)
                    for inner, at in inline_places(text, offset, path):
                        self.places.setdefault(inner, self._place(starts, at))
                line_parts = prefix_parts + len(names)
                column = line.depth_column if line.depth else indent
                self._nesting.append((line_parts + line.depth, line.number, column))

    @staticmethod
    def _place(starts: list[int], offset: int) -> tuple[int, int]:
        line = bisect.bisect_right(starts, offset)
        return line, offset - starts[line - 1] + 1

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

    def deepest(self, beyond: int | None = None) -> tuple[int, int | None, int | None]:
        """Where keys, arrays and tables nest deepest: (depth, line, column); with `beyond`,
        the first line that nests deeper than that, if any (the table header, not its keys)."""
        if beyond is not None:
            for depth, line, column in self._nesting:
                if depth > beyond:
                    return depth, line, column
        if not self._nesting:
            return 0, None, None
        depth, line, column = max(self._nesting, key=lambda item: (item[0], -item[1]))
        return depth, line, column
