"""nb-release's own pull requests on the local Hub, through nb-release's Hub client: their URL,
and closing one with a comment, never someone else's, under the one retry policy."""

from __future__ import annotations

import secrets
from typing import Any

import httpx2
import pytest
from huggingface_hub import CommitOperationAdd, HfApi

from pipeline.errors import HubError
from pipeline.hub._retry import RetryPolicy
from pipeline.hub.client import Hub, Target
from pipeline.localhub import FaultConfig
from tests.integration.support import Project

REPO = "NbAiLab/nb-llama-3.2-1B"
TITLE = "Update the model card"
CARD = b"---\nlicense: mit\n---\nA proposed card.\n"
REASON = "The card was published to main in commit abc1234; this pull request is no longer needed."


def _open_pr(api: HfApi, title: str = TITLE) -> int:
    info = api.create_commit(
        REPO, [CommitOperationAdd("README.md", CARD)], commit_message=title, create_pr=True
    )
    assert info.pr_num is not None
    return info.pr_num


def _hub(project: Project) -> Hub:
    return Hub(Target(url=project.hub.url, token=project.hub.token))


def _other_user(project: Project, name: str = "bob") -> HfApi:
    """A client of another user, whose token is added to the running local Hub's token file."""
    token = f"hf_local_{secrets.token_hex(16)}"
    with project.hub.token_file.open("a", encoding="utf-8") as tokens:
        tokens.write(f"{token} {name}\n")
    return HfApi(endpoint=project.hub.url, token=token)


def test_the_url_of_a_pull_request_is_the_hubs_page_of_it(project: Project) -> None:
    hub = _hub(project)
    number = _open_pr(project.api)
    url = hub.pr_url(REPO, number)
    assert url == f"{project.hub.url}/{REPO}/discussions/{number}"
    # The URL the Hub itself answered when the PR was made.
    made = project.api.create_commit(
        REPO, [CommitOperationAdd("x.txt", b"x")], commit_message="x", create_pr=True
    )
    assert made.pr_url == hub.pr_url(REPO, number + 1)


def test_own_pull_request_is_closed_with_the_reason_as_its_comment(project: Project) -> None:
    hub = _hub(project)
    number = _open_pr(project.api)
    assert hub.find_own_pr(REPO, TITLE) == (number, f"refs/pr/{number}")
    assert hub.close_own_pr(REPO, number, REASON) is True
    details = project.api.get_discussion_details(REPO, number)
    assert details.status == "closed"
    last = details.events[-1]
    assert last.type == "status-change"
    assert last._event["data"] == {"status": "closed", "reason": REASON}
    assert last.author == "local-user"
    assert hub.find_own_pr(REPO, TITLE) is None
    assert project.hub.counters.get("discussion_status") == 1


def test_a_pull_request_opened_by_another_user_is_never_touched(project: Project) -> None:
    hub = _hub(project)
    number = _open_pr(_other_user(project))
    assert project.api.get_discussion_details(REPO, number).author == "bob"
    assert hub.close_own_pr(REPO, number, REASON) is False
    details = project.api.get_discussion_details(REPO, number)
    assert details.status == "open"
    assert [event.type for event in details.events] == ["comment", "commit"]
    assert project.hub.counters.get("discussion_status") == 0
    assert project.hub.counters.get("comment_discussion") == 0


def test_a_closed_merged_or_plain_discussion_is_left_as_it_is(project: Project) -> None:
    hub = _hub(project)
    closed = _open_pr(project.api)
    project.api.change_discussion_status(REPO, closed, "closed")
    merged = _open_pr(project.api)
    project.api.merge_pull_request(REPO, merged)
    question = project.api.create_discussion(REPO, title=TITLE).num
    project.hub.counters.reset()
    for number in (closed, merged, question):
        assert hub.close_own_pr(REPO, number, REASON) is False
    assert project.hub.counters.get("discussion_status") == 0
    assert project.api.get_discussion_details(REPO, question).status == "open"
    assert project.api.get_discussion_details(REPO, merged).status == "merged"


def test_a_closed_pull_request_can_be_reopened_and_closed_again(project: Project) -> None:
    hub = _hub(project)
    number = _open_pr(project.api)
    assert hub.close_own_pr(REPO, number, REASON)
    project.api.change_discussion_status(REPO, number, "open")
    assert hub.find_own_pr(REPO, TITLE) == (number, f"refs/pr/{number}")
    assert hub.close_own_pr(REPO, number, "Closed again.")
    events = project.api.get_discussion_details(REPO, number).events
    assert [e._event["data"] for e in events if e.type == "status-change"] == [
        {"status": "closed", "reason": REASON},
        {"status": "open"},
        {"status": "closed", "reason": "Closed again."},
    ]


@pytest.mark.parametrize("kind", ["503", "429", "drop"])
def test_closing_is_retried_under_the_one_policy(project: Project, kind: str) -> None:
    hub = _hub(project)
    number = _open_pr(project.api)
    hub.whoami()
    project.hub.set_faults(
        FaultConfig(route="discussion_status", first_n=1, kinds=(kind,), fault_rate=1.0)
    )
    assert hub.close_own_pr(REPO, number, REASON)
    project.hub.set_faults(None)
    assert project.api.get_discussion_details(REPO, number).status == "closed"
    assert project.hub.counters.get("discussion_status") == 2


def test_a_close_whose_answer_was_lost_is_not_an_error(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first attempt closes the PR but its answer never arrives; the retry is refused as
    "already closed", and the PR is closed as asked."""
    hub = _hub(project)
    number = _open_pr(project.api)
    real = hub.api.change_discussion_status
    attempts: list[int] = []

    def answer_lost(*args: Any, **kwargs: Any) -> Any:
        attempts.append(1)
        result = real(*args, **kwargs)
        if len(attempts) == 1:
            raise httpx2.ReadError("the connection was reset")
        return result

    monkeypatch.setattr(hub.api, "change_discussion_status", answer_lost)
    assert hub.close_own_pr(REPO, number, REASON)
    assert len(attempts) == 2
    events = project.api.get_discussion_details(REPO, number).events
    assert [event.type for event in events].count("status-change") == 1


def test_an_unreadable_answer_to_a_close_that_happened_is_not_an_error(project: Project) -> None:
    hub = _hub(project)
    number = _open_pr(project.api)
    hub.whoami()
    project.hub.set_faults(FaultConfig(route="discussion_status", wrong_shape="html"))
    assert hub.close_own_pr(REPO, number, REASON)
    project.hub.set_faults(None)
    assert project.api.get_discussion_details(REPO, number).status == "closed"


@pytest.mark.parametrize("route", ["discussion", "discussion_status"])
def test_a_failed_close_is_a_located_error(project: Project, route: str) -> None:
    hub = Hub(
        Target(url=project.hub.url, token=project.hub.token),
        policy=RetryPolicy(max_attempts=1),
    )
    number = _open_pr(project.api)
    hub.whoami()
    if route == "discussion":
        project.hub.set_faults(FaultConfig(route=route, wrong_shape="json"))
        doing = f"reading pull request #{number} of {REPO}: the Hub's answer is not the JSON"
    else:
        project.hub.set_faults(FaultConfig(route=route, fault_rate=1.0, kinds=("500",)))
        doing = f"closing pull request #{number} of {REPO}: HTTP 500"
    with pytest.raises(HubError) as caught:
        hub.close_own_pr(REPO, number, REASON)
    assert caught.value.message.startswith(doing)
    project.hub.set_faults(None)
    assert project.api.get_discussion_details(REPO, number).status == "open"
