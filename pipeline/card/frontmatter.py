"""Split, join and canonicalise a card's YAML front matter; check that YAML 1.1 and 1.2 agree.

Two YAML dialects read every card: the Hub's own parser and ruamel.yaml read YAML 1.2, while
huggingface_hub's `ModelCard`/`metadata_load` use PyYAML `safe_load`, which is YAML 1.1 and reads an
unquoted `no` as False (the Norway problem, docs/hub-http-api.md §6). So every card is re-emitted
in one canonical layout that both read the same way, and checked for agreement before it is written.

The canonical layout (what `dump` and `canonicalize` produce):

* the card starts with `---\\n`, then block-style YAML with no empty line after the fence, then
  `---\\n`, then the body; LF line ends; the whole card ends with exactly one newline;
* mappings indented by 2; sequences not indented under their key (`language:\\n- "no"`), as in
  the seed template and as PyYAML dumps them; flow collections (`[a, b]`) become block style;
* no line wrapping, however long a value is;
* a string is written plain, unless YAML 1.1 (PyYAML's resolver) or YAML 1.2 (ruamel's resolver)
  would resolve that plain scalar to something other than a string (`no`, `Yes`, `ON`, `~`,
  `null`, `0o7`, `012`, `1:30`, `1e3`, `=`, ...): then it is written double-quoted; strings that
  cannot be plain at all (empty, leading space, `: ` inside, ...) keep ruamel's own quoting;
  literal (`|`) and folded (`>`) block strings stay block strings;
* numbers and booleans are written in their plain form (`0o7` becomes `7`, `1e3` becomes
  `1000.0`), which both dialects read alike;
* key order and comments are kept; an end-of-line comment sits two spaces after its value.
"""

from __future__ import annotations

import contextlib
import copy
import functools
import io
import re
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import yaml as pyyaml
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import CommentMark, MarkedYAMLError, YAMLError
from ruamel.yaml.nodes import ScalarNode
from ruamel.yaml.resolver import VersionedResolver
from ruamel.yaml.scalarbool import ScalarBoolean
from ruamel.yaml.scalarfloat import ScalarFloat
from ruamel.yaml.scalarint import ScalarInt
from ruamel.yaml.scalarstring import (
    DoubleQuotedScalarString,
    FoldedScalarString,
    LiteralScalarString,
)
from ruamel.yaml.tokens import CommentToken

from pipeline import hubrules
from pipeline.card._samedata import same_data
from pipeline.errors import CardError, Problem
from pipeline.newlines import normalize_newlines as normalize_newlines  # re-exported

FRONT_MATTER = hubrules.FRONT_MATTER

FENCE = "---\n"
EMPTY_YAML = "{}\n"  # what huggingface_hub writes for no metadata; `---\n---\n` is not a block

_STR_TAG = "tag:yaml.org,2002:str"
_PYYAML_RESOLVER = pyyaml.resolver.Resolver()
_RUAMEL_RESOLVER = VersionedResolver(version=(1, 2))
# libyaml's C loader where it is installed (the same tokens and data, in C), else PyYAML's own.
_SAFE_LOADER_11: type[pyyaml.SafeLoader] = getattr(pyyaml, "CSafeLoader", pyyaml.SafeLoader)

# Characters YAML 1.1 treats as line breaks or that PyYAML refuses raw; written escaped.
_UNSAFE_RAW = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029\ufeff\ud800-\udfff]")


def split(text: str) -> tuple[str | None, str]:
    """(front matter YAML without the `---` fences, or None if there is none; the body)."""
    match = FRONT_MATTER.search(text)
    if match is None:
        return None, text
    return match.group(2), text[match.end() :]


def join(yaml_text: str | None, body: str) -> str:
    """The card made of `yaml_text` between `---` fences and `body`; no fences if None.

    An empty `yaml_text` is written as `{}`: `---\\n---\\n` is not a front matter block for the Hub.
    """
    if yaml_text is None:
        return body
    if not yaml_text.strip():
        yaml_text = EMPTY_YAML
    if not yaml_text.endswith("\n"):
        yaml_text += "\n"
    return FENCE + yaml_text + FENCE + body


