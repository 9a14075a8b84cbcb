"""The one Jinja2 environment of the card templates: sandboxed, strict, bounded, in memory.

Templates are user input (a pull request can change them, and CI renders them with `HF_TOKEN` in
the environment), so they run in Jinja2's `ImmutableSandboxedEnvironment`: no access to
`__globals__`, `__class__` or other internals, no mutation of the context. On top of the sandbox:

* the output of one card is bounded (MAX_OUTPUT_CHARS) while it is generated, and `*` / `**` may
  not build a value beyond that bound, so `{{ 'x' * 10**10 }}` fails at once instead of filling
  the memory;
* an undefined name raises `UndefinedName`, which keeps the name and what it was looked up on, so
  the error can offer "did you mean" from the names that exist;
* templates, and the data files they read with `data_file("notes/x.md")` (a path under cards/,
  often a manifest value: `data_file(model.notes_file)`), are read from an in-memory mapping (the
  bytes read once at the start and hashed into the fingerprint), never from the disk while
  rendering.

* the items all `range` loops of one card may step through together are bounded
  (MAX_RANGE_STEPS), so nested loops that output nothing cannot run for hours; the sandbox
  itself limits one `range` to 100,000 items, and endless recursion ends in a RecursionError.
"""

from __future__ import annotations

import functools
import hashlib
import json
import math
import re
import sys
from collections.abc import Callable, Iterator, Mapping, MutableMapping
from pathlib import Path
from typing import Any

import jinja2
import jinja2.bccache
from jinja2.exceptions import SecurityError
from jinja2.sandbox import ImmutableSandboxedEnvironment, safe_range

from pipeline.localfiles import NotText, decode_text
from pipeline.manifest.sources import Store, read_templates

# The Hub refuses a file of 10 MiB or more outside Git LFS, and huggingface_hub sends a README
# base64-encoded inside the commit request (4/3 of its size), so a card of about 7.5 MiB already
# fails at the Hub (413). A model card is a few kilobytes (ours are about 10 KB); 1 MiB refuses
# runaway templates long before the Hub would, and leaves room for any real card.
MAX_CARD_BYTES = 1024 * 1024
# Characters never outnumber UTF-8 bytes, so output over this many characters is over the limit.
MAX_OUTPUT_CHARS = MAX_CARD_BYTES
# Items that the `range` loops of one card may step through in all: a card's loops run over
# languages, tags and links, tens of items; a million is far beyond any card, and a fraction of
# a second.
MAX_RANGE_STEPS = 1_000_000


class UndefinedName(jinja2.UndefinedError):
    """A template used a name that does not exist; `owner` is what it was looked up on."""

    def __init__(
        self, message: str | None, name: str | None, owner: Any, refused: str | None
    ) -> None:
        super().__init__(message)
        self.name = name
        self.owner = owner
        self.refused = refused  # the sandbox's reason, when it refused an unsafe attribute


class OutputTooLarge(SecurityError):
    """A template produced, or tried to build, more than MAX_OUTPUT_CHARS."""


class TooMuchWork(SecurityError):
    """A template's `range` loops stepped through more than MAX_RANGE_STEPS items."""


class _CountedRange:
    """A `range` whose steps count against its environment's budget for the current card."""

    def __init__(self, env: CardEnvironment, items: range) -> None:
        self.env = env
        self.items = items

    def __len__(self) -> int:
        return len(self.items)

    def __iter__(self) -> Iterator[int]:
        for item in self.items:
            self.env.steps += 1
            if self.env.steps > MAX_RANGE_STEPS:
                raise TooMuchWork(
                    f"the template's loops step through more than {MAX_RANGE_STEPS:,} items"
                )
            yield item


class _Undefined(jinja2.StrictUndefined):
    """StrictUndefined whose error keeps the name and its owner (for "did you mean")."""

    __slots__ = ()

    def __init__(
        self,
        hint: str | None = None,
        obj: Any = jinja2.utils.missing,
        name: str | None = None,
        exc: type[jinja2.exceptions.TemplateRuntimeError] = jinja2.UndefinedError,
    ) -> None:
        # The sandbox answers an unsafe attribute with an undefined value whose hint says so.
        raise_named = functools.partial(UndefinedName, name=name, owner=obj, refused=hint)
        super().__init__(hint, obj, name, exc=raise_named)  # type: ignore[arg-type]


