"""nb-release's own pull requests on a Hub: their URL, and closing one with a comment saying why.

Closing goes through the client's `change_discussion_status` with its `comment` (the Hub keeps
it as the status change's reason), under the one retry policy. A pull request is closed only
when the token's user opened it: someone else's proposal is never touched.
"""

from __future__ import annotations

from dataclasses import dataclass

from pipeline.errors import HubError
from pipeline.hub import _answers as answers
from pipeline.hub._calls import HubCalls

# The statuses of a pull request still open for review: programmatic PRs start as drafts.
OPEN_STATUSES = ("open", "draft")


def pr_url(endpoint: str, repo_id: str, number: int) -> str:
    """The Hub's page of pull request `number` of `repo_id` (the URL the Hub answers a new PR
    with, as `pullRequestUrl` of a commit)."""
    return f"{endpoint.rstrip('/')}/{repo_id}/discussions/{number}"


@dataclass(frozen=True)
class PullState:
    author: str
    status: str
    is_pr: bool


def read_pull(calls: HubCalls, repo_id: str, number: int) -> PullState:
    """Who opened discussion `number` of `repo_id`, its status, and whether it is a PR."""

    def read() -> PullState:
        found = calls.api.get_discussion_details(repo_id, number)
        return PullState(
            answers.as_str(found.author, "author"),
            answers.as_str(found.status, "status"),
            found.is_pull_request is True,
        )

    return calls.ask(read, f"reading pull request #{number} of {repo_id}")


def close_own_pr(calls: HubCalls, repo_id: str, number: int, user: str, reason: str) -> bool:
    """Close pull request `number` of `repo_id` with `reason` as its comment, if `user` opened
    it and it is still open; True when this call closed it."""
    state = read_pull(calls, repo_id, number)
    if not state.is_pr or state.author != user or state.status not in OPEN_STATUSES:
        return False
    doing = f"closing pull request #{number} of {repo_id}"
    try:
        calls.ask(
            lambda: calls.api.change_discussion_status(repo_id, number, "closed", comment=reason),
            doing,
        )
    except HubError:
        # An attempt whose answer was lost may have closed it (the retry is then refused as
        # "already closed"), or the answer was unreadable. Closed is what was asked for; any
        # other failure stands.
        if read_pull(calls, repo_id, number).status != "closed":
            raise
    return True