def load(yaml_text: str, *, card: str = "<front matter>", line_offset: int = 0) -> Any:
    """The YAML 1.2 data of `yaml_text` as plain Python: dict, list, str, int, float, bool, None.

    A YAML error raises CardError naming `card` and the line (`line_offset` lines precede the YAML).
    A text read before (a rendered card's canonical front matter is read while it is rendered)
    is not parsed again; each caller gets its own copy.
    """
    known = _READ12.get(yaml_text, _UNREAD)
    if known is not _UNREAD:
        return copy.deepcopy(known)
    refuse_unsafe_yaml(yaml_text, card, line_offset)
    try:
        data = _safe12().load(yaml_text)
    except YAMLError as exc:
        problem = _yaml_problem(exc, card, line_offset)
        raise CardError(f"the front matter of {card} is not valid YAML", [problem]) from exc
    _remember12(yaml_text, data)
    return copy.deepcopy(data)


# YAML 1.2 readings of front matter texts, newest last, shared by `load` and the canonical
# reading; bounded so that a long run does not keep every card it ever read.
_READ12: dict[str, Any] = {}
_READ12_MAX = 8192
_UNREAD = object()


def _remember12(yaml_text: str, data: Any) -> None:
    _READ12[yaml_text] = data
    if len(_READ12) > _READ12_MAX:
        with contextlib.suppress(StopIteration, KeyError, RuntimeError):  # another thread
            del _READ12[next(iter(_READ12))]


def dump(data: Mapping[Any, Any] | None) -> str:
    """`data` (plain Python or ruamel round-trip data) as canonical YAML, ending in a newline.

    Plain data is copied; ruamel round-trip data (CommentedMap) is canonicalised in place.
    """
    if data is not None and not isinstance(data, Mapping):
        raise TypeError(f"front matter must be a mapping, not {type(data).__name__}")
    if not data:
        return EMPTY_YAML
    data = _canonical(data)
    stream = io.StringIO()
    _round_trip().dump(data, stream)
    return stream.getvalue()


def canonicalize(text: str, card: str) -> str:
    """The card `text` in the canonical layout; raises CardError if the YAML is broken or ambiguous.

    Canonicalising a canonical card returns it unchanged.
    """
    return canonical_reading(text, card)[0]


@dataclass(frozen=True)
class Reading:
    """A card's front matter read once in each dialect. Shared between cards: never mutate it.

    `data12` is the YAML 1.2 reading (ruamel.yaml; what the card says, as the Hub reads it);
    `data11` the YAML 1.1 reading (PyYAML, as huggingface_hub's ModelCard reads it) or None with
    `error11` saying why PyYAML cannot read it. Key lines are only worked out when asked for,
    that is when a problem is reported.
    """

    yaml_text: str
    line_offset: int  # card lines before the YAML (1 for the opening `---`)
    data12: Any
    data11: Any
    error11: str | None = None

    def lines(self) -> dict[str, int]:
        """Key path -> card line."""
        return {path: line + self.line_offset for path, line in _lines(self.yaml_text).items()}


def canonical_reading(text: str, card: str) -> tuple[str, Reading | None]:
    """The canonical card and its front matter's readings (None when it has no front matter).

    The same front matter text (cards of one template often share it) is read only once; a
    CardError is raised, as by `canonicalize`, if the YAML is broken or the dialects disagree.
    """
    text = normalize_newlines(text)
    match = FRONT_MATTER.search(text)
    if match is None:
        return _one_newline(text), None
    lines_before = text.count("\n", 0, match.start(2))
    canonical = _canonical_front_matter(match.group(2))
    if isinstance(canonical, _Refusal):
        raise CardError(
            canonical.title.format(card=card),
            [canonical.problem(card, lines_before)],
        )
    if canonical.disagreements:
        lines = _lines(canonical.reading.yaml_text)
        problems = [
            Problem(
                file=card,
                line=None if lines.get(path) is None else lines[path] + 1,
                key_path=path or "(document)",
                message=message,
                hint=hint,
            )
            for path, message, hint in canonical.disagreements
        ]
        raise CardError(_DIALECTS_DIFFER.format(card=card), problems)
    result = _one_newline(join(canonical.text, text[match.end() :]))
    return result, canonical.reading


@dataclass(frozen=True)
class _Refusal:
    """Why a front matter text cannot be canonicalised, without the card's name and place."""

    title: str  # with {card}
    message: str
    line: int | None  # 1-based in the YAML text
    column: int | None
    hint: str
    in_canonical: bool = False  # the line is in the canonical text, which starts on card line 2

    @classmethod
    def of(cls, title: str, problem: Problem, in_canonical: bool = False) -> _Refusal:
        """The refusal of a problem located in the YAML text (its file left to `problem`)."""
        return cls(
            title, problem.message, problem.line, problem.column, problem.hint or "", in_canonical
        )

    def problem(self, card: str, line_offset: int) -> Problem:
        offset = 1 if self.in_canonical else line_offset
        return Problem(
            file=card,
            line=None if self.line is None else self.line + offset,
            column=self.column,
            message=self.message,
            hint=self.hint,
        )


