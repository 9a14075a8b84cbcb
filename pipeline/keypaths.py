"""Key paths in messages: `models[2].languages[0]`, `defaults.links."my link"`.

One formatter for every place that names a spot in a document: the manifest's problems and a
plan file's. A key that is not bare is quoted with its control characters escaped, so a hostile
key cannot put a line break or a terminal escape into a message.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")


def format_key(key: str) -> str:
    """One key of a key path as TOML writes it: bare, or quoted with every control character
    escaped, so a hostile key cannot put a line break or a terminal escape into a message."""
    if _BARE_KEY.fullmatch(key):
        return key
    out = []
    for char in key:
        if char in '"\\':
            out.append("\\" + char)
        elif char < " " or "\x7f" <= char <= "\x9f" or char in "\u2028\u2029":
            out.append(f"\\u{ord(char):04X}")
        else:
            out.append(char)
    return '"' + "".join(out) + '"'


def key_path(loc: Sequence[int | str]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{format_key(part)}" if out else format_key(part)
    return out
