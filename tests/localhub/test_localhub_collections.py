"""Collections on the local Hub, through the real client: create, list, get, items, metadata."""

from __future__ import annotations

import pytest
from huggingface_hub import HfApi
from huggingface_hub.errors import HfHubHTTPError

from pipeline.localhub import LocalHub

REPOS = ("NbAiLab/one", "NbAiLab/two", "NbAiLab/three")


@pytest.fixture
def seeded(hub: LocalHub) -> None:
    for repo in REPOS:
        hub.store.seed(repo, {"README.md": f"# {repo}\n"})


def _ids(api: HfApi, slug: str) -> list[str]:
    return [item.item_id for item in api.get_collection(slug).items]


def test_a_collection_is_made_found_and_filled_in_order(
    hub: LocalHub, api: HfApi, seeded: None
) -> None:
    made = api.create_collection("NB-Llama 3.x", namespace="NbAiLab", description="The family.")
    assert made.slug.startswith("NbAiLab/nb-llama-3x-")
    # The Hub sends the owner as an object; the client passes it on as it came.
    owner: object = made.owner
    assert owner == {"name": "NbAiLab", "type": "user"}
    for repo in REPOS:
        api.add_collection_item(made.slug, repo, "model", note=f"note of {repo}")
    got = api.get_collection(made.slug)
    assert [i.item_id for i in got.items] == list(REPOS)
    assert [i.position for i in got.items] == [0, 1, 2]
    assert got.items[1].note == "note of NbAiLab/two"
    assert got.description == "The family."
    listed = list(api.list_collections(owner="NbAiLab"))
    assert [c.slug for c in listed] == [made.slug]
    assert list(api.list_collections(owner="someone-else")) == []


def test_the_same_title_twice_is_409_and_exists_ok_returns_the_first(
    api: HfApi, seeded: None
) -> None:
    made = api.create_collection("Family", namespace="NbAiLab")
    with pytest.raises(HfHubHTTPError) as caught:
        api.create_collection("Family", namespace="NbAiLab")
    assert caught.value.response.status_code == 409
    assert api.create_collection("Family", namespace="NbAiLab", exists_ok=True).slug == made.slug


def test_a_duplicate_item_is_409_unless_exists_ok(api: HfApi, seeded: None) -> None:
    slug = api.create_collection("Family", namespace="NbAiLab").slug
    api.add_collection_item(slug, "NbAiLab/one", "model")
    with pytest.raises(HfHubHTTPError) as caught:
        api.add_collection_item(slug, "nbailab/ONE", "model")
    assert caught.value.response.status_code == 409
    api.add_collection_item(slug, "NbAiLab/one", "model", exists_ok=True)
    assert _ids(api, slug) == ["NbAiLab/one"]


def test_items_move_change_notes_and_go(api: HfApi, seeded: None) -> None:
    slug = api.create_collection("Family", namespace="NbAiLab").slug
    for repo in REPOS:
        api.add_collection_item(slug, repo, "model")
    last = api.get_collection(slug).items[2]
    api.update_collection_item(slug, last.item_object_id, position=0, note="first now")
    assert _ids(api, slug) == ["NbAiLab/three", "NbAiLab/one", "NbAiLab/two"]
    assert api.get_collection(slug).items[0].note == "first now"
    api.delete_collection_item(slug, last.item_object_id)
    got = api.get_collection(slug)
    assert [(i.item_id, i.position) for i in got.items] == [("NbAiLab/one", 0), ("NbAiLab/two", 1)]
    with pytest.raises(HfHubHTTPError):
        api.delete_collection_item(slug, last.item_object_id)
    api.delete_collection_item(slug, last.item_object_id, missing_ok=True)


def test_metadata_is_updated_and_the_collection_deleted(api: HfApi, seeded: None) -> None:
    slug = api.create_collection("Family", namespace="NbAiLab").slug
    updated = api.update_collection_metadata(
        slug, title="Family two", description="New words.", theme="green", private=True
    )
    assert (updated.title, updated.description, updated.theme, updated.private) == (
        "Family two",
        "New words.",
        "green",
        True,
    )
    assert updated.slug.startswith("NbAiLab/family-two-")
    api.delete_collection(updated.slug)
    with pytest.raises(HfHubHTTPError) as caught:
        api.get_collection(updated.slug)
    assert caught.value.response.status_code == 404
    api.delete_collection(updated.slug, missing_ok=True)


def test_the_hubs_limits_are_400(api: HfApi, seeded: None) -> None:
    with pytest.raises(HfHubHTTPError) as caught:
        api.create_collection("Family", namespace="NbAiLab", description="x" * 151)
    assert caught.value.response.status_code == 400
    slug = api.create_collection("Family", namespace="NbAiLab", description="x" * 150).slug
    with pytest.raises(HfHubHTTPError) as caught:
        api.add_collection_item(slug, "NbAiLab/one", "model", note="n" * 501)
    assert caught.value.response.status_code == 400
    api.add_collection_item(slug, "NbAiLab/one", "model", note="n" * 500)
    with pytest.raises(HfHubHTTPError) as caught:
        api.add_collection_item(slug, "NbAiLab/missing", "model")
    assert caught.value.response.status_code == 404


def test_writes_need_a_token_and_a_private_collection_is_hidden(
    api: HfApi, anon: HfApi, seeded: None
) -> None:
    slug = api.create_collection("Family", namespace="NbAiLab", private=True).slug
    with pytest.raises(HfHubHTTPError) as caught:
        anon.add_collection_item(slug, "NbAiLab/one", "model")
    assert caught.value.response.status_code == 401
    with pytest.raises(HfHubHTTPError):
        anon.get_collection(slug)
    assert list(anon.list_collections(owner="NbAiLab")) == []


def test_a_listing_shows_four_items_at_most(api: HfApi, hub: LocalHub) -> None:
    slug = api.create_collection("Many", namespace="NbAiLab").slug
    for n in range(6):
        hub.store.seed(f"NbAiLab/m{n}", {"README.md": "# m\n"})
        api.add_collection_item(slug, f"NbAiLab/m{n}", "model")
    (listed,) = api.list_collections(owner="NbAiLab")
    assert len(listed.items) == 4
    assert len(api.get_collection(slug).items) == 6
