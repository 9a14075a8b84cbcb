"""Git refs on the local Hub, through the real client: branches, tags, revisions, commit counts."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from huggingface_hub import HfApi, hf_hub_download
from huggingface_hub.errors import HfHubHTTPError, RevisionNotFoundError

from pipeline.localhub import LocalHub
from tests.localhub.localhub_support import send

REPO = "NbAiLab/refs"


@pytest.fixture
def seeded(hub: LocalHub) -> str:
    """REPO with a README on main; the head of main."""
    return hub.store.seed(REPO, {"a.txt": "# one\n"})


def _read(api: HfApi, revision: str, hub: LocalHub) -> str:
    path = hf_hub_download(REPO, "a.txt", revision=revision, endpoint=hub.url, token=hub.token)
    return Path(path).read_text(encoding="utf-8")


def test_head_names_the_default_branch(hub: LocalHub, api: HfApi, seeded: str) -> None:
    status, _, body = send(hub, "GET", f"/api/models/{REPO}/revision/HEAD", token=False)
    assert status == 200
    assert json.loads(body)["sha"] == seeded
    assert api.model_info(REPO, revision="HEAD").sha == seeded


def test_a_revision_may_be_a_branch_tag_pull_request_or_commit(
    hub: LocalHub, api: HfApi, seeded: str
) -> None:
    api.create_tag(REPO, tag="v1")
    pr = api.upload_file(
        path_or_fileobj=b"# pr\n", path_in_repo="a.txt", repo_id=REPO, create_pr=True
    )
    assert api.model_info(REPO, revision="main").sha == seeded
    assert api.model_info(REPO, revision="v1").sha == seeded
    assert api.model_info(REPO, revision="refs/tags/v1").sha == seeded
    assert api.model_info(REPO, revision=seeded).sha == seeded
    assert api.model_info(REPO, revision=seeded[:12]).sha == seeded
    assert api.model_info(REPO, revision=pr.pr_revision).sha == pr.oid
    with pytest.raises(RevisionNotFoundError):
        api.model_info(REPO, revision="v2")


def test_commits_listing_honours_limit_and_counts_every_commit(
    hub: LocalHub, api: HfApi, seeded: str
) -> None:
    for n in range(3):
        api.upload_file(path_or_fileobj=f"{n}".encode(), path_in_repo="f.txt", repo_id=REPO)
    status, headers, body = send(hub, "GET", f"/api/models/{REPO}/commits/main?limit=1")
    assert status == 200
    assert len(json.loads(body)) == 1
    assert headers["X-Total-Count"] == "5"  # initial commit, seed, three uploads
    assert "limit=1" in headers["Link"] and "p=1" in headers["Link"]
    # The Link pages still lead through every commit.
    assert len(api.list_repo_commits(REPO)) == 5
    status, _, body = send(hub, "GET", f"/api/models/{REPO}/commits/main?limit=none")
    assert status == 400


def test_a_branch_takes_commits_of_its_own(hub: LocalHub, api: HfApi, seeded: str) -> None:
    api.create_branch(REPO, branch="dev")
    info = api.upload_file(
        path_or_fileobj=b"# dev\n", path_in_repo="a.txt", repo_id=REPO, revision="dev"
    )
    assert _read(api, "dev", hub) == "# dev\n"
    assert _read(api, "main", hub) == "# one\n"
    refs = api.list_repo_refs(REPO)
    branches = {ref.name: (ref.ref, ref.target_commit) for ref in refs.branches}
    assert branches == {"main": ("refs/heads/main", seeded), "dev": ("refs/heads/dev", info.oid)}
    assert refs.tags == [] and refs.converts == [] and refs.pull_requests is None
    assert [c.commit_id for c in api.list_repo_commits(REPO, revision="dev")][:2] == [
        info.oid,
        seeded,
    ]


def test_a_branch_starts_where_it_is_told(hub: LocalHub, api: HfApi, seeded: str) -> None:
    first = api.list_repo_commits(REPO)[-1].commit_id
    api.create_branch(REPO, branch="empty", revision=first)
    assert api.model_info(REPO, revision="empty").sha == first
    with pytest.raises(RevisionNotFoundError):
        api.create_branch(REPO, branch="other", revision="no-such-branch")


def test_an_existing_branch_is_a_conflict(hub: LocalHub, api: HfApi, seeded: str) -> None:
    api.create_branch(REPO, branch="dev")
    with pytest.raises(HfHubHTTPError) as caught:
        api.create_branch(REPO, branch="dev")
    assert caught.value.response.status_code == 409
    assert "dev" in caught.value.response.headers["X-Error-Message"]
    api.create_branch(REPO, branch="dev", exist_ok=True)
    with pytest.raises(HfHubHTTPError) as main:
        api.create_branch(REPO, branch="main")
    assert main.value.response.status_code == 409


def test_bad_branch_names_are_refused(hub: LocalHub, api: HfApi, seeded: str) -> None:
    for name in ("refs/pr/1", "a..b", "HEAD", "-x", "x.lock", "a b", seeded):
        with pytest.raises(HfHubHTTPError) as caught:
            api.create_branch(REPO, branch=name)
        assert caught.value.response.status_code == 400, name


def test_deleting_a_branch(hub: LocalHub, api: HfApi, seeded: str) -> None:
    api.create_branch(REPO, branch="dev")
    api.delete_branch(REPO, branch="dev")
    assert [ref.name for ref in api.list_repo_refs(REPO).branches] == ["main"]
    with pytest.raises(RevisionNotFoundError):
        api.delete_branch(REPO, branch="dev")
    with pytest.raises(HfHubHTTPError) as caught:
        api.delete_branch(REPO, branch="main")
    assert caught.value.response.status_code == 403
    assert hub.store.check() == []


def test_a_tag_names_a_commit_for_good(hub: LocalHub, api: HfApi, seeded: str) -> None:
    api.create_tag(REPO, tag="v1.0", tag_message="First release")
    api.upload_file(path_or_fileobj=b"# two\n", path_in_repo="a.txt", repo_id=REPO)
    assert _read(api, "v1.0", hub) == "# one\n"
    assert _read(api, "main", hub) == "# two\n"
    refs = api.list_repo_refs(REPO)
    assert [(t.name, t.ref, t.target_commit) for t in refs.tags] == [
        ("v1.0", "refs/tags/v1.0", seeded)
    ]
    with pytest.raises(HfHubHTTPError) as caught:
        api.create_tag(REPO, tag="v1.0")
    assert caught.value.response.status_code == 409
    api.create_tag(REPO, tag="v1.0", exist_ok=True)
    # A tag is no branch: a commit to it is refused.
    with pytest.raises(HfHubHTTPError):
        api.upload_file(
            path_or_fileobj=b"x", path_in_repo="x", repo_id=REPO, revision="refs/tags/v1.0"
        )
    api.delete_tag(REPO, tag="v1.0")
    assert api.list_repo_refs(REPO).tags == []
    with pytest.raises(RevisionNotFoundError):
        api.delete_tag(REPO, tag="v1.0")


def test_a_tag_at_a_revision(hub: LocalHub, api: HfApi, seeded: str) -> None:
    api.create_branch(REPO, branch="dev")
    dev = api.upload_file(path_or_fileobj=b"d", path_in_repo="d.txt", repo_id=REPO, revision="dev")
    api.create_tag(REPO, tag="dev-1", revision="dev")
    api.create_tag(REPO, tag="first", revision=seeded)
    tags = {t.name: t.target_commit for t in api.list_repo_refs(REPO).tags}
    assert tags == {"dev-1": dev.oid, "first": seeded}
    with pytest.raises(RevisionNotFoundError):
        api.create_tag(REPO, tag="x", revision="nowhere")
    with pytest.raises(HfHubHTTPError) as caught:
        api.create_tag(REPO, tag="bad tag")
    assert caught.value.response.status_code == 400


def test_refs_list_pull_requests_when_asked(hub: LocalHub, api: HfApi, seeded: str) -> None:
    pr = api.upload_file(
        path_or_fileobj=b"# pr\n", path_in_repo="a.txt", repo_id=REPO, create_pr=True
    )
    refs = api.list_repo_refs(REPO, include_pull_requests=True)
    assert refs.pull_requests is not None
    assert [(p.name, p.target_commit) for p in refs.pull_requests] == [("refs/pr/1", pr.oid)]
    assert [b.name for b in refs.branches] == ["main"]


def test_refs_need_a_token_to_change(hub: LocalHub, anon: HfApi, seeded: str) -> None:
    calls: list[Callable[[], object]] = [
        lambda: anon.create_branch(REPO, branch="dev"),
        lambda: anon.delete_branch(REPO, branch="main"),
        lambda: anon.create_tag(REPO, tag="v1"),
        lambda: anon.delete_tag(REPO, tag="v1"),
    ]
    for call in calls:
        with pytest.raises(HfHubHTTPError) as caught:
            call()
        assert caught.value.response.status_code == 401
    assert [ref.name for ref in anon.list_repo_refs(REPO).branches] == ["main"]


def test_a_branch_pull_request_merges_into_its_branch(
    hub: LocalHub, api: HfApi, seeded: str
) -> None:
    api.create_branch(REPO, branch="dev")
    pr = api.upload_file(
        path_or_fileobj=b"# pr\n",
        path_in_repo="a.txt",
        repo_id=REPO,
        revision="dev",
        create_pr=True,
    )
    assert pr.pr_num is not None
    api.merge_pull_request(REPO, pr.pr_num)
    assert _read(api, "dev", hub) == "# pr\n"
    assert _read(api, "main", hub) == "# one\n"


def test_a_pull_request_into_a_deleted_branch_cannot_merge(
    hub: LocalHub, api: HfApi, seeded: str
) -> None:
    api.create_branch(REPO, branch="dev")
    pr = api.upload_file(
        path_or_fileobj=b"# pr\n",
        path_in_repo="a.txt",
        repo_id=REPO,
        revision="dev",
        create_pr=True,
    )
    assert pr.pr_num is not None
    api.delete_branch(REPO, branch="dev")
    with pytest.raises(RevisionNotFoundError):
        api.merge_pull_request(REPO, pr.pr_num)
    assert api.get_discussion_details(REPO, pr.pr_num).status == "open"


HF = Path(sys.executable).parent / "hf"


def _hf(hub: LocalHub, tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(tmp_path / "home"),
        "HF_HOME": str(tmp_path / "hf-home"),
        "HF_ENDPOINT": hub.url,
        "HF_TOKEN": hub.token,
        "HF_HUB_DISABLE_TELEMETRY": "1",
        "HF_HUB_DISABLE_UPDATE_CHECK": "1",
        "NO_COLOR": "1",
    }
    return subprocess.run(
        [str(HF), *args], env=env, capture_output=True, text=True, timeout=120, check=False
    )


@pytest.mark.skipif(not HF.exists(), reason="the hf command is not installed in this venv")
def test_the_hf_command_makes_branches_and_tags(
    hub: LocalHub, api: HfApi, seeded: str, tmp_path: Path
) -> None:
    done = _hf(hub, tmp_path, "repos", "branch", "create", REPO, "dev")
    assert done.returncode == 0, done.stderr
    card = tmp_path / "a.txt"
    card.write_text("# from hf\n", encoding="utf-8")
    done = _hf(hub, tmp_path, "upload", REPO, str(card), "a.txt", "--revision", "dev")
    assert done.returncode == 0, done.stderr
    done = _hf(hub, tmp_path, "repos", "tag", "create", REPO, "v1", "--revision", "dev")
    assert done.returncode == 0, done.stderr
    refs = api.list_repo_refs(REPO)
    dev = next(b.target_commit for b in refs.branches if b.name == "dev")
    assert [(t.name, t.target_commit) for t in refs.tags] == [("v1", dev)]
    assert _read(api, "v1", hub) == "# from hf\n"
    assert _read(api, "main", hub) == "# one\n"
    again = _hf(hub, tmp_path, "repos", "tag", "create", REPO, "v1")
    assert again.returncode != 0
