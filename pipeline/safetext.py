"""The one rule for text nb-release did not write (the Hub's: commit titles, authors, live cards,
error bodies) before it reaches a terminal, a CI log or a Markdown report.

Anyone who can commit to a repo writes that text. Raw, it could drive the terminal (ESC and C1
sequences: an OSC 52 clipboard write, a screen clear), reorder what a reader sees (Unicode bidi
controls), forge lines of nb-release's own output (a newline), or run GitHub Actions workflow
commands: the runner reads a line that starts with `::` once leading white space is trimmed, and
the legacy `##[command]` form anywhere in a line (actions/runner, ActionCommand.TryParseV2 and
TryParse). So control characters become visible escapes (`\\x1b`, `\\n`, `\\u202e`), a line that
would start with `::` gets its first colon escaped (`\\x3a:`), and `##[` becomes `##\\x5b`.
Backslashes are left alone: the escapes are for a person to read, not to be decoded.
"""

from __future__ import annotations

import re

# Besides the C0 controls: DEL, the C1 controls, the Unicode bidi controls (embeddings,
# overrides, isolates, marks) and the Unicode line and paragraph separators.
_OTHERS = "\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069"
_UNSAFE = re.compile(f"[\x00-\x1f{_OTHERS}]")
_UNSAFE_IN_LINES = re.compile(f"[\x00-\x08\x0b-\x1f{_OTHERS}]")  # tab and newline kept
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
_LEGACY_COMMAND = "##["


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    named = _NAMED.get(char)
    if named is not None:
        return named
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def _no_command(line: str) -> str:
    if _LEGACY_COMMAND in line:
        line = line.replace(_LEGACY_COMMAND, "##\\x5b")
    rest = line.lstrip()
    if rest.startswith("::"):
        line = line[: len(line) - len(rest)] + "\\x3a" + rest[1:]
    return line


def printable(text: str) -> str:
    """One line of text from the Hub, safe to print: every control character (newline and tab
    too) as a visible escape, and never a workflow command."""
    return _no_command(_UNSAFE.sub(_escape, text))


def printable_lines(text: str) -> str:
    """Text of many lines from the Hub (a diff), safe to print line by line: lines stay lines
    (split at `\\n` only) and tabs stay tabs; the rest is as `printable`."""
    if not _UNSAFE_IN_LINES.search(text) and _LEGACY_COMMAND not in text and "::" not in text:
        return text  # the common case, at no cost for thousands of cards
    return "\n".join(_no_command(_UNSAFE_IN_LINES.sub(_escape, line)) for line in text.split("\n"))
