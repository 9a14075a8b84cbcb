"""Errors the local Hub answers with, shaped like the Hub's own.

The client maps errors by the `X-Error-Code` header, not by status (hf_raise_for_status), and on an
`http://` endpoint a 404 without that header is a bare HfHubHTTPError, so every not-found carries
its code. The store raises these too: a commit's parent check must fail inside its transaction.
"""

from __future__ import annotations


class HubProblem(Exception):
    """A 4xx answer: status, message, and the Hub's `X-Error-Code` when it has one."""

    def __init__(
        self,
        status: int,
        message: str,
        code: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code
        self.headers = dict(headers or {})


# The Hub's wording for a bad token; hf_raise_for_status keys on this exact text (rule 5).
INVALID_CREDENTIALS = "Invalid credentials in Authorization header"

# The Hub's 412 text for a stale parentCommit (huggingface_hub tests/test_hf_api.py).
STALE_PARENT = "A commit has happened since. Please refresh and try again."


def bad_request(message: str) -> HubProblem:
    return HubProblem(400, message)


def unauthorized(message: str = INVALID_CREDENTIALS) -> HubProblem:
    return HubProblem(401, message)


def repo_not_found() -> HubProblem:
    # The Hub answers a private repo and a missing one alike, so existence does not leak.
    return HubProblem(404, "Repository not found", code="RepoNotFound")


def revision_not_found(revision: str) -> HubProblem:
    return HubProblem(404, f"Invalid rev id: {revision}", code="RevisionNotFound")


def entry_not_found(path: str, commit: str | None) -> HubProblem:
    # X-Repo-Commit lets hf_hub_download remember the absence under .no_exist/<commit>/.
    headers = {"X-Repo-Commit": commit} if commit else {}
    return HubProblem(404, f"Entry not found: {path}", code="EntryNotFound", headers=headers)


def stale_parent() -> HubProblem:
    return HubProblem(412, STALE_PARENT)
