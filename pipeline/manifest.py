"""models.toml -> a validated, frozen Manifest.

Pydantic validates at this edge only (strict, `extra="forbid"`); past it, stages get the plain
frozen `Variant` and `Manifest` dataclasses. Every problem in the file is collected and reported
together in one ManifestError, each with file, line, column, key path, expectation and a hint.

Resolution of a variant's values: the variant's own key, else `[kinds.<kind>]`, else `[defaults]`.
"""

from __future__ import annotations

import difflib
import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal, TypeVar, get_args

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from pipeline import hubrules
from pipeline.errors import ManifestError, Problem
from pipeline.fieldtypes import (
    SIZE_FORM,
    Language,
    License,
    LlamaVersion,
    PipelineTag,
    RepoId,
    RepoPart,
    Size,
    Tag,
    TemplateName,
    Text,
    Url,
)
from pipeline.tomlplaces import Locator, key_path

Kind = Literal["base", "sft", "instruct", "notram", "gguf"]
# What nb-release does with a card someone else changed (on_drift) or wrote (on_adopt).
Policy = Literal["skip", "pr", "overwrite"]
KINDS: tuple[str, ...] = get_args(Kind)

# --- the file's shape (Pydantic, at the edge) -------------------------------------------------


_M = TypeVar("_M", bound=BaseModel)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class _Overridable(_Strict):
    """Keys that a variant, a `[kinds.X]` table and `[defaults]` may all set."""

    namespace: RepoPart | None = None
    languages: list[Language] | None = Field(default=None, min_length=1)
    tags: list[Tag] | None = None
    extra_tags: list[Tag] | None = None
    pipeline_tag: PipelineTag | None = None
    library_name: Tag | None = None
    knowledge_cutoff: Text | None = None
    developer: Text | None = None
    author: Text | None = None
    template: TemplateName | None = None
    allow_create: bool | None = None
    on_drift: Policy | None = None
    on_adopt: Policy | None = None


class _Defaults(_Overridable):
    licenses: dict[LlamaVersion, License] = Field(default_factory=dict)
    links: dict[str, Url] = Field(default_factory=dict)


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
    quantization: Text | None = None
    gguf_file: Text | None = None


class _File(_Strict):
    defaults: dict[str, Any]
    kinds: dict[Kind, dict[str, Any]] = Field(default_factory=dict)
    # Each entry is validated on its own (see load_manifest), so that one bad variant does
    # not hide the family checks of the others.
    models: list[dict[str, Any]] = Field(min_length=1)


# --- the result (plain, frozen) ---------------------------------------------------------------


@dataclass(frozen=True)
class Variant:
    """One model repo, with every default resolved."""

    name: str
    repo_id: str
    display_name: str
    kind: str
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
    on_drift: str | None = None  # "skip" | "pr" | "overwrite", or None: the command decides
    on_adopt: str | None = None

    @property
    def namespace(self) -> str:
        return self.repo_id.split("/", 1)[0]


@dataclass(frozen=True)
class Manifest:
    path: Path
    variants: tuple[Variant, ...]
    links: Mapping[str, str]

    def by_repo_id(self, repo_id: str) -> Variant | None:
        wanted = repo_id.lower()
        return next((v for v in self.variants if v.repo_id.lower() == wanted), None)


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
    if head == "kinds" and len(loc) == 2:
        return _KindDefaults
    if head == "models" and len(loc) == 2:
        return _RawVariant
    return None


def _problems_from_validation(
    error: ValidationError, file: str, locator: Locator, prefix: Sequence[int | str] = ()
) -> list[Problem]:
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
            if owner is not None:
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
        elif kind == "literal_error" and loc and loc[-1] == "kind":
            message = f"expected one of {', '.join(KINDS)}, got {item.get('input')!r}"
        elif kind == "literal_error" and loc and loc[-1] in ("on_drift", "on_adopt"):
            message = f"expected one of skip, pr, overwrite, got {item.get('input')!r}"
        elif kind.endswith("_type"):
            message = f"{message}, got {_describe(item.get('input'))}"
        problems.append(Problem(file, message, line, column, path, hint))
    return problems


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
    match = SIZE_FORM.match(size)
    assert match  # the size type already guaranteed this form
    number, unit = match.groups()
    return f"{number} {'billion' if unit == 'B' else 'million'}"


