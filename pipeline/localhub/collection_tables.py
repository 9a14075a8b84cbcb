"""The store's SQL for collections: their tables, and the statements that run in one transaction.

A collection is found by the object id at the end of its slug (`owner/title-slug-<id>`), as on
the Hub, where the title part of a slug may be stale after a rename. Its items are numbered
0..n-1 in order after every change, so a position is always an index.
"""

from __future__ import annotations

import re
import secrets
import sqlite3
from dataclasses import dataclass

from pipeline.localhub import problems
from pipeline.localhub.objects import hub_date

SCHEMA = """
CREATE TABLE IF NOT EXISTS collections (
    pk INTEGER PRIMARY KEY,
    object_id TEXT NOT NULL UNIQUE,     -- the last part of the slug
    owner TEXT NOT NULL,
    title TEXT NOT NULL,
    description TEXT,
    private INTEGER NOT NULL,
    theme TEXT NOT NULL,
    position INTEGER NOT NULL,
    last_updated TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS collection_items (
    collection INTEGER NOT NULL REFERENCES collections(pk),
    object_id TEXT NOT NULL,            -- the item's id in the collection (item_object_id)
    item_type TEXT NOT NULL,
    item_id TEXT NOT NULL,              -- the repo id as the repo spells it
    item_key TEXT NOT NULL,             -- lower(item_id): an item is there once, in any case
    position INTEGER NOT NULL,
    note TEXT,
    PRIMARY KEY (collection, object_id),
    UNIQUE (collection, item_type, item_key)
);
"""

THEMES = ("orange", "blue", "green", "purple", "pink", "indigo")


@dataclass(frozen=True)
class Item:
    object_id: str
    item_type: str
    item_id: str
    position: int
    note: str | None


@dataclass(frozen=True)
class Collection:
    pk: int
    object_id: str
    owner: str
    title: str
    description: str | None
    private: bool
    theme: str
    position: int
    last_updated: str
    items: tuple[Item, ...] = ()

    @property
    def slug(self) -> str:
        return f"{self.owner}/{title_slug(self.title)}-{self.object_id}"


def title_slug(title: str) -> str:
    """The title part of a slug: "NB-Llama 3.x" -> "nb-llama-3x"."""
    kept = re.sub(r"[^a-z0-9 -]", "", title.lower())
    return re.sub(r"[ -]+", "-", kept).strip("-") or "collection"


_COLUMNS = "pk, object_id, owner, title, description, private, theme, position, last_updated"


def _collection(db: sqlite3.Connection, row: tuple[object, ...] | None) -> Collection | None:
    if row is None:
        return None
    pk, object_id, owner, title, description, private, theme, position, updated = row
    assert isinstance(pk, int)
    items = tuple(
        Item(*item)
        for item in db.execute(
            "SELECT object_id, item_type, item_id, position, note FROM collection_items"
            " WHERE collection = ? ORDER BY position",
            (pk,),
        )
    )
    return Collection(
        pk,
        str(object_id),
        str(owner),
        str(title),
        description if isinstance(description, str) else None,
        bool(private),
        str(theme),
        int(str(position)),
        str(updated),
        items,
    )


def by_slug(db: sqlite3.Connection, slug: str) -> Collection | None:
    owner, _, rest = slug.partition("/")
    object_id = rest.rpartition("-")[2]
    row = db.execute(
        f"SELECT {_COLUMNS} FROM collections WHERE object_id = ? AND lower(owner) = ?",
        (object_id, owner.lower()),
    ).fetchone()
    return _collection(db, row)


def get_or_404(db: sqlite3.Connection, slug: str) -> Collection:
    found = by_slug(db, slug)
    if found is None:
        raise problems.HubProblem(404, "Collection not found")
    return found


def by_owners(db: sqlite3.Connection, owners: list[str]) -> list[Collection]:
    rows = db.execute(f"SELECT {_COLUMNS} FROM collections ORDER BY position, pk").fetchall()
    keys = {owner.lower() for owner in owners}
    found = [_collection(db, row) for row in rows if not keys or str(row[2]).lower() in keys]
    return [c for c in found if c is not None]


