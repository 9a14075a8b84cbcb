"""`[[collections]]` of models.toml: the family's Hub collections, validated and resolved.

A collection has an owner (a namespace), a title, a description and its items in order; an item is
a variant of the manifest (`variant = "<name>"`) or another Hub repo (`repo = "<id>"`), each with
an optional note. The Hub's own limits are checked here, before any request: a description of at
most 150 characters and a note of at most 500 (huggingface_hub's create_collection and
add_collection_item say so), and a title of at most 60.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from pipeline.errors import Problem
from pipeline.manifest._fields import RepoId, RepoPart, text_problem
from pipeline.manifest._places import Locator
from pipeline.records import CollectionItemSpec, CollectionSpec

MAX_TITLE = 60
MAX_DESCRIPTION = 150
MAX_NOTE = 500
# The Hub keeps at most 1,000 items in a collection.
MAX_ITEMS = 1000


def _free_text(value: object, limit: int) -> str:
    problem = text_problem(value, limit)
    if problem:
        raise ValueError(problem)
    assert isinstance(value, str)
    return value


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class _RawItem(_Strict):
    variant: RepoPart | None = None
    repo: RepoId | None = None
    note: str | None = None

    @field_validator("note", mode="before")
    @classmethod
    def _note(cls, value: object) -> str:
        return _free_text(value, MAX_NOTE)


class _RawCollection(_Strict):
    owner: RepoPart
    title: str
    description: str | None = None
    items: list[_RawItem] = Field(default_factory=list, max_length=MAX_ITEMS)

    @field_validator("title", mode="before")
    @classmethod
    def _title(cls, value: object) -> str:
        return _free_text(value, MAX_TITLE)

    @field_validator("description", mode="before")
    @classmethod
    def _description(cls, value: object) -> str:
        return _free_text(value, MAX_DESCRIPTION)


# For "did you mean" hints on a mistyped key: a collection's keys, then an item's.
COLLECTION_MODELS: tuple[type[BaseModel], type[BaseModel]] = (_RawCollection, _RawItem)


def raw_collections(
    entries: Sequence[Any], file: str, locator: Locator, problems: list[Problem], report: Any
) -> dict[int, _RawCollection]:
    """Each `[[collections]]` entry validated on its own; problems reported through `report`
    (the manifest's own translation of Pydantic's errors)."""
    raws: dict[int, _RawCollection] = {}
    for index, entry in enumerate(entries):
        try:
            raws[index] = _RawCollection.model_validate(entry)
        except ValidationError as exc:
            problems.extend(report(exc, file, locator, ("collections", index), len(problems)))
    return raws


def resolve_collections(
    raws: dict[int, _RawCollection],
    repo_ids: dict[str, str],
    file: str,
    locator: Locator,
    problems: list[Problem],
) -> tuple[CollectionSpec, ...]:
    """The collections with each item's repo id; an unknown variant, an item that is both or
    neither, and the same repo twice (the Hub refuses a duplicate item, 409) are problems.
    `repo_ids` maps each variant's name to its repo id."""
    specs: list[CollectionSpec] = []
    titles: dict[tuple[str, str], int] = {}
    for index, raw in sorted(raws.items()):
        where = f"collections[{index}]"
        key = (raw.owner.lower(), raw.title.lower())
        if key in titles:
            line, column = locator.find(f"{where}.title")
            problems.append(
                Problem(
                    file,
                    f"{raw.title!r} is also the title of collections[{titles[key]}] of {raw.owner}",
                    line,
                    column,
                    f"{where}.title",
                    "nb-release finds a collection on the Hub by owner and title; "
                    "give each its own title",
                )
            )
        titles.setdefault(key, index)
        items: list[CollectionItemSpec] = []
        seen: dict[str, int] = {}
        for position, item in enumerate(raw.items):
            at = f"{where}.items[{position}]"
            line, column = locator.find(at)
            if (item.variant is None) == (item.repo is None):
                problems.append(
                    Problem(
                        file,
                        "an item names a variant or a repo: exactly one of them",
                        line,
                        column,
                        at,
                        'write { variant = "<name>" } for a variant of this manifest, '
                        'or { repo = "<namespace>/<name>" } for another repo',
                    )
                )
                continue
            if item.variant is not None:
                repo_id = repo_ids.get(item.variant.lower())
                if repo_id is None:
                    problems.append(
                        Problem(
                            file,
                            f"no variant is named {item.variant!r}",
                            *locator.find(f"{at}.variant"),
                            f"{at}.variant",
                            "name a variant of [[models]], or use repo = ... for another repo",
                        )
                    )
                    continue
            else:
                assert item.repo is not None
                repo_id = item.repo
            folded = repo_id.lower()
            if folded in seen:
                problems.append(
                    Problem(
                        file,
                        f"{repo_id} is already item {seen[folded]} of this collection",
                        line,
                        column,
                        at,
                        "the Hub holds an item once per collection; remove one of them",
                    )
                )
                continue
            seen[folded] = position
            items.append(CollectionItemSpec(repo_id, item.note, item.variant))
        specs.append(CollectionSpec(raw.owner, raw.title, raw.description, tuple(items), index))
    return tuple(specs)