class DataFileNotFound(jinja2.TemplateRuntimeError):
    """A template asked `data_file` for a file that is not under the cards folder."""

    def __init__(self, name: object) -> None:
        super().__init__(f"data file {name!r} not found")
        self.name = name


class MemoryLoader(jinja2.BaseLoader):
    """Templates from a mapping of relative path -> bytes; each reported under `root`/path.

    The data files a template reads (`data_file`) come from the same mapping: every file a card
    is rendered from is one of `files`, which is what the fingerprint hashes
    (sources.SourceFiles).
    """

    def __init__(self, root: Path, files: Mapping[str, bytes]) -> None:
        self.root = root
        self.files = files

    def get_source(
        self, environment: jinja2.Environment, template: str
    ) -> tuple[str, str, Callable[[], bool]]:
        data = self.files.get(template)
        if data is None:
            raise jinja2.TemplateNotFound(template)
        return self._text(template, data), str(self.root / template), lambda: True

    def data_file(self, name: str) -> str:
        """The text of the file `name` under the cards folder: the template global `data_file`,
        for a file a card shows as it is (no template syntax is read in it)."""
        data = self.files.get(name) if isinstance(name, str) else None
        if data is None:
            raise DataFileNotFound(name)
        return self._text(name, data)

    def _text(self, name: str, data: bytes) -> str:
        try:
            return decode_text(data)
        except NotText as exc:
            raise jinja2.TemplateSyntaxError(
                exc.reason, exc.line, name, str(self.root / name)
            ) from None

    def list_templates(self) -> list[str]:
        return sorted(self.files)


class CardEnvironment(ImmutableSandboxedEnvironment):
    """The sandbox, with `*` and `**` checked so that no value outgrows a card."""

    intercepted_binops = frozenset({"*", "**"})

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._safe: dict[tuple[type, str], bool] = {}
        self.steps = 0  # range steps of the card being rendered (render_bounded resets it)
        # Every file under cards/ loaded since the caller last emptied it: templates extended,
        # included or imported, data files read, and names asked for that do not exist (the
        # key of an incremental render, card/incremental.py).
        self.reads: set[str] = set()
        self.globals["range"] = self._range

    def _load_template(
        self, name: str, globals: MutableMapping[str, Any] | None
    ) -> jinja2.Template:
        # Every load passes here, from the environment's own template cache or not
        # (get_template, select_template, and so `extends`, `include` and `import`), which a
        # loader does not see once a template is compiled. Jinja2's private name, fenced here
        # (tests/cards/test_incremental_render.py fails if it stops being called).
        if isinstance(name, str):
            self.reads.add(name)
        return super()._load_template(name, globals)

    def data_file(self, name: str) -> str:
        """The template global `data_file`: MemoryLoader.data_file, the read noted."""
        if isinstance(name, str):
            self.reads.add(name)
        assert isinstance(self.loader, MemoryLoader)
        return self.loader.data_file(name)

    def _range(self, *args: int) -> _CountedRange:
        return _CountedRange(self, safe_range(*args))

    def is_safe_attribute(self, obj: Any, attr: str, value: Any) -> bool:
        # Jinja2's answer depends only on the object's type and the attribute's name
        # (`is_internal_attribute`, `modifies_known_mutable`), so it is worked out once per pair:
        # rendering thousands of cards asks the same few hundred questions again and again.
        key = (type(obj), attr)
        safe = self._safe.get(key)
        if safe is None:
            safe = self._safe[key] = super().is_safe_attribute(obj, attr, value)
        return safe

    def call_binop(
        self, context: jinja2.runtime.Context, operator: str, left: Any, right: Any
    ) -> Any:
        if operator == "*":
            _check_repeat(left, right)
            _check_repeat(right, left)
        elif operator == "**":
            _check_power(left, right)
        return super().call_binop(context, operator, left, right)


def _check_repeat(seq: Any, times: Any) -> None:
    sized = isinstance(seq, str | bytes | list | tuple) and isinstance(times, int)
    if sized and len(seq) * times > MAX_OUTPUT_CHARS:
        raise OutputTooLarge(
            f"the template repeats a value {times:,} times: over the card limit of "
            f"{MAX_OUTPUT_CHARS:,} characters"
        )


def _check_power(base: Any, exponent: Any) -> None:
    ints = isinstance(base, int) and isinstance(exponent, int) and abs(base) > 1 and exponent > 0
    # The result has about exponent * log10(|base|) decimal digits.
    if ints and exponent * math.log10(abs(base)) > MAX_OUTPUT_CHARS:
        raise OutputTooLarge(f"{base} ** {exponent} has more digits than a card may hold")


