"""Commits through the unmodified client: inline files, parent checks, no-ops, PRs, history."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from huggingface_hub import (
    CommitOperationAdd,
    CommitOperationDelete,
    HfApi,
    hf_hub_download,
)
from huggingface_hub.errors import (
    EntryNotFoundError,
    HfHubHTTPError,
    RepositoryNotFoundError,
    RevisionNotFoundError,
)

from pipeline.localhub import LocalHub
from tests.localhub.localhub_support import CARD, PAGE_SIZE

REPO = "NbAiLab/nb-llama"
STALE = "A commit has happened since. Please refresh and try again."


def add_readme(text: str) -> list[CommitOperationAdd]:
    return [CommitOperationAdd("README.md", text.encode())]


def test_commit_an_inline_readme_with_its_parent(api: HfApi, hub: LocalHub) -> None:
    api.create_repo(REPO)
    head = api.model_info(REPO).sha
    hub.counters.reset()
    info = api.create_commit(REPO, add_readme(CARD), commit_message="Add card", parent_commit=head)
    assert info.oid != head and len(info.oid) == 40
    assert info.commit_url == f"{hub.url}/{REPO}/commit/{info.oid}"
    assert info.pr_url is None
    # validate-yaml (authenticated), preupload, commit: docs/hub-http-api.md §4.11.
    assert hub.counters.snapshot() == {
        ("validate_yaml", "POST"): 1,
        ("preupload", "POST"): 1,
        ("commit", "POST"): 1,
    }
    assert api.model_info(REPO).sha == info.oid
    path = hf_hub_download(REPO, "README.md", endpoint=hub.url)
    assert Path(path).read_text(encoding="utf-8") == CARD
    commit = api.list_repo_commits(REPO)[0]
    assert (commit.commit_id, commit.title, commit.authors) == (
        info.oid,
        "Add card",
        ["local-user"],
    )


def test_a_stale_parent_is_412(api: HfApi, hub: LocalHub) -> None:
    first = hub.seed(REPO, {"README.md": CARD})
    hub.seed(REPO, {"README.md": CARD + "\nMore.\n"})
    with pytest.raises(HfHubHTTPError) as caught:
        api.create_commit(
            REPO, add_readme(CARD + "\nOther.\n"), commit_message="Late", parent_commit=first
        )
    assert caught.value.response.status_code == 412
    assert caught.value.server_message == STALE
    assert len(api.list_repo_commits(REPO)) == 3  # initial + two seeds, nothing more


def test_a_commit_that_changes_nothing_makes_no_commit(api: HfApi, hub: LocalHub) -> None:
    head = hub.seed(REPO, {"README.md": CARD, "a.txt": "a"})
    # The client drops ops whose content matches the preupload oid and sends no commit at all.
    info = api.create_commit(REPO, add_readme(CARD), commit_message="Same")
    assert info.oid == head
    # Sent directly (as another client could), the server makes no commit either.
    repo = hub.store.get_repo(REPO)
    assert repo is not None
    outcome = hub.store.commit(
        repo, "main", [], title="Nothing", description="", author="x", parent=head
    )
    assert (outcome.oid, outcome.created) == (head, False)
    assert len(api.list_repo_commits(REPO)) == 2


def test_delete_a_file_and_a_missing_one(api: HfApi, hub: LocalHub) -> None:
    hub.seed(REPO, {"a.txt": "a", "dir/b.txt": "b", "dir/c.txt": "c"})
    api.create_commit(REPO, [CommitOperationDelete("a.txt")], commit_message="Drop a")
    api.create_commit(REPO, [CommitOperationDelete("dir/")], commit_message="Drop dir")
    assert api.list_repo_files(REPO) == [".gitattributes"]
    with pytest.raises(EntryNotFoundError):
        api.create_commit(REPO, [CommitOperationDelete("a.txt")], commit_message="Again")


def test_create_pr_makes_a_readable_pr_ref(api: HfApi, hub: LocalHub) -> None:
    head = hub.seed(REPO, {"README.md": CARD})
    changed = CARD.replace("A card.", "A better card.")
    info = api.create_commit(
        REPO, add_readme(changed), commit_message="Better card", create_pr=True
    )
    assert info.pr_url == f"{hub.url}/{REPO}/discussions/1"
    assert (info.pr_num, info.pr_revision) == (1, "refs/pr/1")
    assert api.model_info(REPO).sha == head  # main did not move
    path = hf_hub_download(REPO, "README.md", revision="refs/pr/1", endpoint=hub.url)
    assert Path(path).read_text(encoding="utf-8") == changed
    details = api.get_discussion_details(REPO, 1)
    assert details.is_pull_request and details.title == "Better card"
    assert details.target_branch == "refs/heads/main"
    assert details.diff is not None and "+A better card." in details.diff
    assert [e.type for e in details.events] == ["comment", "commit"]
    # A second PR gets the next number; a stale parent does not matter for a PR (no 412).
    again = api.create_commit(
        REPO,
        add_readme(changed + "x\n"),
        commit_message="Other",
        create_pr=True,
        parent_commit=head,
    )
    assert again.pr_num == 2


def test_list_repo_commits_pages_newest_first(api: HfApi, hub: LocalHub) -> None:
    oids = [hub.seed(REPO, {"n.txt": str(i)}, message=f"c{i}") for i in range(2 * PAGE_SIZE + 1)]
    hub.counters.reset()
    commits = api.list_repo_commits(REPO, formatted=True)
    assert [c.commit_id for c in commits][:-1] == oids[::-1]
    assert commits[-1].title == "initial commit"
    assert commits[0].formatted_title == f"c{2 * PAGE_SIZE}"
    assert all(c.created_at.tzinfo is not None for c in commits)
    assert hub.counters.get("list_commits") == 3  # 6 commits, 2 per page


def test_commit_errors_map_to_the_clients_exceptions(api: HfApi, hub: LocalHub) -> None:
    hub.seed(REPO, {})
    with pytest.raises(RepositoryNotFoundError):
        api.upload_file(path_or_fileobj=b"x", path_in_repo="x.txt", repo_id="NbAiLab/missing")
    with pytest.raises(RevisionNotFoundError):
        api.upload_file(path_or_fileobj=b"x", path_in_repo="x.txt", repo_id=REPO, revision="dev")


def test_concurrent_commits_with_one_parent_one_wins(api: HfApi, hub: LocalHub) -> None:
    head = hub.seed(REPO, {"README.md": CARD})
    outcomes: list[str] = []
    lock = threading.Lock()
    start = threading.Barrier(6)

    def attempt(i: int) -> None:
        start.wait()
        try:
            api.create_commit(
                REPO,
                [CommitOperationAdd(f"f{i}.txt", f"{i}".encode())],
                commit_message=f"try {i}",
                parent_commit=head,
            )
            result = "ok"
        except HfHubHTTPError as error:
            result = str(error.response.status_code)
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=attempt, args=(i,)) for i in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["412"] * 5 + ["ok"]
    assert len(api.list_repo_commits(REPO)) == 3
    assert hub.store.check() == []
