"""Collections on the Hub: found by owner and title, read whole, and changed item by item.

Every request goes through the one retry policy (HubCalls). Writes are safe to retry: an item
is added with `exists_ok` (a lost answer's 409 is success), a collection created with
`exists_ok` (the Hub answers 409 with the slug of the owner's collection of that title), and a
move or a note sets a value, which a second attempt sets again.
"""

from __future__ import annotations

from pipeline.hub._calls import HubCalls
from pipeline.records import LiveCollection, LiveItem


def _owner_name(owner: object) -> str:
    # The Hub sends the owner as an object with its name; the client passes it on as it came.
    if isinstance(owner, dict):
        return str(owner.get("name", ""))
    return str(owner)


def read(calls: HubCalls, slug: str) -> LiveCollection:
    doing = f"reading the collection {slug}"
    got = calls.ask(lambda: calls.api.get_collection(slug), doing)
    items = tuple(
        LiveItem(i.item_object_id, i.item_id, i.note or None)
        for i in sorted(got.items, key=lambda i: i.position)
        if i.item_type == "model"
    )
    return LiveCollection(got.slug, got.title, got.description or None, items)


def find(calls: HubCalls, owner: str, title: str) -> LiveCollection | None:
    """The owner's collection of that title, whole (a listing shows 4 items of each: one
    listing, then one read of the collection found)."""
    doing = f"listing the collections of {owner}"
    listed = calls.ask(lambda: list(calls.api.list_collections(owner=owner)), doing)
    for found in listed:
        if found.title == title and _owner_name(found.owner).lower() == owner.lower():
            return read(calls, found.slug)
    return None


def create(calls: HubCalls, owner: str, title: str, description: str | None) -> str:
    made = calls.call(
        lambda: calls.api.create_collection(
            title, namespace=owner, description=description, exists_ok=True
        ),
        f"creating the collection {owner}/{title!r}",
    )
    return made.slug


def add_item(calls: HubCalls, slug: str, repo_id: str, note: str | None) -> None:
    calls.call(
        lambda: calls.api.add_collection_item(slug, repo_id, "model", note=note, exists_ok=True),
        f"adding {repo_id} to the collection {slug}",
    )


def update_item(
    calls: HubCalls, slug: str, object_id: str, *, note: str | None, position: int | None
) -> None:
    calls.call(
        lambda: calls.api.update_collection_item(slug, object_id, note=note, position=position),
        f"updating an item of the collection {slug}",
    )


def delete_item(calls: HubCalls, slug: str, object_id: str) -> None:
    calls.call(
        lambda: calls.api.delete_collection_item(slug, object_id, missing_ok=True),
        f"removing an item of the collection {slug}",
    )


def update_metadata(calls: HubCalls, slug: str, title: str, description: str | None) -> None:
    calls.call(
        lambda: calls.api.update_collection_metadata(slug, title=title, description=description),
        f"updating the title and description of the collection {slug}",
    )


class Collections:
    """A Hub's collections, as `Hub.collections`: each call under the Hub's one retry policy."""

    def __init__(self, calls: HubCalls) -> None:
        self._calls = calls

    def find(self, owner: str, title: str) -> LiveCollection | None:
        """The owner's collection of that title, whole, or None."""
        return find(self._calls, owner, title)

    def read(self, slug: str) -> LiveCollection:
        return read(self._calls, slug)

    def create(self, owner: str, title: str, description: str | None) -> str:
        """The new collection's slug (or the slug of the one of that title, already made)."""
        return create(self._calls, owner, title, description)

    def add_item(self, slug: str, repo_id: str, note: str | None) -> None:
        add_item(self._calls, slug, repo_id, note)

    def update_item(
        self, slug: str, object_id: str, *, note: str | None = None, position: int | None = None
    ) -> None:
        update_item(self._calls, slug, object_id, note=note, position=position)

    def delete_item(self, slug: str, object_id: str) -> None:
        delete_item(self._calls, slug, object_id)

    def update_metadata(self, slug: str, title: str, description: str | None) -> None:
        update_metadata(self._calls, slug, title, description)