_DIALECTS_DIFFER = "the front matter of {card} reads differently in YAML 1.1 and 1.2"


@dataclass(frozen=True)
class _Canonical:
    text: str  # the canonical YAML, as `dump` wrote it
    reading: Reading  # of the canonical YAML text
    disagreements: tuple[tuple[str, str, str], ...]  # (key path, message, hint)


@functools.lru_cache(maxsize=256)
def _canonical_front_matter(yaml_text: str) -> _Canonical | _Refusal:
    """Canonicalise one front matter text and read the result once per dialect (memoised)."""
    try:
        # "{card}": the refusal is memoised for every card with this text, and names each.
        refuse_unsafe_yaml(yaml_text, "{card}", 0)
    except CardError as exc:
        return _Refusal.of(exc.message, exc.problems[0])
    fast = _simple_canonical(yaml_text)
    if fast is not None:
        return fast
    try:
        data = _round_trip().load(yaml_text)
    except YAMLError as exc:
        return _Refusal.of(
            "the front matter of {card} is not valid YAML", _yaml_problem(exc, "", 0)
        )
    if data is not None and not isinstance(data, Mapping):
        return _Refusal(
            "the front matter of {card} is not a mapping",
            f"the front matter must be a mapping of keys, not {type(data).__name__}",
            1,
            None,
            "write `key: value` lines between the `---` lines",
        )
    canonical = dump(data)
    # Read the canonical text back in both dialects: what huggingface_hub and the Hub will read.
    try:
        data12 = _safe12().load(canonical)
    except YAMLError as exc:
        return _Refusal.of(_DIALECTS_DIFFER, _yaml_problem(exc, "", 0), in_canonical=True)
    try:
        data11 = read_yaml11(canonical)
    except pyyaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        return _Refusal(
            _DIALECTS_DIFFER,
            f"PyYAML (YAML 1.1, as huggingface_hub reads cards) cannot read it: {exc}",
            None if mark is None else mark.line + 1,
            None,
            "quote the value",
            in_canonical=True,
        )
    disagreements = tuple(
        (path, message, "quote the key" if is_key else "quote the value")
        for path, message, is_key in _disagreements(data11, data12, "")
    )
    # The YAML between the fences once joined, as `split` gives it back: without its last newline.
    between = canonical[:-1] if canonical.endswith("\n") else canonical
    _remember12(between, data12)
    return _Canonical(canonical, Reading(between, 1, data12, data11), disagreements)


# The simple front matter every card template writes: top-level `key: value` lines and `key:`
# lines followed by `- item` lines; each value a plain word (letters, digits, `_ . / + -`) or a
# double-quoted string without escapes; an optional end-of-line comment. For these the canonical
# layout is written line by line, as ruamel.yaml would (a property test checks that it is the
# same text as the full round trip gives); anything else takes the full round trip.
_WORD = r"\w[\w./+-]*"
_VALUE = rf'(?:(?P<plain>{_WORD})|"(?P<quoted>[^"\\\x00-\x1f\x7f]*)")'
_COMMENT = r"(?: +(?P<comment>#[^\n]*\S|#))?"
_SIMPLE_ENTRY = re.compile(rf"(?P<key>[^\W\d][\w-]*):(?: {_VALUE}{_COMMENT})?")
_SIMPLE_ITEM = re.compile(rf"- {_VALUE}{_COMMENT}")
_PLAIN_WORD = re.compile(_WORD)