def _pick(name: str, *layers: _Overridable | None) -> Any:
    for layer in layers:
        if layer is not None:
            value = getattr(layer, name, None)
            if value is not None:
                return value
    return None


def load_manifest(path: Path) -> Manifest:
    """Read and validate models.toml; raise ManifestError listing every problem."""
    file = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ManifestError("cannot read the manifest", [Problem(file, "no such file")]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ManifestError("cannot read the manifest", [Problem(file, str(exc))]) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ManifestError("models.toml is not valid TOML", [_toml_problem(file, exc)]) from None

    locator = Locator(text)
    problems: list[Problem] = []

    def check(model: type[_M], value: Any, prefix: tuple[int | str, ...]) -> _M | None:
        try:
            return model.model_validate(value)
        except ValidationError as exc:
            problems.extend(_problems_from_validation(exc, file, locator, prefix))
            return None

    # Each section, and each variant, is validated on its own so that one mistake does not
    # hide the others (every problem in one run).
    shape = check(_File, data, ())
    if shape is None:
        raise ManifestError("the manifest is invalid", problems)
    defaults = check(_Defaults, shape.defaults, ("defaults",))
    kinds: dict[str, _KindDefaults] = {}
    for kind, table in shape.kinds.items():
        checked = check(_KindDefaults, table, ("kinds", kind))
        if checked is not None:
            kinds[kind] = checked
    raws: list[tuple[int, _RawVariant]] = []
    for index, entry in enumerate(shape.models):
        raw = check(_RawVariant, entry, ("models", index))
        if raw is not None:
            raws.append((index, raw))
    if defaults is None:
        raise ManifestError("the manifest is invalid", problems)

    variants = [
        _resolve(index, raw, kinds.get(raw.kind), defaults, file, locator, problems)
        for index, raw in raws
    ]
    family_problems, parents = _family_problems(variants, file, locator)
    problems.extend(family_problems)
    if problems:
        raise ManifestError("the manifest is invalid", problems)
    variants = [
        replace(v, base_model_variant=variants[parents[i]].name) if i in parents else v
        for i, v in enumerate(variants)
    ]
    return Manifest(path=path, variants=tuple(variants), links=dict(defaults.links))


_TOML_PLACE = re.compile(r"\s*\(at line (\d+), column (\d+)\)$")


def _toml_problem(file: str, exc: tomllib.TOMLDecodeError) -> Problem:
    # Python 3.11's tomllib puts the place only in the message: "... (at line 3, column 7)".
    message = str(exc)
    place = _TOML_PLACE.search(message)
    if place is None:
        return Problem(file, f"TOML syntax error: {message}")
    line, column = int(place.group(1)), int(place.group(2))
    return Problem(file, f"TOML syntax error: {message[: place.start()]}", line, column)


def _resolve(
    index: int,
    raw: _RawVariant,
    kind_defaults: _KindDefaults | None,
    defaults: _Defaults,
    file: str,
    locator: Locator,
    problems: list[Problem],
) -> Variant:
    """One variant with every value resolved: the variant, then [kinds.<kind>], then [defaults]."""
    where = f"models[{index}]"
    layers = (raw, kind_defaults, defaults)

    def need(name: str) -> Any:
        value = _pick(name, *layers)
        if value is None:
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
    if license_ is None:
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
    extra: list[str] = []
    for layer in (defaults, kind_defaults, raw):
        if layer is not None and layer.extra_tags:
            extra.extend(layer.extra_tags)
    tags = tuple(dict.fromkeys([*(_pick("tags", *layers) or ()), *extra]))
    if not tags:
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
    namespace = need("namespace") or "?"
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
        template=_pick("template", *layers) or f"{raw.kind}.md.j2",
        languages=tuple(need("languages") or ()),
        tags=tags,
        license=license_ or "?",
        pipeline_tag=need("pipeline_tag") or "?",
        library_name=_pick("library_name", *layers),
        knowledge_cutoff=need("knowledge_cutoff") or "?",
        developer=need("developer") or "?",
        author=need("author") or "?",
        quantization=raw.quantization,
        gguf_file=raw.gguf_file,
        allow_create=bool(_pick("allow_create", *layers)),
        index=index,
        line=locator.find(where)[0],
        on_drift=_pick("on_drift", *layers),
        on_adopt=_pick("on_adopt", *layers),
    )