def by_title(db: sqlite3.Connection, owner: str, title: str) -> Collection | None:
    row = db.execute(
        f"SELECT {_COLUMNS} FROM collections WHERE lower(owner) = ? AND title = ?",
        (owner.lower(), title),
    ).fetchone()
    return _collection(db, row)


def insert(
    db: sqlite3.Connection, owner: str, title: str, description: str | None, private: bool
) -> Collection:
    (count,) = db.execute(
        "SELECT count(*) FROM collections WHERE lower(owner) = ?", (owner.lower(),)
    ).fetchone()
    db.execute(
        "INSERT INTO collections (object_id, owner, title, description, private, theme,"
        " position, last_updated) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (
            secrets.token_hex(12),
            owner,
            title,
            description,
            int(private),
            "orange",
            count,
            hub_date(),
        ),
    )
    found = by_title(db, owner, title)
    assert found is not None
    return found


def touch(db: sqlite3.Connection, pk: int) -> None:
    db.execute("UPDATE collections SET last_updated = ? WHERE pk = ?", (hub_date(), pk))


def renumber(db: sqlite3.Connection, pk: int, order: list[str]) -> None:
    """Give the items of collection `pk` the positions of their object ids in `order`."""
    for position, object_id in enumerate(order):
        db.execute(
            "UPDATE collection_items SET position = ? WHERE collection = ? AND object_id = ?",
            (position, pk, object_id),
        )
    touch(db, pk)


def add_item(
    db: sqlite3.Connection, slug: str, item_type: str, item_id: str, note: str | None
) -> Collection:
    """The item at the end; 409 when the collection holds it already (the client's exists_ok)."""
    found = get_or_404(db, slug)
    key = item_id.lower()
    if any(i.item_type == item_type and i.item_id.lower() == key for i in found.items):
        raise problems.HubProblem(409, f"{item_id} is already in the collection")
    db.execute(
        "INSERT INTO collection_items (collection, object_id, item_type, item_id, item_key,"
        " position, note) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (found.pk, secrets.token_hex(12), item_type, item_id, key, len(found.items), note),
    )
    touch(db, found.pk)
    return get_or_404(db, slug)


def _item_or_404(found: Collection, object_id: str) -> Item:
    for item in found.items:
        if item.object_id == object_id:
            return item
    raise problems.HubProblem(404, "Item not found in the collection")


def update_item(
    db: sqlite3.Connection,
    slug: str,
    object_id: str,
    *,
    note: str | None,
    set_note: bool,
    position: int | None,
) -> None:
    found = get_or_404(db, slug)
    _item_or_404(found, object_id)
    if set_note:
        db.execute(
            "UPDATE collection_items SET note = ? WHERE collection = ? AND object_id = ?",
            (note or None, found.pk, object_id),
        )
    order = [i.object_id for i in found.items if i.object_id != object_id]
    if position is not None:
        order.insert(min(max(position, 0), len(order)), object_id)
        renumber(db, found.pk, order)
    touch(db, found.pk)


def delete_item(db: sqlite3.Connection, slug: str, object_id: str) -> None:
    found = get_or_404(db, slug)
    _item_or_404(found, object_id)
    db.execute(
        "DELETE FROM collection_items WHERE collection = ? AND object_id = ?",
        (found.pk, object_id),
    )
    renumber(db, found.pk, [i.object_id for i in found.items if i.object_id != object_id])


def update_metadata(db: sqlite3.Connection, slug: str, changes: dict[str, object]) -> Collection:
    """Set the columns named in `changes` (title, description, private, theme, position)."""
    found = get_or_404(db, slug)
    for column, value in changes.items():
        assert column in ("title", "description", "private", "theme", "position")
        stored = int(value) if isinstance(value, bool) else value
        db.execute(f"UPDATE collections SET {column} = ? WHERE pk = ?", (stored, found.pk))
    touch(db, found.pk)
    return get_or_404(db, found.slug.rpartition("-")[0] + "-" + found.object_id)


def delete(db: sqlite3.Connection, slug: str) -> None:
    found = get_or_404(db, slug)
    db.execute("DELETE FROM collection_items WHERE collection = ?", (found.pk,))
    db.execute("DELETE FROM collections WHERE pk = ?", (found.pk,))
