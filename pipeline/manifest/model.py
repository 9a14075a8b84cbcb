"""models.toml -> a validated, frozen Manifest.

Pydantic validates at this edge only (strict, `extra="forbid"`); past it, stages get the plain
frozen `Variant` and `Manifest` dataclasses. Every problem in the file is collected and reported
together in one ManifestError, each with file, line, column, key path, expectation and a hint.

Resolution of a variant's values: the variant's own key, else `[kinds.<kind>]`, else `[defaults]`.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path
from typing import Any, Literal, TypeVar, get_args

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, model_validator

from pipeline.compliance import LEVELS, RULE_NAMES, Level, RuleName
from pipeline.errors import ManifestError, Problem
from pipeline.manifest._collections import (
    COLLECTION_MODELS,
    raw_collections,
    resolve_collections,
)
from pipeline.manifest._family import MAX_HINTS, Member, family_problems
from pipeline.manifest._fields import (
    SIZE_FORM,
    DatasetId,
    DataSize,
    GgufFile,
    Language,
    LibraryName,
    License,
    LinkName,
    LlamaVersion,
    NameGlob,
    PipelineTag,
    ProjectFile,
    Quantization,
    RepoFile,
    RepoId,
    RepoPart,
    Size,
    Step,
    Tag,
    TemplateName,
    Text,
    Url,
    Year,
    shown,
)
from pipeline.manifest._file import parse_manifest, read_manifest_bytes
from pipeline.manifest._places import Locator, key_path
from pipeline.manifest.scope import ManagedScope
from pipeline.ownership import POLICIES, Policy
from pipeline.quanttypes import suffix_type
from pipeline.records import CollectionSpec

# Tags and languages a level may list: a card shows them all in its front matter and on the
# Hub's page; thousands are a generated or hostile file (10,000 tags took minutes to render).
MAX_LIST = 100

Kind = Literal["base", "sft", "instruct", "notram", "gguf"]
KINDS: tuple[str, ...] = get_args(Kind)

# --- the file's shape (Pydantic, at the edge) -------------------------------------------------


_M = TypeVar("_M", bound=BaseModel)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


# The files a repo holds besides its card: a `[files]` table maps each path to its source.
MAX_FILES = 20


class _FileSource(_Strict):
    """`{ template = "NOTICE.j2" }` (rendered as a card is) or `{ copy = "LICENSE" }` (a project
    file, byte for byte)."""

    template: TemplateName | None = None
    copy_: ProjectFile | None = Field(default=None, alias="copy")

    @model_validator(mode="after")
    def _one_source(self) -> _FileSource:
        if (self.template is None) == (self.copy_ is None):
            raise ValueError(
                "expected exactly one of `template` (a file under cards/) or `copy` (a project "
                'file), as in { template = "NOTICE.j2" }'
            )
        return self


class _Overridable(_Strict):
    """Keys that a variant, a `[kinds.X]` table and `[defaults]` may all set."""

    namespace: RepoPart | None = None
    languages: list[Language] | None = Field(default=None, min_length=1, max_length=MAX_LIST)
    tags: list[Tag] | None = Field(default=None, max_length=MAX_LIST)
    extra_tags: list[Tag] | None = Field(default=None, max_length=MAX_LIST)
    pipeline_tag: PipelineTag | None = None
    library_name: LibraryName | None = None
    knowledge_cutoff: Text | None = None
    developer: Text | None = None
    author: Text | None = None
    datasets: list[DatasetId] | None = Field(default=None, max_length=MAX_LIST)
    year: Year | None = None
    template: TemplateName | None = None
    allow_create: bool | None = None
    on_drift: Policy | None = None
    on_adopt: Policy | None = None
    files: dict[RepoFile, _FileSource] | None = Field(default=None, max_length=MAX_FILES)


class _Manage(_Strict):
    """The repos the family means to manage: a namespace and globs on the repo names."""

    namespace: RepoPart
    patterns: list[NameGlob] = Field(min_length=1, max_length=MAX_LIST)


class _Defaults(_Overridable):
    licenses: dict[LlamaVersion, License] = Field(default_factory=dict)
    links: dict[LinkName, Url] = Field(default_factory=dict)
    manage: _Manage | None = None


class _KindDefaults(_Overridable):
    pass


class _RawVariant(_Overridable):
    name: RepoPart
    kind: Kind
    llama_version: LlamaVersion
    size: Size
    base_model: RepoId
    display_name: Text | None = None
    parameters: Text | None = None
    license: License | None = None
    quantization: Quantization | None = None
    gguf_file: GgufFile | None = None
    file_size: DataSize | None = None
    memory_needed: DataSize | None = None
    checkpoint_step: Step | None = None


class _File(_Strict):
    defaults: dict[str, Any]
    kinds: dict[Kind, dict[str, Any]] = Field(default_factory=dict)
    # Each entry is validated on its own (see load_manifest), so that one bad variant does
    # not hide the family checks of the others.
    models: list[dict[str, Any]] = Field(min_length=1)
    # The level of each compliance rule named here (pipeline/compliance.py has the table).
    rules: dict[RuleName, Level] = Field(default_factory=dict)
    collections: list[dict[str, Any]] = Field(default_factory=list)


# --- the result (plain, frozen) ---------------------------------------------------------------


@dataclass(frozen=True)
class CompanionFile:
    """A file nb-release keeps in a repo besides README.md: its path there, and its source:
    a template under cards/ or a project file (relative to the manifest's folder)."""

    path: str
    template: str | None = None
    copy: str | None = None


@dataclass(frozen=True)
class Variant:
    """One model repo, with every default resolved."""

    name: str
    repo_id: str
    display_name: str
    kind: Kind
    llama_version: str
    size: str
    parameters: str
    base_model: str
    base_model_variant: str | None  # the manifest variant base_model names, if any
    template: str
    languages: tuple[str, ...]
    tags: tuple[str, ...]
    license: str
    pipeline_tag: str
    library_name: str | None
    knowledge_cutoff: str
    developer: str
    author: str
    quantization: str | None
    gguf_file: str | None
    allow_create: bool
    index: int  # its position among the [[models]] entries of models.toml
    line: int | None  # the line of its [[models]] header in models.toml
    on_drift: Policy | None = None  # None: the command decides
    on_adopt: Policy | None = None
    datasets: tuple[str, ...] = ()  # Hub dataset ids of the data the card names
    year: int | None = None  # the year of its citation
    file_size: str | None = None  # "4.9 GB": the GGUF file's size, where known
    memory_needed: str | None = None  # the memory it needs to run, where known
    checkpoint_step: int | None = None  # the training step of the checkpoint quantised
    files: tuple[CompanionFile, ...] = ()  # in path order

    @property
    def namespace(self) -> str:
        return self.repo_id.split("/", 1)[0]


@dataclass(frozen=True)
class Manifest:
    path: Path
    variants: tuple[Variant, ...]
    links: Mapping[str, str]
    manage: ManagedScope | None = None
    rules: Mapping[str, Level] = field(default_factory=dict)  # [rules]: a level per rule name
    collections: tuple[CollectionSpec, ...] = ()

    def by_repo_id(self, repo_id: str) -> Variant | None:
        """The variant of that repo id, ignoring case as the Hub does."""
        return self._by_folded_id.get(repo_id.lower())

    @cached_property
    def _by_folded_id(self) -> dict[str, Variant]:
        # A dict, not a scan: rendering asks once per variant, and a family may have thousands.
        return {v.repo_id.lower(): v for v in self.variants}


# --- loading ----------------------------------------------------------------------------------


def _fields_of(model: type[BaseModel]) -> list[str]:
    return list(model.model_fields)


def _model_at(loc: Sequence[int | str]) -> type[BaseModel] | None:
    """The Pydantic model that owns the key at `loc` (for "did you mean" hints)."""
    if not loc:
        return _File
    head = loc[0]
    if head == "defaults" and len(loc) == 1:
        return _Defaults
    if head == "defaults" and len(loc) == 2 and loc[1] == "manage":
        return _Manage
    if head == "kinds" and len(loc) == 2:
        return _KindDefaults
    if head == "models" and len(loc) == 2:
        return _RawVariant
    if head == "collections" and len(loc) == 2:
        return COLLECTION_MODELS[0]
    if head == "collections" and len(loc) == 4:
        return COLLECTION_MODELS[1]
    return None


def _problems_from_validation(
    error: ValidationError,
    file: str,
    locator: Locator,
    prefix: Sequence[int | str] = (),
    already: int = 0,
) -> list[Problem]:
    """Located problems from Pydantic's errors; `already` problems were found before these
    (hints are worked out for the first ones only: difflib per key is slow by the thousand)."""
    problems: list[Problem] = []
    for item in error.errors(include_url=False):
        loc = [*prefix, *item["loc"]]
        loc = [p for p in loc if not (isinstance(p, str) and p.startswith("function-"))]
        # Pydantic tags union members and dict keys; drop those internal markers.
        loc = [p for p in loc if p not in ("[key]",)]
        path = key_path(loc)
        line, column = locator.find(path)
        message = str(item["msg"]).removeprefix("Value error, ")
        hint = None
        kind = item["type"]
        if kind == "extra_forbidden":
            owner = _model_at(loc[:-1])
            key = str(loc[-1])
            message = f"unknown key {key!r}"
            if owner is not None and already + len(problems) < MAX_HINTS:
                near = difflib.get_close_matches(key, _fields_of(owner), n=1, cutoff=0.6)
                hint = (
                    f"did you mean {near[0]!r}?"
                    if near
                    else "allowed keys: " + ", ".join(_fields_of(owner))
                )
        elif kind == "missing":
            message = f"required key {str(loc[-1])!r} is missing"
            path = key_path(loc)
            line, column = locator.find(key_path(loc[:-1]))
            if len(loc) == 1:
                # A missing top-level table belongs at the end of the file: point there.
                line, column = locator.last_line, 1
                hint = _MISSING_HINTS.get(str(loc[0]))
        elif kind == "too_long":
            ctx = item.get("ctx") or {}
            message = (
                f"expected at most {ctx.get('max_length')} items, got {ctx.get('actual_length')}"
            )
        elif kind == "literal_error" and loc and loc[-1] == "kind":
            message = f"expected one of {', '.join(KINDS)}, got {shown(item.get('input'))}"
        elif kind == "literal_error" and "[key]" in item["loc"] and loc[:1] == ["kinds"]:
            message = f"expected a kind: one of {', '.join(KINDS)}, got {shown(loc[-1])}"
        elif kind == "literal_error" and "[key]" in item["loc"] and loc[:1] == ["rules"]:
            message = f"unknown rule {shown(loc[-1])}"
            near = difflib.get_close_matches(str(loc[-1]), RULE_NAMES, n=1, cutoff=0.6)
            hint = f"did you mean {near[0]!r}?" if near else "rules: " + ", ".join(RULE_NAMES)
        elif kind == "literal_error" and loc[:1] == ["rules"]:
            message = f"expected one of {', '.join(LEVELS)}, got {shown(item.get('input'))}"
        elif kind.endswith("_type") and tuple(loc) in _TABLES:
            message = f"expected {_TABLES[tuple(loc)]}, got {_describe(item.get('input'))}"
        elif kind == "literal_error" and loc and loc[-1] in ("on_drift", "on_adopt"):
            message = f"expected one of {', '.join(POLICIES)}, got {item.get('input')!r}"
        elif kind.endswith("_type"):
            message = f"{message}, got {_describe(item.get('input'))}"
        problems.append(Problem(file, message, line, column, path, hint))
    return problems


# What each table of the file is, for a value of the wrong type in its place (without it,
# `models = "x"` was once reported as "required key 'models' is missing").
_TABLES: dict[tuple[int | str, ...], str] = {
    ("models",): "an array of tables [[models]]",
    ("defaults",): "a table [defaults]",
    ("kinds",): "a table [kinds] of tables such as [kinds.gguf]",
    ("defaults", "licenses"): "a table [defaults.licenses]",
    ("defaults", "links"): "a table [defaults.links]",
    ("rules",): "a table [rules] of rule levels",
    ("collections",): "an array of tables [[collections]]",
}


_MISSING_HINTS = {
    "models": "add a [[models]] table for each variant, after [defaults]",
    "defaults": "add a [defaults] table with the values every variant shares",
}


def _misplaced_models(data: Mapping[str, Any], file: str, locator: Locator) -> Problem | None:
    """A `models` key that TOML put into a table because it stands below that table's header."""
    tables: list[tuple[str, object]] = [("defaults", data.get("defaults"))]
    kinds = data.get("kinds")
    if isinstance(kinds, dict):
        tables += [(key_path(["kinds", name]), table) for name, table in kinds.items()]
    for name, table in tables:
        if isinstance(table, dict) and "models" in table:
            path = f"{name}.models"
            line, column = locator.find(path)
            return Problem(
                file,
                f"the key 'models' is inside [{name}], so the manifest has no [[models]]",
                line,
                column,
                path,
                f"a key below a table header belongs to that table; write each variant as "
                f"a [[models]] table after [{name}]",
            )
    return None


def _describe(value: object) -> str:
    """A short description of a TOML value for a message: its TOML type and a bounded repr."""
    names = {
        bool: "boolean",
        int: "integer",
        float: "float",
        str: "string",
        list: "array",
        dict: "table",
    }
    text = repr(value)
    if len(text) > 60:
        text = text[:57] + "..."
    return f"{names.get(type(value), type(value).__name__)} {text}"


def _parameters(size: str) -> str:
    match = SIZE_FORM.fullmatch(size)
    assert match  # the size type already guaranteed this form
    number, unit = match.groups()
    return f"{number} {'billion' if unit == 'B' else 'million'}"


@dataclass(frozen=True)
class _Below:
    """What a variant of one kind finds below itself: each key from [kinds.<kind>], else
    [defaults]; their extra_tags in order and their files merged. Worked out once per kind,
    not once per variant (a family of thousands shares a few kinds)."""

    values: Mapping[str, Any]
    extra_tags: tuple[str, ...]
    files: Mapping[str, _FileSource]

    @classmethod
    def of(cls, kind_defaults: _KindDefaults | None, defaults: _Defaults) -> _Below:
        layers = (kind_defaults, defaults)
        files: dict[str, _FileSource] = {}
        for layer in reversed(layers):
            if layer is not None and layer.files:
                files.update(layer.files)
        return cls(
            values={name: _pick(name, *layers) for name in _Overridable.model_fields},
            extra_tags=tuple(
                tag
                for layer in (defaults, kind_defaults)
                if layer
                for tag in layer.extra_tags or ()
            ),
            files=files,
        )


def _pick(name: str, *layers: _Overridable | None) -> Any:
    for layer in layers:
        if layer is not None:
            value = getattr(layer, name, None)
            if value is not None:
                return value
    return None


# A family may have thousands of repos (every quantisation of every size; README.md "At scale"
# measures 5,000); far more is a generated or hostile file. The family checks are linear in the
# count.
MAX_VARIANTS = 20_000


def load_manifest(path: Path) -> Manifest:
    """Read and validate models.toml; raise ManifestError listing every problem."""
    return load_manifest_bytes(path, read_manifest_bytes(path))


def load_manifest_bytes(path: Path, source: bytes) -> Manifest:
    """Validate the manifest bytes `source` read from `path` (what a fingerprint is made of)."""
    file = str(path)
    data, locator = parse_manifest(file, source)
    problems: list[Problem] = []

    def check(model: type[_M], value: Any, prefix: tuple[int | str, ...]) -> _M | None:
        try:
            return model.model_validate(value)
        except ValidationError as exc:
            problems.extend(_problems_from_validation(exc, file, locator, prefix, len(problems)))
            return None

    # Each section, and each variant, is validated on its own so that one mistake does not
    # hide the others (every problem in one run).
    shape = check(_File, data, ())
    if shape is None:
        misplaced = _misplaced_models(data, file, locator)
        if misplaced is not None:
            problems[:] = [
                misplaced if p.key_path == "models" and p.message.startswith("required") else p
                for p in problems
            ]
        raise ManifestError("the manifest is invalid", problems)
    # A table with a bad key keeps its good keys (one typo gives one error, not one more per key
    # that depends on it); the keys it lost are `broken`, so no variant is told a value is missing
    # that was only mistyped.
    broken: dict[str, frozenset[str]] = {}

    def check_table(model: type[_M], value: Any, prefix: tuple[str, ...]) -> _M | None:
        try:
            return model.model_validate(value)
        except ValidationError as exc:
            problems.extend(_problems_from_validation(exc, file, locator, prefix, len(problems)))
            bad = frozenset(str(e["loc"][0]) for e in exc.errors() if e["loc"])
            broken[".".join(prefix)] = bad
            rest = {k: v for k, v in value.items() if k not in bad}
            try:
                return model.model_validate(rest)
            except ValidationError:
                return None

    defaults = check_table(_Defaults, shape.defaults, ("defaults",))
    kinds: dict[str, _KindDefaults] = {}
    for kind, table in shape.kinds.items():
        checked = check_table(_KindDefaults, table, ("kinds", kind))
        if checked is not None:
            kinds[kind] = checked
    if len(shape.models) > MAX_VARIANTS:
        line, column = locator.find(f"models[{MAX_VARIANTS}]")
        raise ManifestError(
            "the manifest is invalid",
            [
                Problem(
                    file,
                    f"the manifest has {len(shape.models)} [[models]] entries; "
                    f"it may have at most {MAX_VARIANTS}",
                    line,
                    column,
                    f"models[{MAX_VARIANTS}]",
                )
            ],
        )
    raws: dict[int, _RawVariant] = {}
    for index, entry in enumerate(shape.models):
        raw = check(_RawVariant, entry, ("models", index))
        if raw is not None:
            raws[index] = raw
    if defaults is None:
        raise ManifestError("the manifest is invalid", problems)

    variants: dict[int, Variant] = {}
    below: dict[str, _Below] = {}
    # Each entry's header line, by a plain scan where it is sure: the lex only for a problem.
    lines = locator.array_lines("models", len(shape.models)) if raws else []
    for index, raw in raws.items():
        lost = broken.get("defaults", frozenset()) | broken.get(f"kinds.{raw.kind}", frozenset())
        if raw.kind not in below:
            below[raw.kind] = _Below.of(kinds.get(raw.kind), defaults)
        variant = _resolve(
            index, lines[index], raw, below[raw.kind], defaults, file, locator, problems, lost
        )
        if variant is not None:
            variants[index] = variant
    members = [
        _member_of(variants[index])
        if index in variants
        else _member_of_broken(index, entry, kinds, defaults)
        for index, entry in enumerate(shape.models)
    ]
    found, parents = family_problems(members, file, locator)
    problems.extend(found)
    raw_sets = raw_collections(
        shape.collections, file, locator, problems, _problems_from_validation
    )
    # A variant's name with its repo id (empty when the entry is broken: reported above).
    names = {
        name.lower(): member.repo_id or ""
        for index, (entry, member) in enumerate(zip(shape.models, members, strict=True))
        if (name := raws[index].name if index in raws else _readable(entry, "name")) is not None
    }
    collections = resolve_collections(raw_sets, names, file, locator, problems)
    if problems:
        raise ManifestError("the manifest is invalid", problems)
    # No problem: every entry validated, so positions in `members` are indexes into `variants`.
    resolved = [
        replace(v, base_model_variant=variants[parents[i]].name) if i in parents else v
        for i, v in sorted(variants.items())
    ]
    resolved = _inherit_from_parents(
        resolved, parents, [raws[i] for i in sorted(raws)], kinds, defaults
    )
    rules = {str(name): level for name, level in shape.rules.items()}
    return Manifest(
        path=path,
        variants=tuple(resolved),
        links=dict(defaults.links),
        manage=_scope(defaults.manage),
        rules=rules,
        collections=collections,
    )


def _scope(manage: _Manage | None) -> ManagedScope | None:
    return None if manage is None else ManagedScope(manage.namespace, tuple(manage.patterns))


def _resolve(
    index: int,
    header_line: int | None,
    raw: _RawVariant,
    below: _Below,
    defaults: _Defaults,
    file: str,
    locator: Locator,
    problems: list[Problem],
    lost: frozenset[str] = frozenset(),
) -> Variant | None:
    """One variant with every value resolved: the variant, then [kinds.<kind>], then [defaults].

    None when a value is missing everywhere: a problem is added for it, unless a table lost
    that key to a mistake already reported (`lost`).
    """
    where = f"models[{index}]"
    before = len(problems)
    unresolved = False

    def pick(name: str) -> Any:
        own = getattr(raw, name)
        return below.values[name] if own is None else own

    def need(name: str) -> Any:
        nonlocal unresolved
        value = pick(name)
        if value is None and name in lost:
            unresolved = True
        elif value is None:
            line, column = locator.find(where)
            problems.append(
                Problem(
                    file,
                    f"no value for {name!r}",
                    line,
                    column,
                    f"{where}.{name}",
                    f"set it in the variant, in [kinds.{raw.kind}] or in [defaults]",
                )
            )
        return value

    license_ = raw.license or defaults.licenses.get(raw.llama_version)
    if license_ is None and "licenses" in lost:
        unresolved = True
    elif license_ is None:
        line, column = locator.find(f"{where}.llama_version")
        problems.append(
            Problem(
                file,
                f"no license for Llama {raw.llama_version}",
                line,
                column,
                f"{where}.license",
                f'add "{raw.llama_version}" = "llama{raw.llama_version}" to '
                "[defaults.licenses], or set license in the variant",
            )
        )
    extra = [*below.extra_tags, *(raw.extra_tags or ())]
    tags = tuple(dict.fromkeys([*(pick("tags") or ()), *extra]))
    if not tags and {"tags", "extra_tags"} & lost:
        unresolved = True
    elif not tags:
        line, column = locator.find(where)
        problems.append(
            Problem(
                file,
                "the variant has no tags",
                line,
                column,
                f"{where}.tags",
                "the Hub's card metadata wants at least one tag; set tags in [defaults]",
            )
        )
    declared = suffix_type(raw.name)
    if raw.quantization is not None and declared not in (None, raw.quantization):
        line, column = locator.find(f"{where}.quantization")
        problems.append(
            Problem(
                file,
                f"quantization {raw.quantization!r} contradicts the repo name {raw.name!r}, "
                f"which says it holds {declared}",
                line,
                column,
                f"{where}.quantization",
                "the repo name's -<TYPE>-GGUF suffix and quantization must name the same type",
            )
        )
    if raw.checkpoint_step is not None and f"_{raw.checkpoint_step}" not in (raw.gguf_file or ""):
        line, column = locator.find(f"{where}.checkpoint_step")
        problems.append(
            Problem(
                file,
                f"checkpoint_step {raw.checkpoint_step} is not in the file name {raw.gguf_file!r}",
                line,
                column,
                f"{where}.checkpoint_step",
                "checkpoint_step explains a `_<step>` in gguf_file; set it only for such a file",
            )
        )
    namespace = need("namespace")
    languages = need("languages")
    pipeline_tag = need("pipeline_tag")
    knowledge_cutoff = need("knowledge_cutoff")
    developer = need("developer")
    author = need("author")
    if len(problems) > before or unresolved:
        return None
    assert license_ is not None  # else a problem was added above
    return Variant(
        name=raw.name,
        repo_id=f"{namespace}/{raw.name}",
        display_name=raw.display_name or raw.name,
        kind=raw.kind,
        llama_version=raw.llama_version,
        size=raw.size,
        parameters=raw.parameters or _parameters(raw.size),
        base_model=raw.base_model,
        base_model_variant=None,
        template=pick("template") or f"{raw.kind}.md.j2",
        languages=tuple(languages),
        tags=tags,
        license=license_,
        pipeline_tag=pipeline_tag,
        library_name=pick("library_name"),
        knowledge_cutoff=knowledge_cutoff,
        developer=developer,
        author=author,
        quantization=raw.quantization,
        gguf_file=raw.gguf_file,
        allow_create=bool(pick("allow_create")),
        index=index,
        line=header_line,
        on_drift=pick("on_drift"),
        on_adopt=pick("on_adopt"),
        datasets=tuple(pick("datasets") or ()),
        year=pick("year"),
        file_size=raw.file_size,
        memory_needed=raw.memory_needed,
        checkpoint_step=raw.checkpoint_step,
        files=_companions(below.files, raw.files),
    )


def _companions(
    below: Mapping[str, _FileSource], own: Mapping[str, _FileSource] | None
) -> tuple[CompanionFile, ...]:
    """The files of every layer, the variant's over its kind's over [defaults], path by path."""
    merged = {**below, **own} if own else below
    return tuple(
        CompanionFile(path, source.template, source.copy_)
        for path, source in sorted(merged.items())
    )


_IDENTITY: dict[str, TypeAdapter[str]] = {
    "name": TypeAdapter(RepoPart),
    "namespace": TypeAdapter(RepoPart),
    "kind": TypeAdapter(Kind),
    "base_model": TypeAdapter(RepoId),
    "llama_version": TypeAdapter(LlamaVersion),
    "size": TypeAdapter(Size),
    "license": TypeAdapter(License),
}


def _readable(entry: Mapping[str, Any], key: str) -> str | None:
    """The entry's value for `key` if it is there and valid, else None."""
    if key not in entry:
        return None
    try:
        return _IDENTITY[key].validate_python(entry[key], strict=True)
    except ValidationError:
        return None


def _member_of_broken(
    index: int,
    entry: Mapping[str, Any],
    kinds: Mapping[str, _KindDefaults],
    defaults: _Defaults,
) -> Member:
    name = _readable(entry, "name")
    kind = _readable(entry, "kind")
    # A namespace the entry sets but gets wrong leaves its repo id unknown, not the default's.
    namespace = (
        _readable(entry, "namespace")
        if "namespace" in entry
        else _pick("namespace", kinds.get(kind) if kind else None, defaults)
    )
    version = _readable(entry, "llama_version")
    license_ = _readable(entry, "license") or (defaults.licenses.get(version) if version else None)
    return Member(
        index=index,
        repo_id=f"{namespace}/{name}" if name and namespace else None,
        kind=kind,
        base_model=_readable(entry, "base_model"),
        llama_version=version,
        size=_readable(entry, "size"),
        license=license_,
        quantization="quantization" in entry,
        gguf_file="gguf_file" in entry,
    )


def _member_of(variant: Variant) -> Member:
    return Member(
        index=variant.index,
        repo_id=variant.repo_id,
        kind=variant.kind,
        base_model=variant.base_model,
        llama_version=variant.llama_version,
        size=variant.size,
        license=variant.license,
        quantization=variant.quantization is not None,
        gguf_file=variant.gguf_file is not None,
    )


# The one inheritance rule: a variant whose base_model is a variant of the manifest (its parent)
# takes each of these facts from its parent unless the variant itself or its [kinds.<kind>] table
# sets it; the parent's value stands in the place of [defaults]. A quantisation or a fine-tune is
# the same model, trained on the same data, under the same license. Not inherited: what names or
# describes the repo itself (name, namespace, display_name, size, parameters, template,
# library_name, quantization, gguf_file, file_size, memory_needed, checkpoint_step) and how it is
# published (allow_create, on_drift, on_adopt). `tags` are the parent's tags, then the child's
# extra_tags; `license` is the parent's when the child has its Llama version (a gguf child must).
INHERITED: tuple[str, ...] = (
    "languages",
    "tags",
    "pipeline_tag",
    "knowledge_cutoff",
    "developer",
    "author",
    "license",
    "datasets",
    "year",
)


def _inherit_from_parents(
    variants: list[Variant],
    parents: dict[int, int],
    raws: list[_RawVariant],
    kinds: Mapping[str, _KindDefaults],
    defaults: _Defaults,
) -> list[Variant]:
    """Each child with the facts of INHERITED its parent has, parents first (a chain such as
    base -> sft -> gguf passes a fact down every step)."""
    out = list(variants)
    done: set[int] = set()

    def settle(index: int) -> None:
        if index in done:
            return
        done.add(index)
        parent = parents.get(index)
        if parent is None:
            return
        settle(parent)
        raw, source = raws[index], out[parent]
        layers = (raw, kinds.get(raw.kind))
        changes: dict[str, Any] = {}
        for key in INHERITED:
            if key == "tags":
                own = _pick("tags", *layers)
                extra = [
                    t for layer in (defaults, *layers) if layer for t in layer.extra_tags or ()
                ]
                changes["tags"] = tuple(dict.fromkeys([*(own or source.tags), *extra]))
            elif key == "license":
                if raw.license is None and raw.llama_version == source.llama_version:
                    changes["license"] = source.license
            elif _pick(key, *layers) is None:
                changes[key] = getattr(source, key)
        out[index] = replace(out[index], **changes)

    for index in range(len(out)):
        settle(index)
    return out
