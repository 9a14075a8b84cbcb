"""Collections: the endpoints huggingface_hub's HfApi calls for them (hf_api.py).

`POST /api/collections` (create; 409 with the slug of the owner's collection of that title),
`GET /api/collections?owner=` (list: at most 4 items each, as on the Hub), `GET|PATCH|DELETE
/api/collections/<owner>/<slug>` (get; metadata; delete), `POST .../items` (add; 409 when the
item is there already), `PATCH|DELETE .../items/<item object id>` (note, position; delete).
The Hub's limits: a title of at most 60 characters, a description of 150, a note of 500.
"""

from __future__ import annotations

from typing import Any

from pipeline.localhub import collection_tables as sql
from pipeline.localhub import problems
from pipeline.localhub.collection_tables import Collection, Item
from pipeline.localhub.views import Context
from pipeline.localhub.wire import Request, Response, json_response

MAX_TITLE, MAX_DESCRIPTION, MAX_NOTE = 60, 150, 500
LISTED_ITEMS = 4


def _item_json(item: Item) -> dict[str, Any]:
    data: dict[str, Any] = {
        "_id": item.object_id,
        "id": item.item_id,
        "type": item.item_type,
        "position": item.position,
        "author": item.item_id.partition("/")[0],
    }
    if item.note:
        data["note"] = {"text": item.note, "html": item.note}
    return data


def collection_json(found: Collection, items: int | None = None) -> dict[str, Any]:
    shown = found.items if items is None else found.items[:items]
    data: dict[str, Any] = {
        "slug": found.slug,
        "title": found.title,
        "owner": {"name": found.owner, "type": "user"},
        "items": [_item_json(item) for item in shown],
        "lastUpdated": found.last_updated,
        "position": found.position,
        "private": found.private,
        "theme": found.theme,
        "upvotes": 0,
        "isUpvotedByUser": False,
        "gating": False,
    }
    if found.description is not None:
        data["description"] = found.description
    return data


def _text(body: dict[str, Any], key: str, limit: int, *, required: bool = False) -> str | None:
    value = body.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str) or (required and not value.strip()):
        raise problems.bad_request(f'"{key}" must be a non-empty string')
    if len(value) > limit:
        raise problems.bad_request(f'"{key}" must be at most {limit} characters, got {len(value)}')
    return value


def _visible(ctx: Context, request: Request, slug: str) -> Collection:
    with ctx.store.read_collections() as db:
        found = sql.get_or_404(db, slug)
    if found.private and request.user is None:
        raise problems.HubProblem(404, "Collection not found")
    return found


def create(ctx: Context, request: Request) -> Response:
    user = request.require_user()
    body = request.json_object()
    title = _text(body, "title", MAX_TITLE, required=True)
    assert title is not None
    description = _text(body, "description", MAX_DESCRIPTION)
    owner = body.get("namespace") or user
    if not isinstance(owner, str):
        raise problems.bad_request('"namespace" must be a string')
    private = body.get("private", False)
    if not isinstance(private, bool):
        raise problems.bad_request('"private" must be true or false')
    with ctx.store.write_collections() as db:
        existing = sql.by_title(db, owner, title)
        if existing is not None:
            return json_response(
                {"error": "You already have a collection with this title", "slug": existing.slug},
                409,
            )
        made = sql.insert(db, owner, title, description, private)
    return json_response(collection_json(made))


def list_all(ctx: Context, request: Request) -> Response:
    owners = request.params("owner")
    with ctx.store.read_collections() as db:
        found = sql.by_owners(db, owners)
    visible = [c for c in found if not c.private or request.user is not None]
    # The listing has no "position": the client numbers the collections itself.
    listed = [collection_json(c, LISTED_ITEMS) for c in visible]
    return json_response([{k: v for k, v in c.items() if k != "position"} for c in listed])


def get(ctx: Context, request: Request, owner: str, name: str) -> Response:
    return json_response(collection_json(_visible(ctx, request, f"{owner}/{name}")))


def update_metadata(ctx: Context, request: Request, owner: str, name: str) -> Response:
    request.require_user()
    body = request.json_object()
    changes: dict[str, object] = {}
    if "title" in body:
        changes["title"] = _text(body, "title", MAX_TITLE, required=True)
    if "description" in body:
        changes["description"] = _text(body, "description", MAX_DESCRIPTION)
    if "private" in body:
        if not isinstance(body["private"], bool):
            raise problems.bad_request('"private" must be true or false')
        changes["private"] = body["private"]
    if "theme" in body:
        if body["theme"] not in sql.THEMES:
            raise problems.bad_request(f'"theme" must be one of {", ".join(sql.THEMES)}')
        changes["theme"] = body["theme"]
    if "position" in body:
        if not isinstance(body["position"], int) or body["position"] < 0:
            raise problems.bad_request('"position" must be a whole number, 0 or more')
        changes["position"] = body["position"]
    with ctx.store.write_collections() as db:
        updated = sql.update_metadata(db, f"{owner}/{name}", changes)
    return json_response({"success": True, "data": collection_json(updated)})


def delete(ctx: Context, request: Request, owner: str, name: str) -> Response:
    request.require_user()
    with ctx.store.write_collections() as db:
        sql.delete(db, f"{owner}/{name}")
    return json_response({})


def add_item(ctx: Context, request: Request, owner: str, name: str) -> Response:
    request.require_user()
    body = request.json_object()
    item = body.get("item")
    if not isinstance(item, dict) or not isinstance(item.get("id"), str):
        raise problems.bad_request('"item" must be an object with an "id" and a "type"')
    if item.get("type") != "model":
        raise problems.bad_request("The local Hub serves model repos only")
    note = _text(body, "note", MAX_NOTE)
    repo = ctx.store.get_repo(item["id"])
    if repo is None or (repo.private and request.user is None):
        raise problems.repo_not_found()
    with ctx.store.write_collections() as db:
        updated = sql.add_item(db, f"{owner}/{name}", "model", repo.repo_id, note)
    return json_response(collection_json(updated))


def update_item(ctx: Context, request: Request, owner: str, name: str, item: str) -> Response:
    request.require_user()
    body = request.json_object()
    note = _text(body, "note", MAX_NOTE) if "note" in body else None
    position = body.get("position")
    if position is not None and (not isinstance(position, int) or position < 0):
        raise problems.bad_request('"position" must be a whole number, 0 or more')
    with ctx.store.write_collections() as db:
        sql.update_item(
            db, f"{owner}/{name}", item, note=note, set_note="note" in body, position=position
        )
    return json_response({"success": True})


def delete_item(ctx: Context, request: Request, owner: str, name: str, item: str) -> Response:
    request.require_user()
    with ctx.store.write_collections() as db:
        sql.delete_item(db, f"{owner}/{name}", item)
    return json_response({})
