"""Repo administration on the local Hub, through the real client: settings, move, delete."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest
from huggingface_hub import HfApi
from huggingface_hub.errors import HfHubHTTPError, RepositoryNotFoundError

from pipeline.localhub import LocalHub
from pipeline.localhub.store import Store
from tests.localhub.localhub_support import send

REPO = "NbAiLab/admin"


@pytest.fixture
def seeded(hub: LocalHub) -> str:
    return hub.store.seed(REPO, {"README.md": "# one\n"})


def test_making_a_repo_private_hides_it(
    hub: LocalHub, api: HfApi, anon: HfApi, seeded: str
) -> None:
    api.update_repo_settings(REPO, private=True)
    assert api.model_info(REPO).private is True
    with pytest.raises(RepositoryNotFoundError):
        anon.model_info(REPO)
    api.update_repo_settings(REPO, visibility="public")
    assert anon.model_info(REPO).private is False


def test_gating_is_reported_by_model_info(hub: LocalHub, api: HfApi, seeded: str) -> None:
    assert api.model_info(REPO).gated is False
    api.update_repo_settings(REPO, gated="auto")
    assert api.model_info(REPO).gated == "auto"
    api.update_repo_settings(REPO, gated="manual")
    assert api.model_info(REPO).gated == "manual"
    assert next(iter(api.list_models(author="NbAiLab", expand=["gated"]))).gated == "manual"
    api.update_repo_settings(REPO, gated=False)
    assert api.model_info(REPO).gated is False


def test_settings_are_checked(hub: LocalHub, api: HfApi, seeded: str) -> None:
    path = f"/api/models/{REPO}/settings"
    for body in (b'{"gated": "sometimes"}', b'{"visibility": "protected"}', b'{"private": 1}'):
        status, headers, _ = send(hub, "PUT", path, body, {"Content-Type": "application/json"})
        assert status == 400, body
        assert headers["X-Error-Message"]
    with pytest.raises(RepositoryNotFoundError):
        api.update_repo_settings("NbAiLab/missing", private=True)


def test_moving_a_repo_takes_its_history(hub: LocalHub, api: HfApi, seeded: str) -> None:
    api.create_tag(REPO, tag="v1")
    api.move_repo(REPO, "NbAiLab/moved")
    with pytest.raises(RepositoryNotFoundError):
        api.model_info(REPO)
    info = api.model_info("NbAiLab/moved", revision="v1")
    assert info.id == "NbAiLab/moved" and info.sha == seeded
    assert api.list_repo_commits("NbAiLab/moved")[0].commit_id == seeded
    # The old name is free again.
    api.create_repo(REPO)
    assert api.list_repo_files(REPO) == [".gitattributes"]


def test_a_move_onto_another_repo_is_refused(hub: LocalHub, api: HfApi, seeded: str) -> None:
    hub.store.seed("NbAiLab/other", {"x.txt": "x"})
    with pytest.raises(HfHubHTTPError) as caught:
        api.move_repo(REPO, "nbailab/OTHER")
    assert caught.value.response.status_code == 409
    with pytest.raises(RepositoryNotFoundError):
        api.move_repo("NbAiLab/missing", "NbAiLab/somewhere")
    with pytest.raises(HfHubHTTPError) as bad:
        api.move_repo(REPO, "NbAiLab/bad name")
    assert bad.value.response.status_code == 400
    # A new case of the same name is a rename of the repo itself.
    api.move_repo(REPO, "NbAiLab/ADMIN")
    assert api.model_info("NbAiLab/ADMIN").id == "NbAiLab/ADMIN"


def test_deleting_a_repo(hub: LocalHub, api: HfApi, seeded: str) -> None:
    api.create_branch(REPO, branch="dev")
    api.upload_file(path_or_fileobj=b"x", path_in_repo="x", repo_id=REPO, create_pr=True)
    api.delete_repo(REPO)
    with pytest.raises(RepositoryNotFoundError):
        api.model_info(REPO)
    with pytest.raises(RepositoryNotFoundError):
        api.delete_repo(REPO)
    api.delete_repo(REPO, missing_ok=True)
    assert hub.store.check() == []
    # A repo created again under the name starts afresh.
    api.create_repo(REPO)
    assert api.list_repo_files(REPO) == [".gitattributes"]
    assert api.list_repo_refs(REPO, include_pull_requests=True).pull_requests == []


def test_administration_needs_a_token(hub: LocalHub, anon: HfApi, seeded: str) -> None:
    calls: list[Callable[[], object]] = [
        lambda: anon.update_repo_settings(REPO, private=True),
        lambda: anon.move_repo(REPO, "NbAiLab/moved"),
        lambda: anon.delete_repo(REPO),
    ]
    for call in calls:
        with pytest.raises(HfHubHTTPError) as caught:
            call()
        assert caught.value.response.status_code == 401
    assert anon.model_info(REPO).sha == seeded


def test_a_store_made_before_settings_existed_opens(tmp_path: Path) -> None:
    store = Store(tmp_path)
    store.seed(REPO, {"a.txt": "a"})
    with sqlite3.connect(store.path) as db:
        db.execute("DROP TABLE repo_settings")
    store.close()
    again = Store(tmp_path)
    try:
        repo = again.get_repo(REPO)
        assert repo is not None and repo.gated is None
        assert (
            again.update_settings(repo, private=None, gated="auto", set_gated=True).gated == "auto"
        )
    finally:
        again.close()
