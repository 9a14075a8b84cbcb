"""What the cache keeps of a Hub's commits (pipeline/hub/_commitcache.py): what a sha pins."""

from __future__ import annotations

from pipeline.hub._commitcache import CommitCache
from pipeline.hub.cache import Cache
from pipeline.records import CommitRecord, LiveCard

HUB = "http://127.0.0.1:1"
REPO = "NbAiLab/x"
SHA = "a" * 40
OTHER = "b" * 40


def test_a_card_at_a_sha_is_read_once_and_at_a_branch_always() -> None:
    commits = CommitCache(Cache(), HUB)
    reads: list[str] = []

    for revision in (SHA, SHA, "main", "main"):

        def read(revision: str = revision) -> LiveCard:
            reads.append(revision)
            return LiveCard(repo_id=REPO, exists=True, head_sha=SHA, content="card\n")

        card = commits.read_card(REPO, revision, read)
        assert card.content == "card\n" and card.head_sha == SHA
    assert reads == [SHA, "main", "main"]


def test_a_card_read_at_a_sha_but_answered_at_another_is_not_kept() -> None:
    commits = CommitCache(Cache(), HUB)
    moved = LiveCard(repo_id=REPO, exists=True, head_sha=OTHER, content="card\n")
    reads: list[int] = []

    def read() -> LiveCard:
        reads.append(1)
        return moved

    commits.read_card(REPO, SHA, read)
    commits.read_card(REPO, SHA, read)
    assert len(reads) == 2


def test_without_a_cache_every_read_goes_to_the_hub() -> None:
    commits = CommitCache(None, HUB)
    reads: list[int] = []

    def history() -> list[CommitRecord]:
        reads.append(1)
        return []

    commits.list_commits(REPO, SHA, history)
    commits.list_commits(REPO, SHA, history)
    assert len(reads) == 2
    commits.record_commit(REPO, SHA, "c", own=True, title="t", description="d", user="u")
    assert commits.own_commit(REPO, SHA) is None


def test_a_commit_on_main_is_recorded_as_its_own_and_a_pull_request_is_not() -> None:
    commits = CommitCache(Cache(), HUB)
    commits.record_commit(REPO, SHA, "mine\n", own=True, title="t", description="d", user="bot")
    commits.record_commit(REPO, OTHER, "pr\n", own=False, title="t", description="d", user="bot")
    own = commits.own_commit(REPO, SHA)
    assert own is not None and own.authors == ("bot",) and own.title == "t"
    assert commits.own_commit(REPO, OTHER) is None
    # README.md at both commits is known without a read.
    for sha, content in ((SHA, "mine\n"), (OTHER, "pr\n")):
        card = commits.read_card(REPO, sha, lambda: LiveCard(REPO, False, None, None))
        assert card == LiveCard(repo_id=REPO, exists=True, head_sha=sha, content=content)
