"""The private names of huggingface_hub that nb-release reaches, each in one place.

Everything else of the client that nb-release uses is its public API (`HfApi`, `hf_hub_url`,
`get_token`, `is_offline_mode`, and the helpers `huggingface_hub.utils` exports: `get_session`,
`set_client_factory`, `build_hf_headers`, `hf_raise_for_status`, `http_backoff`). The three
reaches below have no public equivalent. Each was read against huggingface_hub 2.4.0 (the
version pyproject.toml allows, `>=2.4,<3`), and each has a test of its own in
tests/test_client_internals.py that fails if an upgrade moves or changes it. No other module
of pipeline/ may import a private name of huggingface_hub (a test greps for one).

1. `huggingface_hub.utils._http.hf_request_event_hook`: the client's own request hook, which
   refuses requests in offline mode and adds a request id. nb-release installs its own HTTP
   client (the public `set_client_factory`) to pace requests and bound answers; the client's
   `default_client_factory` puts this hook on its session, and ours keeps it so the client
   behaves as it would without nb-release. `huggingface_hub.utils` does not export it.
2. `huggingface_hub.utils._pagination.http_backoff`: the client fetches every page of a
   listing (`list_models`, `list_repo_commits`, ...) through `_paginate_pages`, which calls
   the module global `http_backoff("GET", url, ...)` with the client's own backoff (5 retries
   of up to 8 s). nb-release retries under one policy (retry.py), so inside its calls a page
   gets one attempt, and it must see each page's URL before the client sends the token there
   (answers.Listing). The global is replaced by a wrapper; other callers keep the backoff.
3. `CommitOperationAdd._remote_oid` and `._local_oid`: `HfApi.create_commit` drops an addition
   whose remote oid equals its local one ("Skipping upload ... has not changed" in hf_api.py)
   and, when nothing is left, returns the head's commit info without committing. Comparing the
   two is the only way to tell "the card was already there" from a new commit.
4. `HfApi._validate_yaml`: `create_commit` asks the Hub's validate-yaml about every README.md
   it commits, before the upload. nb-release asks the same endpoint about every card before
   its first write (hub/_validating.py), so the client's second ask of the same bytes would
   cost a request per card for an answer already had. `skip_revalidation` wraps the method on
   one HfApi instance: a card the run has had accepted is not asked about again; any other
   content is. The Hub still checks the metadata of every commit it takes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx2
from huggingface_hub import CommitOperationAdd, HfApi
from huggingface_hub.utils import _pagination, http_backoff
from huggingface_hub.utils._http import hf_request_event_hook

PageCheck = Callable[[str], None]
_WRAPPER: Callable[..., httpx2.Response] | None = None  # the wrapper installed last


def client_request_hook(request: httpx2.Request) -> None:
    """The client's own request hook (offline mode, request id), for a session of ours."""
    hf_request_event_hook(request)


def wrap_listing_pages(check: PageCheck, one_attempt: Callable[[], bool]) -> None:
    """Send every page of the client's listings through `check(url)` first (it may raise), and,
    while `one_attempt()` is true, without the client's own retries. Calling it again replaces
    the previous wrapper."""

    def page(*args: Any, **kwargs: Any) -> httpx2.Response:
        if one_attempt():
            kwargs["max_retries"] = 0
        if len(args) >= 2:  # ("GET", url, params=...): the URL as the session will send it
            # (a next link keeps its own query, the cursor; `params` replaces it when given)
            check(str(httpx2.Request(str(args[0]), str(args[1]), params=kwargs.get("params")).url))
        return http_backoff(*args, **kwargs)

    global _WRAPPER
    _WRAPPER = page
    _pagination.http_backoff = page


def listing_pages_wrapped() -> bool:
    """The client's listing pages go through `wrap_listing_pages`' wrapper."""
    return _WRAPPER is not None and _pagination.http_backoff is _WRAPPER


def skip_revalidation(api: HfApi, accepted: Callable[[str], bool]) -> None:
    """Make `api.create_commit` skip its validate-yaml request for a README.md whose content
    `accepted` (the Hub accepted these exact bytes earlier in the run); ask for any other."""
    ask = api._validate_yaml

    def validate(content: str, *args: Any, **kwargs: Any) -> None:
        if not accepted(content):
            ask(content, *args, **kwargs)

    api._validate_yaml = validate  # type: ignore[method-assign]


def already_on_hub(operation: CommitOperationAdd) -> bool:
    """After `create_commit`: the file already held exactly these bytes, so the client made no
    commit for this operation."""
    return operation._remote_oid is not None and operation._remote_oid == operation._local_oid
