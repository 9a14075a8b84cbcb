"""Plain typed records passed between the stages (render -> fetch -> diff -> plan -> publish).

Frozen dataclasses only: no I/O, no huggingface_hub import, so every pure stage can use them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class ManagedFile:
    """A file nb-release keeps in a repo besides README.md (a companion such as NOTICE): its
    path in the repo and its text (UTF-8; a copied file is kept byte for byte), or None where
    the repo has no such file."""

    path: str
    content: str | None


@dataclass(frozen=True)
class RenderedCard:
    """One card as rendered from the manifest and templates."""

    repo_id: str  # "NbAiLab/nb-llama-3.1-8B"
    variant: str  # the manifest's name for the variant (the repo name)
    template: str  # template file name under cards/, e.g. "base.md.j2"
    content: str  # the whole README.md: front matter + body, LF endings, one trailing newline
    allow_create: bool = False  # the manifest allows creating the repo if it does not exist
    # The manifest's policies for this repo, each a pipeline.ownership.Policy (a plain str here:
    # the records import nothing of the stages), or None: the command decides. Carried with the
    # card so a plan from cached renders needs no manifest validation; cache.py checks the words.
    on_drift: str | None = None
    on_adopt: str | None = None
    files: tuple[ManagedFile, ...] = ()  # the companion files, in path order

    def file(self, path: str) -> str | None:
        """The rendered content of a managed path: README.md is the card."""
        if path == "README.md":
            return self.content
        return next((f.content for f in self.files if f.path == path), None)


@dataclass(frozen=True)
class CardFace:
    """What a plan needs of a card it need not compare, kept in the cache's index of a render:
    a repo whose files at its listed head were found to be this very card (SameHead) is
    planned from its face alone, so a warm plan reads no card it does not compare."""

    repo_id: str
    variant: str
    digest: str  # pipeline.hub.cache.card_digest: the README.md and companions as a repo holds them
    on_drift: str | None
    on_adopt: str | None
    files: tuple[str, ...]  # the companion paths


@dataclass(frozen=True)
class SameHead:
    """A repo's head commit whose README.md and companions were found to be the card of
    `digest`, and the compliance rules (rule, message) the repo failed there (None: not noted)."""

    sha: str
    digest: str
    failed: tuple[tuple[str, str], ...] | None


@dataclass(frozen=True)
class LiveCard:
    """What the Hub holds for one repo at the moment it was read."""

    repo_id: str
    exists: bool  # the repo exists
    head_sha: str | None  # the head commit of main (None if the repo does not exist)
    content: str | None  # README.md at head_sha, decoded as UTF-8 (None if there is no README.md)
    files: tuple[ManagedFile, ...] = ()  # each companion file at head_sha (content None: absent)

    def file(self, path: str) -> str | None:
        if path == "README.md":
            return self.content
        return next((f.content for f in self.files if f.path == path), None)


@dataclass(frozen=True)
class CommitRecord:
    """One commit of a repo's history, as the Hub lists it (newest first)."""

    commit_id: str
    created_at: str  # ISO 8601, as the Hub gives it
    authors: tuple[str, ...]
    title: str
    message: str  # the description below the title (where nb-release writes its trailers)


@dataclass(frozen=True)
class OpenPull:
    """nb-release's own pull request on a repo, open for review."""

    number: int
    url: str  # its page on the Hub


@dataclass(frozen=True)
class ListedModel:
    """One repo as the Hub's listing shows what it parsed of its card (`nb-release verify`)."""

    repo_id: str
    sha: str | None
    card_data: dict[str, Any] | None  # the Hub's `cardData`, as huggingface_hub returns it
    tags: tuple[str, ...]  # the Hub's tags: the card's and those it derives
    pipeline_tag: str | None
    library_name: str | None
    siblings: tuple[str, ...] = ()  # the repo's files, when the listing was asked for them


@dataclass(frozen=True)
class LiveItem:
    """A model in a collection on the Hub: its id in the collection, repo id and note."""

    object_id: str
    repo_id: str
    note: str | None


@dataclass(frozen=True)
class LiveCollection:
    """A collection as the Hub holds it, items in order."""

    slug: str
    title: str
    description: str | None
    items: tuple[LiveItem, ...]


@dataclass(frozen=True)
class CollectionItemSpec:
    """One item as the manifest wants it: a model repo id, its variant's name if it is one."""

    repo_id: str
    note: str | None
    variant: str | None = None


@dataclass(frozen=True)
class CollectionSpec:
    """One collection as the manifest wants it, items in order."""

    owner: str
    title: str
    description: str | None
    items: tuple[CollectionItemSpec, ...]
    index: int  # its position among the [[collections]] of models.toml