def _simple_canonical(yaml_text: str) -> _Canonical | None:
    """The canonical form of a simple front matter (see above), or None if it is not simple."""
    data: dict[str, Any] = {}
    lines: list[str] = []
    items: list[Any] | None = None  # the open sequence of the last `key:` line
    for line in yaml_text.split("\n"):
        match = _SIMPLE_ITEM.fullmatch(line)
        if match is not None:
            if items is None:
                return None
            value = _simple_value(match)
            if value is None:
                return None
            items.append(value[0])
            lines.append(_with_comment(f"- {value[1]}", match))
            continue
        match = _SIMPLE_ENTRY.fullmatch(line)
        if match is None or (items is not None and not items):
            return None  # not simple, or a `key:` with no items (null)
        key = match.group("key")
        if key in data or _needs_quotes(key):
            return None
        if match.group("plain") is None and match.group("quoted") is None:
            items = data[key] = []
            lines.append(f"{key}:")
            continue
        value = _simple_value(match)
        if value is None:
            return None
        items = None
        data[key] = value[0]
        lines.append(_with_comment(f"{key}: {value[1]}", match))
    if not data or (items is not None and not items):
        return None
    between = "\n".join(lines)
    try:
        if read_yaml11(between) != data:
            return None
    except pyyaml.YAMLError:
        return None
    _remember12(between, data)
    return _Canonical(between + "\n", Reading(between, 1, data, copy.deepcopy(data)), ())


def _simple_value(match: re.Match[str]) -> tuple[str, str] | None:
    """(the string, as the canonical layout writes it), or None if it is not simple."""
    plain, quoted = match.group("plain"), match.group("quoted")
    text = plain if plain is not None else quoted
    if text is None or _UNSAFE_RAW.search(text):
        return None
    if _needs_quotes(text):
        # Written plain it is not a string (`true`, `3.1`, `no`): only a quoted one is simple.
        return (text, f'"{text}"') if quoted is not None else None
    return (text, text) if _PLAIN_WORD.fullmatch(text) else None


def _with_comment(line: str, match: re.Match[str]) -> str:
    comment = match.group("comment")
    return f"{line}  {comment}" if comment else line


def reading(content: str, card: str) -> Reading | None:
    """The front matter of `content` as it is (not canonicalised), read once per dialect.

    None if there is no front matter; CardError if YAML 1.2 cannot read it. A YAML 1.1 failure
    is kept in `error11`.
    """
    match = FRONT_MATTER.search(content)
    if match is None:
        return None
    yaml_text = match.group(2)
    offset = content.count("\n", 0, match.start(2))
    data12 = load(yaml_text, card=card, line_offset=offset)
    try:
        data11, error11 = read_yaml11(yaml_text), None
    except pyyaml.YAMLError as exc:
        data11, error11 = None, f"{type(exc).__name__}: {exc}"
    return Reading(yaml_text, offset, data12, data11, error11)


def agreement_problems(yaml_text: str, card: str, *, line_offset: int = 1) -> list[Problem]:
    """Every place where PyYAML (YAML 1.1, huggingface_hub) and ruamel (YAML 1.2) disagree.

    `line_offset` is the number of card lines before the YAML (1 for the opening `---`), so that
    problems carry card line numbers.
    """
    try:
        refuse_unsafe_yaml(yaml_text, card, line_offset)
    except CardError as exc:
        return list(exc.problems)
    try:
        data12 = _safe12().load(yaml_text)
    except YAMLError as exc:
        return [_yaml_problem(exc, card, line_offset)]
    try:
        data11 = read_yaml11(yaml_text)
    except pyyaml.YAMLError as exc:
        line = None
        mark = getattr(exc, "problem_mark", None)
        if mark is not None:
            line = mark.line + 1 + line_offset
        return [
            Problem(
                file=card,
                line=line,
                message=f"PyYAML (YAML 1.1, as huggingface_hub reads cards) cannot read it: {exc}",
                hint="quote the value",
            )
        ]
    lines = _lines(yaml_text)
    problems: list[Problem] = []
    for path, message, is_key in _disagreements(data11, data12, ""):
        line = lines.get(path)
        problems.append(
            Problem(
                file=card,
                line=None if line is None else line + line_offset,
                key_path=path or "(document)",
                message=message,
                hint="quote the key" if is_key else "quote the value",
            )
        )
    return problems


# Python refuses to read an integer of more than 4,300 digits (a ValueError deep in the YAML
# parsers); no card's metadata needs a number a thousandth that long.
MAX_DIGITS = 1000
_LONG_DIGITS = re.compile(rf"\d{{{MAX_DIGITS + 1},}}")


