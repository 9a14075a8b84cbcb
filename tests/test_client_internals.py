"""Each private name of huggingface_hub that pipeline/hub/_client_internals.py reaches, tested
alone: an upgrade of the client that moves or changes one fails here, by name, not in a run."""

from __future__ import annotations

import hashlib
import importlib
import inspect
from typing import Any

import httpx2
import pytest
from huggingface_hub import CommitOperationAdd, HfApi
from huggingface_hub.errors import OfflineModeIsEnabled
from huggingface_hub.utils import http_backoff

import pipeline.hub._calls  # noqa: F401  (installs nb-release's wrapper of the listing pages)
from pipeline.hub import _client_internals as client_internals

HUB = "http://hub.invalid"  # never reached: no test here opens a socket


# --- 1. utils._http.hf_request_event_hook --------------------------------------------------------


def test_the_clients_request_hook_is_where_it_was_and_on_its_own_session() -> None:
    http = importlib.import_module("huggingface_hub.utils._http")
    assert callable(http.hf_request_event_hook)
    # The client's own session carries it: a session of ours must too.
    session = http.default_client_factory()
    try:
        assert http.hf_request_event_hook in session.event_hooks["request"]
    finally:
        session.close()


def test_the_clients_request_hook_refuses_offline_and_names_each_request(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    request = httpx2.Request("GET", f"{HUB}/api/whoami-v2")
    client_internals.client_request_hook(request)
    assert request.headers.get("X-Amzn-Trace-Id")  # the request id the Hub's logs know
    monkeypatch.setattr("huggingface_hub.constants.HF_HUB_OFFLINE", True)
    with pytest.raises(OfflineModeIsEnabled):
        client_internals.client_request_hook(httpx2.Request("GET", f"{HUB}/api/whoami-v2"))


# --- 2. utils._pagination.http_backoff -----------------------------------------------------------


def test_listing_pages_look_the_backoff_up_in_the_pagination_module() -> None:
    pagination = importlib.import_module("huggingface_hub.utils._pagination")
    pages = pagination._paginate_pages
    assert pages.__globals__ is vars(pagination)
    assert "http_backoff" in pages.__code__.co_names  # a global, looked up at each page
    assert client_internals.listing_pages_wrapped()  # nb-release's wrapper is the one there


def test_the_backoff_takes_max_retries() -> None:
    assert inspect.signature(http_backoff).parameters["max_retries"].kind is (
        inspect.Parameter.KEYWORD_ONLY
    )


def test_every_page_of_a_listing_goes_through_the_wrapper(monkeypatch: pytest.MonkeyPatch) -> None:
    sent: list[tuple[str, str, Any]] = []

    def answer(method: str, url: str, **kwargs: Any) -> httpx2.Response:
        sent.append((method, url, kwargs.get("max_retries")))
        more = len(sent) == 1
        return httpx2.Response(
            200,
            json=[{"id": f"NbAiLab/m{len(sent)}", "sha": "a" * 40}],
            headers={"Link": f'<{HUB}/api/models?cursor=2>; rel="next"'} if more else {},
            request=httpx2.Request(method, url),
        )

    pagination = importlib.import_module("huggingface_hub.utils._pagination")
    monkeypatch.setattr(pagination, "http_backoff", pagination.http_backoff)  # restored after
    monkeypatch.setattr(client_internals, "_WRAPPER", client_internals._WRAPPER)
    monkeypatch.setattr(client_internals, "http_backoff", answer)  # in place of the network
    checked: list[str] = []
    client_internals.wrap_listing_pages(checked.append, lambda: True)

    models = HfApi(endpoint=HUB, token=False).list_models(author="NbAiLab")
    assert [m.id for m in models] == ["NbAiLab/m1", "NbAiLab/m2"]
    assert [(method, retries) for method, _, retries in sent] == [("GET", 0), ("GET", 0)]
    assert checked[0].startswith(f"{HUB}/api/models?") and "author=NbAiLab" in checked[0]
    assert checked[1] == f"{HUB}/api/models?cursor=2"  # the next link, checked before it is sent


# --- 3. CommitOperationAdd._remote_oid and ._local_oid -------------------------------------------


def _blob_id(data: bytes) -> str:
    """Git's blob id: what the Hub's preupload answer names as a file's oid."""
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def test_an_addition_knows_no_remote_oid_before_the_client_asks_the_hub() -> None:
    operation = CommitOperationAdd(path_in_repo="README.md", path_or_fileobj=b"hi\n")
    assert operation._remote_oid is None
    assert not client_internals.already_on_hub(operation)


@pytest.mark.parametrize(("remote", "already"), [(b"hi\n", True), (b"other\n", False)])
def test_the_local_oid_of_a_regular_file_is_its_git_blob_id(remote: bytes, already: bool) -> None:
    operation = CommitOperationAdd(path_in_repo="README.md", path_or_fileobj=b"hi\n")
    # What the client's preupload step (_commit_api._fetch_upload_modes) sets from the answer.
    operation._upload_mode = "regular"
    operation._remote_oid = _blob_id(remote)
    assert operation._local_oid == _blob_id(b"hi\n")
    assert client_internals.already_on_hub(operation) is already


# --- 4. HfApi._validate_yaml ---------------------------------------------------------------------


def test_create_commit_asks_validate_yaml_through_the_instances_method() -> None:
    source = inspect.getsource(HfApi.create_commit)
    assert "self._validate_yaml(content, repo_type=repo_type, token=token)" in source
    params = list(inspect.signature(HfApi._validate_yaml).parameters)
    assert params[:2] == ["self", "content"]


def test_skip_revalidation_asks_only_about_cards_not_accepted(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    asked: list[str] = []
    monkeypatch.setattr(
        HfApi, "_validate_yaml", lambda self, content, **kwargs: asked.append(content)
    )
    api = HfApi(endpoint=HUB, token=False)
    client_internals.skip_revalidation(api, {"accepted card"}.__contains__)
    api._validate_yaml("accepted card", repo_type="model", token=None)
    api._validate_yaml("another card", repo_type="model", token=None)
    assert asked == ["another card"]
    # Other instances keep the client's own check.
    HfApi(endpoint=HUB, token=False)._validate_yaml("accepted card", repo_type="model")
    assert asked == ["another card", "accepted card"]