def _family_problems(
    variants: list[Variant], file: str, locator: Locator
) -> tuple[list[Problem], dict[int, int]]:
    """Checks across the family: unique ids, bases that exist, no cycles, licenses, quantised."""
    problems: list[Problem] = []

    def add(position: int, key: str, message: str, hint: str | None = None) -> None:
        path = f"models[{variants[position].index}].{key}"
        line, column = locator.find(path)
        problems.append(Problem(file, message, line, column, path, hint))

    seen: dict[str, int] = {}
    for index, variant in enumerate(variants):
        folded = variant.repo_id.lower()
        if folded in seen:
            first = variants[seen[folded]]
            same = "the same repo id" if first.repo_id == variant.repo_id else "a repo id"
            add(
                index,
                "name",
                f"{variant.repo_id!r} is {same} as models[{first.index}] ({first.repo_id!r})"
                + ("" if first.repo_id == variant.repo_id else " but for case"),
                "the Hub ignores case in repo ids; give each variant its own name",
            )
        else:
            seen[folded] = index

    namespaces = {v.namespace.lower() for v in variants}
    index_of = {v.repo_id.lower(): i for i, v in enumerate(variants)}
    parents: dict[int, int] = {}
    for index, variant in enumerate(variants):
        base = variant.base_model
        target = index_of.get(base.lower())
        if target is not None:
            if variants[target].repo_id != base:
                add(
                    index,
                    "base_model",
                    f"base model {base!r} differs in case from the variant "
                    f"{variants[target].repo_id!r}",
                    f"write {variants[target].repo_id!r}",
                )
            parents[index] = target
        elif base.split("/", 1)[0].lower() in namespaces:
            others = [v.repo_id for v in variants if v is not variant]
            near = difflib.get_close_matches(base, others, n=1)
            add(
                index,
                "base_model",
                f"base model {base!r} is in the family's namespace but is not a variant "
                "of the manifest",
                f"did you mean {near[0]!r}?" if near else "add that variant, or fix the id",
            )
        expected = hubrules.LLAMA_LICENSES.get(variant.llama_version)
        if expected is not None and variant.license not in ("?", expected):
            add(
                index,
                "license",
                f"license {variant.license!r} does not match Llama {variant.llama_version}",
                f"Llama {variant.llama_version} is released under {expected!r}",
            )
        if variant.kind == "gguf":
            if index not in parents:
                add(
                    index,
                    "base_model",
                    "a quantised (gguf) variant must name its parent variant of the manifest "
                    f"as base_model, got {base!r}",
                )
            for key in ("quantization", "gguf_file"):
                if getattr(variant, key) is None:
                    add(index, key, f"a gguf variant needs {key!r}")
        elif variant.quantization or variant.gguf_file:
            add(index, "quantization", "only gguf variants take quantization and gguf_file")

    # Cycles through base_model (a variant that is, through its bases, its own base).
    reported: set[int] = set()
    for start in parents:
        chain = [start]
        node = parents.get(start)
        while node is not None and node not in chain:
            chain.append(node)
            node = parents.get(node)
        if node is not None and node == start and not reported.intersection(chain):
            reported.update(chain)
            names = " -> ".join(variants[i].repo_id for i in [*chain, start])
            add(start, "base_model", f"base models form a cycle: {names}")

    for index, parent in parents.items():
        child, source = variants[index], variants[parent]
        if child.kind == "gguf" and index not in reported:
            for key in ("llama_version", "size"):
                if getattr(child, key) != getattr(source, key):
                    add(
                        index,
                        key,
                        f"{key} {getattr(child, key)!r} differs from its parent "
                        f"{source.repo_id!r} ({getattr(source, key)!r})",
                        "a quantisation has the Llama version and size of the model it quantises",
                    )
    return problems, parents
