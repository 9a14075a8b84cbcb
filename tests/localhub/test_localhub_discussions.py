"""Comments, renaming, closing, reopening and merging of discussions, through huggingface_hub's own
calls (HfApi.comment_discussion, rename_discussion, change_discussion_status,
merge_pull_request), as on the Hub."""

from __future__ import annotations

import json

import pytest
from huggingface_hub import CommitOperationAdd, HfApi
from huggingface_hub.community import (
    DiscussionComment,
    DiscussionStatusChange,
    DiscussionTitleChange,
)
from huggingface_hub.errors import BadRequestError, HfHubHTTPError

from pipeline.localhub import LocalHub
from tests.localhub.localhub_support import CARD, send

REPO = "alice/m1"
PATH = f"/api/models/{REPO}/discussions"


def _open_pr(api: HfApi, path: str = "new.txt", content: bytes = b"new") -> int:
    info = api.create_commit(
        REPO, [CommitOperationAdd(path, content)], commit_message="A change", create_pr=True
    )
    assert info.pr_num is not None
    return info.pr_num


def test_a_comment_is_answered_as_the_client_parses_it_and_shown_in_the_details(
    api: HfApi, hub: LocalHub
) -> None:
    hub.seed(REPO, {"README.md": CARD})
    num = _open_pr(api)
    comment = api.comment_discussion(REPO, num, "Looks good.\n\nOne **more** line.")
    assert isinstance(comment, DiscussionComment)
    assert comment.content == "Looks good.\n\nOne **more** line."
    assert comment.author == "local-user"
    assert len(comment.id) == 24
    events = api.get_discussion_details(REPO, num).events
    assert [event.type for event in events] == ["comment", "commit", "comment"]
    assert events[-1].id == comment.id
    assert api.get_discussion_details(REPO, num).status == "open"


def test_a_rename_is_answered_as_the_client_parses_it_and_kept(api: HfApi, hub: LocalHub) -> None:
    hub.seed(REPO, {"README.md": CARD})
    num = _open_pr(api)
    change = api.rename_discussion(REPO, num, "A better title")
    assert isinstance(change, DiscussionTitleChange)
    assert (change.old_title, change.new_title) == ("A change", "A better title")
    assert change.author == "local-user"
    details = api.get_discussion_details(REPO, num)
    assert details.title == "A better title"
    assert details.events[-1].type == "title-change"
    assert [d.title for d in api.get_repo_discussions(REPO)] == ["A better title"]
    with pytest.raises(BadRequestError, match='"title" must be a non-empty string'):
        api.rename_discussion(REPO, num, "  ")


def test_close_with_a_reason_then_reopen(api: HfApi, hub: LocalHub) -> None:
    hub.seed(REPO, {"README.md": CARD})
    num = _open_pr(api)
    other = _open_pr(api, "other.txt")
    closed = api.change_discussion_status(REPO, num, "closed", comment="  Published to main.  ")
    assert isinstance(closed, DiscussionStatusChange)
    assert closed.new_status == "closed"
    # The Hub keeps the comment of a status change as the event's reason.
    assert closed._event["data"] == {"status": "closed", "reason": "Published to main."}
    details = api.get_discussion_details(REPO, num)
    assert details.status == "closed"
    assert details.events[-1].id == closed.id
    assert [d.num for d in api.get_repo_discussions(REPO, discussion_status="open")] == [other]
    assert [d.num for d in api.get_repo_discussions(REPO, discussion_status="closed")] == [num]

    reopened = api.change_discussion_status(REPO, num, "open")
    assert reopened.new_status == "open"
    assert reopened._event["data"] == {"status": "open"}
    details = api.get_discussion_details(REPO, num)
    assert details.status == "open"
    assert [event.type for event in details.events] == [
        "comment",
        "commit",
        "status-change",
        "status-change",
    ]
    assert {d.num for d in api.get_repo_discussions(REPO, discussion_status="open")} == {
        num,
        other,
    }


def test_a_draft_pull_request_and_a_discussion_close_too(api: HfApi, hub: LocalHub) -> None:
    hub.seed(REPO, {"README.md": CARD})
    draft = api.create_pull_request(REPO, title="Draft")
    question = api.create_discussion(REPO, title="A question")
    api.change_discussion_status(REPO, draft.num, "closed")
    api.change_discussion_status(REPO, question.num, "closed")
    assert api.get_discussion_details(REPO, draft.num).status == "closed"
    assert api.get_discussion_details(REPO, question.num).status == "closed"
    api.change_discussion_status(REPO, draft.num, "open")
    assert api.get_discussion_details(REPO, draft.num).status == "open"


