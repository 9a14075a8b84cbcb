"""Which paths a `.gitattributes` sends to LFS (`filter=lfs`), matched as git matches them.

git's rules (gitattributes(5), "pattern format" of gitignore(5)): a pattern without a slash
matches the file's name at any depth; one with a slash (a leading one dropped) matches the
whole path from the root; `*` and `?` never match a slash, `**/` matches any number of folders
and a trailing `/**` everything inside. Later lines win, so `*.bin -filter` or `filter=x` after
`*.bin filter=lfs` takes a file out of LFS again.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class _Rule:
    pattern: re.Pattern[str]
    whole_path: bool
    lfs: bool


def _class(pattern: str, start: int) -> tuple[str, int]:
    """The regex of the bracket expression at `start`, and the index after it."""
    end = start + 1
    if end < len(pattern) and pattern[end] in "!^":
        end += 1
    if end < len(pattern) and pattern[end] == "]":
        end += 1
    while end < len(pattern) and pattern[end] != "]":
        end += 1
    if end >= len(pattern):
        return re.escape("["), start + 1
    body = pattern[start + 1 : end]
    if body[:1] in ("!", "^"):
        body = "^" + body[1:]
    return "[" + body.replace("\\", "\\\\") + "]", end + 1


def _regex(pattern: str) -> str:
    out: list[str] = []
    i = 0
    while i < len(pattern):
        if pattern.startswith("**/", i) and (i == 0 or pattern[i - 1] == "/"):
            out.append("(?:.*/)?")
            i += 3
        elif pattern.startswith("/**", i) and i + 3 == len(pattern):
            out.append("/.*")
            i += 3
        elif pattern[i] == "*":
            out.append("[^/]*")
            i += 1
        elif pattern[i] == "?":
            out.append("[^/]")
            i += 1
        elif pattern[i] == "[":
            part, i = _class(pattern, i)
            out.append(part)
        elif pattern[i] == "\\" and i + 1 < len(pattern):
            out.append(re.escape(pattern[i + 1]))
            i += 2
        else:
            out.append(re.escape(pattern[i]))
            i += 1
    return "".join(out)


def _lfs_setting(attributes: list[str]) -> bool | None:
    """True for `filter=lfs`, False for another or an unset filter, None if `filter` is not set."""
    found: bool | None = None
    for attribute in attributes:
        if attribute.startswith("filter="):
            found = attribute == "filter=lfs"
        elif attribute in ("-filter", "!filter"):
            found = False
    return found


class LfsRules:
    """The `filter` settings of one `.gitattributes` text."""

    def __init__(self, text: str) -> None:
        self._rules: list[_Rule] = []
        for line in text.splitlines():
            fields = line.strip().split()
            if not fields or fields[0].startswith("#") or fields[0].startswith("!"):
                continue  # blank, a comment, or a negative pattern (which git forbids here)
            lfs = _lfs_setting(fields[1:])
            if lfs is None:
                continue
            pattern = fields[0]
            whole_path = "/" in pattern.rstrip("/")
            if pattern.endswith("/"):
                continue  # a folder pattern: gitattributes never applies it to the files inside
            regex = re.compile(_regex(pattern.lstrip("/")) + r"\Z", re.DOTALL)
            self._rules.append(_Rule(regex, whole_path, lfs))

    def lfs(self, path: str) -> bool:
        """Whether `path` (relative to the repo's root) goes to LFS; the last matching line wins."""
        name = path.rsplit("/", 1)[-1]
        for rule in reversed(self._rules):
            if rule.pattern.match(path if rule.whole_path else name):
                return rule.lfs
        return False