def refuse_unsafe_yaml(yaml_text: str, card: str, line_offset: int = 0) -> None:
    """CardError, before any parser runs, for what no card needs and a parser chokes on: a run
    of more than MAX_DIGITS digits, an anchor (`&a`) or an alias (`*a`).

    A card's metadata never needs them, and aliases to aliases expand exponentially ("billion
    laughs": a few hundred bytes that take minutes and gigabytes to read). Only PyYAML's scanner
    runs here, which reads tokens in linear time and expands nothing; and only when the text
    has a `&` or `*` at all.
    """
    digits = _LONG_DIGITS.search(yaml_text)
    if digits is not None:
        before = yaml_text[: digits.start()]
        problem = Problem(
            file=card,
            line=before.count("\n") + 1 + line_offset,
            column=digits.start() - (before.rfind("\n") + 1) + 1,
            message=f"a number of {digits.end() - digits.start():,} digits; a card's front "
            f"matter may hold at most {MAX_DIGITS:,} digits in a row",
            hint="write the value as a short number or as text",
        )
        raise CardError(f"the front matter of {card} holds a number too long to read", [problem])
    if "&" not in yaml_text and "*" not in yaml_text:
        return
    found: list[pyyaml.AnchorToken | pyyaml.AliasToken] = []
    with contextlib.suppress(pyyaml.YAMLError):  # a syntax error: the parser reports it next
        found = [
            token
            for token in pyyaml.scan(yaml_text, Loader=_SAFE_LOADER_11)
            if isinstance(token, pyyaml.AnchorToken | pyyaml.AliasToken)
        ]
    if not found:
        return
    first = found[0]
    kind, sign = ("anchor", "&") if isinstance(first, pyyaml.AnchorToken) else ("alias", "*")
    more = f" ({len(found) - 1} more anchors or aliases follow)" if len(found) > 1 else ""
    problem = Problem(
        file=card,
        line=first.start_mark.line + 1 + line_offset,
        column=first.start_mark.column + 1,
        message=f"the YAML {kind} {sign}{first.value} is not allowed: a card's front matter "
        f"may not use YAML anchors or aliases{more}",
        hint="write each value out in full",
    )
    raise CardError(f"the front matter of {card} uses YAML anchors or aliases", [problem])


# --- canonical form ---------------------------------------------------------------------------


def _round_trip() -> YAML:
    rt = YAML(typ="rt")
    rt.version = None  # YAML 1.2, and no `%YAML` directive in the output
    rt.indent(mapping=2, sequence=2, offset=0)
    rt.width = sys.maxsize  # never wrap a long value
    rt.allow_unicode = True
    rt.explicit_start = False
    return rt


def _safe12() -> YAML:
    return YAML(typ="safe", pure=True)


def read_yaml11(yaml_text: str) -> Any:
    """PyYAML's `safe_load` reading (YAML 1.1), with libyaml's C loader where it is installed."""
    return pyyaml.load(yaml_text, Loader=_SAFE_LOADER_11)  # a safe loader


def _canonical(node: Any) -> Any:
    """`node` with the canonical scalar styles, converting plain Python to round-trip types."""
    if isinstance(node, CommentedMap):
        node.fa.set_block_style()
        for index, key in enumerate(list(node.keys())):
            new_key = _canonical_scalar(key)
            value = _canonical(node[key])
            if type(new_key) is not type(key):
                del node[key]
                node.insert(index, new_key, value)
            else:
                node[key] = value
        _two_space_comments(node.ca.items, 2)
        return node
    if isinstance(node, CommentedSeq):
        node.fa.set_block_style()
        for index, item in enumerate(node):
            node[index] = _canonical(item)
        _two_space_comments(node.ca.items, 0)
        return node
    if isinstance(node, Mapping):
        fresh = CommentedMap()
        for key, value in node.items():
            fresh[_canonical_scalar(key)] = _canonical(value)
        return fresh
    if isinstance(node, list | tuple):
        return CommentedSeq(_canonical(item) for item in node)
    return _canonical_scalar(node)


def _canonical_scalar(value: Any) -> Any:
    if isinstance(value, LiteralScalarString | FoldedScalarString):
        if _UNSAFE_RAW.search(value):
            return DoubleQuotedScalarString(value)
        return value
    if isinstance(value, str):
        plain = str(value)
        if _needs_quotes(plain):
            return DoubleQuotedScalarString(plain)
        return plain
    if isinstance(value, bool | ScalarBoolean):
        return bool(value)
    if isinstance(value, ScalarInt):
        return int(value)
    if isinstance(value, ScalarFloat):
        return float(value)
    return value