def test_no_change_without_write_access(api: HfApi, anon: HfApi, hub: LocalHub) -> None:
    hub.seed(REPO, {"README.md": CARD})
    num = _open_pr(api)
    wrong = HfApi(endpoint=hub.url, token="hf_not_a_known_token_at_all")
    for client in (anon, wrong):
        with pytest.raises(HfHubHTTPError) as refused:
            client.change_discussion_status(REPO, num, "closed", comment="no")
        assert refused.value.response.status_code == 401
        with pytest.raises(HfHubHTTPError) as refused:
            client.comment_discussion(REPO, num, "no")
        assert refused.value.response.status_code == 401
        with pytest.raises(HfHubHTTPError) as refused:
            client.merge_pull_request(REPO, num)
        assert refused.value.response.status_code == 401
    details = api.get_discussion_details(REPO, num)
    assert details.status == "open"
    assert [event.type for event in details.events] == ["comment", "commit"]


@pytest.mark.parametrize(
    ("resource", "body", "message"),
    [
        ("status", {"status": "merged"}, '"status" must be "open" or "closed", got \'merged\''),
        ("status", {}, '"status" must be "open" or "closed", got None'),
        ("status", {"status": "closed", "comment": 3}, '"comment" must be a non-empty string'),
        ("comment", {"comment": "   "}, '"comment" must be a non-empty string'),
        ("comment", {"text": "hello"}, '"comment" must be a non-empty string'),
        ("comment", ["hello"], "The request body must be a JSON object"),
        ("merge", {"comment": ""}, '"comment" must be a non-empty string'),
    ],
)
def test_a_bad_body_gets_the_hubs_error_shape(
    api: HfApi, hub: LocalHub, resource: str, body: object, message: str
) -> None:
    hub.seed(REPO, {"README.md": CARD})
    num = _open_pr(api)
    status, headers, answer = send(
        hub, "POST", f"{PATH}/{num}/{resource}", json.dumps(body).encode()
    )
    assert status == 400
    assert json.loads(answer) == {"error": message}
    assert headers["X-Error-Message"] == message
    details = api.get_discussion_details(REPO, num)
    assert details.status == "open"
    assert [event.type for event in details.events] == ["comment", "commit"]


def test_unknown_discussions_and_repos_are_not_found(api: HfApi, hub: LocalHub) -> None:
    hub.seed(REPO, {"README.md": CARD})
    status, _, answer = send(hub, "POST", f"{PATH}/9/status", b'{"status": "closed"}')
    assert (status, json.loads(answer)) == (404, {"error": "Discussion 9 not found"})
    status, _, answer = send(hub, "POST", f"{PATH}/x/comment", b'{"comment": "hi"}')
    assert status == 404
    with pytest.raises(HfHubHTTPError, match="Repository Not Found"):
        api.comment_discussion("alice/nothing", 1, "hi")


def test_a_status_already_set_or_a_merged_pr_is_refused(api: HfApi, hub: LocalHub) -> None:
    hub.seed(REPO, {"README.md": CARD})
    num = _open_pr(api)
    with pytest.raises(BadRequestError, match="already open"):
        api.change_discussion_status(REPO, num, "open")
    api.merge_pull_request(REPO, num)
    with pytest.raises(BadRequestError, match="is merged: it cannot be closed"):
        api.change_discussion_status(REPO, num, "closed")
    with pytest.raises(BadRequestError, match="not an open pull request"):
        api.merge_pull_request(REPO, num)


def test_merge_moves_main_to_the_pull_requests_head(api: HfApi, hub: LocalHub) -> None:
    hub.seed(REPO, {"README.md": CARD})
    num = _open_pr(api)
    refs = api.list_repo_refs(REPO, include_pull_requests=True).pull_requests or []
    pr_head = refs[0].target_commit
    api.merge_pull_request(REPO, num, comment="Merging.")
    assert api.model_info(REPO).sha == pr_head
    details = api.get_discussion_details(REPO, num)
    assert details.status == "merged"
    assert [event.type for event in details.events][-2:] == ["comment", "status-change"]
    assert details.events[-1]._event["data"] == {"status": "merged"}
    assert [d.status for d in api.get_repo_discussions(REPO)] == ["merged"]


def test_merge_after_main_moved_applies_the_changes_or_refuses_a_conflict(
    api: HfApi, hub: LocalHub
) -> None:
    hub.seed(REPO, {"README.md": CARD})
    clean = _open_pr(api, "new.txt")
    clashing = _open_pr(api, "README.md", CARD.replace("A card.", "The PR's card.").encode())
    main_card = CARD.replace("A card.", "Main's card.").encode()
    api.upload_file(path_or_fileobj=main_card, path_in_repo="README.md", repo_id=REPO)
    api.merge_pull_request(REPO, clean)
    files = {f.rfilename for f in api.model_info(REPO).siblings or []}
    assert {"new.txt", "README.md"} <= files
    commit = api.list_repo_commits(REPO)[0]
    assert commit.title == "Merge pull request #1: A change"
    head = api.model_info(REPO).sha
    with pytest.raises(HfHubHTTPError) as refused:
        api.merge_pull_request(REPO, clashing)
    assert refused.value.response.status_code == 409
    assert "Merge conflict in README.md" in str(refused.value)
    assert api.model_info(REPO).sha == head
    assert api.get_discussion_details(REPO, clashing).status == "open"
