"""Downloads through the unmodified client: HEAD metadata, GET, refs/pr/N, commit ids, errors."""

from __future__ import annotations

from pathlib import Path

import pytest
from huggingface_hub import HfApi, get_hf_file_metadata, hf_hub_download, hf_hub_url
from huggingface_hub.errors import (
    EntryNotFoundError,
    HfHubHTTPError,
    RepositoryNotFoundError,
    RevisionNotFoundError,
)
from huggingface_hub.utils import build_hf_headers, get_session, hf_raise_for_status

from pipeline.localhub import LocalHub
from pipeline.localhub.store import blob_oid
from tests.localhub.localhub_support import CARD

REPO = "NbAiLab/nb-llama"


def test_file_metadata_and_download_at_main(hub: LocalHub) -> None:
    sha = hub.seed(REPO, {"README.md": CARD})
    url = hf_hub_url(REPO, "README.md", endpoint=hub.url)
    meta = get_hf_file_metadata(url, token=hub.token)
    assert meta.commit_hash == sha
    assert meta.etag == blob_oid(CARD.encode())
    assert meta.size == len(CARD.encode())
    path = hf_hub_download(REPO, "README.md", endpoint=hub.url, token=hub.token)
    assert Path(path).read_text(encoding="utf-8") == CARD
    hub.counters.reset()
    # Cached with the same ETag: HEAD only (docs/hub-http-api.md §4.4).
    hf_hub_download(REPO, "README.md", endpoint=hub.url, token=hub.token)
    assert hub.counters.snapshot() == {("resolve", "HEAD"): 1}


def test_download_at_a_commit_id_and_at_a_pr_ref(api: HfApi, hub: LocalHub) -> None:
    first = hub.seed(REPO, {"notes.txt": "v1\n"})
    hub.seed(REPO, {"notes.txt": "v2\n"})
    old = hf_hub_download(REPO, "notes.txt", revision=first, endpoint=hub.url)
    assert Path(old).read_text(encoding="utf-8") == "v1\n"
    pr = api.create_pull_request(REPO, title="Try v3")
    assert pr.git_reference == "refs/pr/1"
    api.upload_file(
        path_or_fileobj=b"v3\n", path_in_repo="notes.txt", repo_id=REPO, revision="refs/pr/1"
    )
    url = hf_hub_url(REPO, "notes.txt", revision="refs/pr/1", endpoint=hub.url)
    assert "refs%2Fpr%2F1" in url
    assert get_hf_file_metadata(url).etag == blob_oid(b"v3\n")
    path = hf_hub_download(REPO, "notes.txt", revision="refs/pr/1", endpoint=hub.url)
    assert Path(path).read_text(encoding="utf-8") == "v3\n"
    main = hf_hub_download(REPO, "notes.txt", endpoint=hub.url)
    assert Path(main).read_text(encoding="utf-8") == "v2\n"


def test_single_get_read_with_the_clients_session(hub: LocalHub) -> None:
    sha = hub.seed(REPO, {"README.md": CARD})
    url = hf_hub_url(REPO, "README.md", revision="main", endpoint=hub.url)
    response = get_session().get(url, headers=build_hf_headers(token=hub.token))
    hf_raise_for_status(response)
    assert response.content == CARD.encode()
    assert response.headers["X-Repo-Commit"] == sha
    assert not [name for name in response.headers if name.lower().startswith("x-xet")]


def test_range_requests(hub: LocalHub) -> None:
    hub.seed(REPO, {"data.txt": "0123456789"})
    url = hf_hub_url(REPO, "data.txt", endpoint=hub.url)
    response = get_session().get(url, headers={"Range": "bytes=2-4"})
    assert response.status_code == 206
    assert response.content == b"234"
    assert response.headers["Content-Range"] == "bytes 2-4/10"
    assert get_session().get(url, headers={"Range": "bytes=-3"}).content == b"789"
    assert get_session().get(url, headers={"Range": "bytes=99-"}).status_code == 416


def test_each_kind_of_404(hub: LocalHub) -> None:
    hub.seed(REPO, {"README.md": CARD})
    with pytest.raises(RepositoryNotFoundError):
        hf_hub_download("NbAiLab/missing", "README.md", endpoint=hub.url)
    with pytest.raises(RevisionNotFoundError):
        hf_hub_download(REPO, "README.md", revision="no-such-branch", endpoint=hub.url)
    with pytest.raises(EntryNotFoundError):
        hf_hub_download(REPO, "missing.txt", endpoint=hub.url)
    url = hf_hub_url(REPO, "missing.txt", endpoint=hub.url)
    response = get_session().get(url)
    assert response.headers["X-Error-Code"] == "EntryNotFound"
    assert response.headers["X-Repo-Commit"] == hub.store.head(hub.store.get_repo(REPO))  # type: ignore[arg-type]


def test_private_files_need_a_token(hub: LocalHub) -> None:
    hub.seed("NbAiLab/secret", {"README.md": CARD}, private=True)
    with pytest.raises(RepositoryNotFoundError):
        hf_hub_download("NbAiLab/secret", "README.md", endpoint=hub.url, token=False)
    path = hf_hub_download("NbAiLab/secret", "README.md", endpoint=hub.url, token=hub.token)
    assert Path(path).read_text(encoding="utf-8") == CARD


def test_a_path_with_dot_dot_is_400(hub: LocalHub) -> None:
    hub.seed(REPO, {"README.md": CARD})
    response = get_session().get(f"{hub.url}/{REPO}/resolve/main/a/%2E%2E/README.md")
    assert response.status_code == 400
    with pytest.raises(HfHubHTTPError):
        hf_raise_for_status(response)