class CompiledTemplates(jinja2.BytecodeCache):
    """Each template as Jinja compiled it, kept in `store` between runs: a run that renders
    one card loads its templates' code, not parse and compile them again (about 40 ms for the
    family's). Keyed by the template's name, the digest of its text, Jinja's and Python's
    versions and this module's own text (the environment the code was compiled for); Jinja's
    own header is checked on load too, and a mismatch compiles afresh. The code is Python's:
    the cache is trusted as Python's __pycache__ is, the user's own folder."""

    def __init__(self, store: Store) -> None:
        self._store = store

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        payload = self._store.get("jinja", _bucket_key(bucket))
        if payload is not None:
            bucket.bytecode_from_string(payload)

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        self._store.put("jinja", _bucket_key(bucket), bucket.bytecode_to_string())


@functools.cache
def _this_environment() -> str:
    """This module's own text and the versions its compiled code depends on, as one digest."""
    own = Path(__file__).read_bytes()
    stamp = [hashlib.sha256(own).hexdigest(), jinja2.__version__, list(sys.version_info[:3])]
    return json.dumps(stamp)


def _bucket_key(bucket: jinja2.bccache.Bucket) -> str:
    return json.dumps(["jinja", _this_environment(), bucket.key, bucket.checksum])


def make_environment(
    cards_dir: Path, files: Mapping[str, bytes] | None = None, store: Store | None = None
) -> CardEnvironment:
    """The card environment over `files` (paths relative to `cards_dir`), trailing newline kept;
    with a `store`, the templates' compiled code is kept there (CompiledTemplates).

    Without `files`, every file under `cards_dir` is read now.
    """
    if files is None:
        files = read_templates(cards_dir)
    loader = MemoryLoader(cards_dir, files)
    env = CardEnvironment(
        loader=loader,
        undefined=_Undefined,
        keep_trailing_newline=True,
        autoescape=False,  # Markdown, not HTML
        auto_reload=False,
        bytecode_cache=CompiledTemplates(store) if store is not None else None,
    )
    env.filters["yaml_string"] = yaml_string
    env.filters["yaml_flow"] = yaml_flow
    env.filters["bibtex"] = bibtex
    env.filters["bibtex_key"] = bibtex_key
    env.globals["data_file"] = env.data_file
    return env


def yaml_string(value: object) -> str:
    """A front-matter value as a YAML string, whatever it looks like (`true`, `no`, `1.0`).

    A JSON string is a valid YAML double-quoted scalar in both YAML 1.1 and 1.2; the front-matter
    canonicalisation then drops the quotes that are not needed.
    """
    return json.dumps(str(value), ensure_ascii=False)


def yaml_flow(value: object) -> str:
    """A front-matter value (a list or mapping, such as `model-index`) as one line of YAML flow
    style: JSON, which YAML 1.1 and 1.2 read alike; the canonicalisation lays it out in blocks."""
    return json.dumps(value, ensure_ascii=False)


_BIBTEX_SPECIAL = {
    "\\": r"\textbackslash{}",
    "{": r"\{",
    "}": r"\}",
    "%": r"\%",
    "&": r"\&",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
}


def bibtex(value: object) -> str:
    """Text as a BibTeX field value: its special characters escaped."""
    return "".join(_BIBTEX_SPECIAL.get(char, char) for char in str(value))


def bibtex_key(value: object) -> str:
    """A BibTeX entry key made of `value`: letters, digits and `-`, `.`, `:` only."""
    return re.sub(r"[^A-Za-z0-9.:-]", "-", str(value))


def render_bounded(template: jinja2.Template, context: Mapping[str, Any]) -> str:
    """The template's output; OutputTooLarge as soon as it passes MAX_OUTPUT_CHARS."""
    if isinstance(template.environment, CardEnvironment):
        template.environment.steps = 0
    parts: list[str] = []
    size = 0
    chunks: Iterator[str] = template.generate(context)
    for chunk in chunks:
        size += len(chunk)
        if size > MAX_OUTPUT_CHARS:
            raise OutputTooLarge(
                f"the template's output is over the card limit of {MAX_CARD_BYTES:,} bytes "
                f"({MAX_CARD_BYTES // (1024 * 1024)} MiB)"
            )
        parts.append(chunk)
    return "".join(parts)