def _needs_quotes(value: str) -> bool:
    """True if either dialect would read `value`, written plain, as something else than a string."""
    implicit = (True, False)
    pyyaml_tag = _PYYAML_RESOLVER.resolve(pyyaml.ScalarNode, value, implicit)  # type: ignore[no-untyped-call]
    if pyyaml_tag != _STR_TAG:
        return True
    if _RUAMEL_RESOLVER.resolve(ScalarNode, value, implicit) != _STR_TAG:
        return True
    return bool(_UNSAFE_RAW.search(value))


def _two_space_comments(items: dict[Any, list[Any]], slot: int) -> None:
    """Put every end-of-line comment two spaces after its value, whatever its source column."""
    for entry in items.values():
        if len(entry) <= slot:
            continue
        token = entry[slot]
        if isinstance(token, CommentToken) and token.value.startswith("#"):
            entry[slot] = CommentToken(" " + token.value, CommentMark(0))


def _one_newline(text: str) -> str:
    """`text` ending in exactly one newline; trailing blanks at the very end mean nothing."""
    return text.rstrip() + "\n"


# --- agreement ----------------------------------------------------------------------------------


def _disagreements(v11: Any, v12: Any, path: str) -> Iterator[tuple[str, str, bool]]:
    """(key path, message, is a key) for each place where the two readings differ."""
    if isinstance(v11, dict) and isinstance(v12, dict):
        items11, items12 = list(v11.items()), list(v12.items())
        for (k11, c11), (k12, c12) in zip(items11, items12, strict=False):
            child = _child(path, k12)
            if not same_data(k11, k12):
                yield child, _differ(k11, k12, "key "), True
            else:
                yield from _disagreements(c11, c12, child)
        if len(items11) != len(items12):
            yield (
                path,
                f"YAML 1.1 reads {len(items11)} keys but YAML 1.2 reads {len(items12)} "
                "(a key repeated, or read as the same value)",
                True,
            )
        return
    if isinstance(v11, list) and isinstance(v12, list):
        for index, (c11, c12) in enumerate(zip(v11, v12, strict=False)):
            yield from _disagreements(c11, c12, f"{path}[{index}]")
        if len(v11) != len(v12):
            yield path, f"YAML 1.1 reads {len(v11)} items but YAML 1.2 reads {len(v12)}", False
        return
    if not same_data(v11, v12):
        yield path, _differ(v11, v12, ""), False


def _differ(v11: Any, v12: Any, what: str) -> str:
    written = v11 if isinstance(v11, str) else v12 if isinstance(v12, str) else None
    if written is None:
        return f"YAML 1.1 reads the {what or 'value '}as {v11!r} but YAML 1.2 reads it as {v12!r}"
    if written == v11:
        return f"YAML 1.1 reads {what}{written!r} as a string but YAML 1.2 reads it as {v12!r}"
    return f"YAML 1.1 reads {what}{written!r} as {v11!r} but YAML 1.2 reads it as {v12!r}"


def _child(path: str, key: Any) -> str:
    name = key if isinstance(key, str) else repr(key)
    return f"{path}.{name}" if path else name


def _lines(yaml_text: str) -> dict[str, int]:
    try:
        data = YAML(typ="rt").load(yaml_text)
    except YAMLError:
        return {}
    found: dict[str, int] = {}

    def walk(node: Any, path: str) -> None:
        if isinstance(node, CommentedMap):
            for key, value in node.items():
                child = _child(path, key)
                with contextlib.suppress(KeyError, TypeError):
                    found[child] = node.lc.key(key)[0] + 1
                walk(value, child)
        elif isinstance(node, CommentedSeq):
            for index, value in enumerate(node):
                child = f"{path}[{index}]"
                with contextlib.suppress(KeyError, TypeError):
                    found[child] = node.lc.item(index)[0] + 1
                walk(value, child)

    walk(data, "")
    return found


def _yaml_problem(exc: YAMLError, card: str, line_offset: int) -> Problem:
    """A Problem for a YAML syntax error, at its card line and column."""
    line = column = None
    message = str(exc)
    if isinstance(exc, MarkedYAMLError):
        mark = exc.problem_mark or exc.context_mark
        if mark is not None:
            line = mark.line + 1 + line_offset
            column = mark.column + 1
        parts = [p for p in (exc.context, exc.problem) if p]
        if parts:
            message = ", ".join(parts)
    return Problem(
        file=card,
        line=line,
        column=column,
        message=f"YAML syntax error: {message}",
        hint="fix the front matter between the `---` lines",
    )
