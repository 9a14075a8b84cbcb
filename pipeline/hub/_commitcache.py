"""What the local cache keeps of one Hub's commits: what a commit sha makes safe to keep.

A commit never changes, so README.md at a commit sha and the history below one are read once
and kept; a read at a branch (its head moves) is never taken from here. A commit nb-release
makes is recorded as it lands: its README.md (the next plan needs no read of it) and, on main,
the commit itself as nb-release's own, so a later plan that finds it still at the head knows
whose card it is without listing the repo's commits. No request here: the reads are handed in.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from pipeline.hub.cache import Cache
from pipeline.records import CommitRecord, LiveCard, ManagedFile

SHA = re.compile(r"[0-9a-f]{40}")  # a full commit id, as the Hub names commits


@dataclass(frozen=True)
class CommitCache:
    """One Hub's entries of the local cache (`hub_key`: Target.cache_key); without a cache
    (`--no-cache`), every read goes to the Hub and nothing is kept."""

    cache: Cache | None
    hub_key: str

    def _pinned(self, revision: str) -> Cache | None:
        """The cache, when `revision` is a commit sha and there is one."""
        return self.cache if SHA.fullmatch(revision) else None

    def read_card(self, repo_id: str, revision: str, read: Callable[[], LiveCard]) -> LiveCard:
        """README.md at `revision`: at a commit sha, from the cache when it has it; else `read()`,
        kept when it is README.md at that very commit."""
        cache = self._pinned(revision)
        if cache is not None:
            found, content = cache.readme(self.hub_key, repo_id, revision)
            if found:
                return LiveCard(repo_id=repo_id, exists=True, head_sha=revision, content=content)
        card = read()
        if cache is not None and card.exists and card.head_sha == revision:
            cache.put_readme(self.hub_key, repo_id, revision, card.content)
        return card

    def read_file(
        self, repo_id: str, path: str, revision: str, read: Callable[[], LiveCard]
    ) -> LiveCard:
        """A managed file at `revision` (the LiveCard's content is that file's): at a commit
        sha, from the cache when it has it; else `read()`, kept when read at that commit."""
        cache = self._pinned(revision)
        if cache is not None:
            found, content = cache.file(self.hub_key, repo_id, revision, path)
            if found:
                return LiveCard(repo_id=repo_id, exists=True, head_sha=revision, content=content)
        card = read()
        if cache is not None and card.exists and card.head_sha == revision:
            cache.put_file(self.hub_key, repo_id, revision, path, card.content)
        return card

    def list_commits(
        self, repo_id: str, revision: str, read: Callable[[], list[CommitRecord]]
    ) -> list[CommitRecord]:
        """The history of `revision`: below a commit sha, read once and kept."""
        cache = self._pinned(revision)
        if cache is not None:
            cached = cache.history(self.hub_key, repo_id, revision)
            if cached is not None:
                return cached
        records = read()
        if cache is not None:
            cache.put_history(self.hub_key, repo_id, revision, records)
        return records

    def own_commit(self, repo_id: str, sha: str) -> CommitRecord | None:
        """nb-release's own commit at `sha`, if this cache saw it land."""
        if self.cache is None:
            return None
        return self.cache.own_commit(self.hub_key, repo_id, sha)

    def record_commit(
        self,
        repo_id: str,
        sha: str,
        content: str,
        *,
        own: bool,
        title: str,
        description: str,
        user: str | None,
        files: Sequence[ManagedFile] = (),
    ) -> None:
        """A commit nb-release made, named by the Hub: README.md at `sha` is exactly `content`
        (commits are immutable), and, when `own` (it landed on main), it is nb-release's."""
        if self.cache is None:
            return
        self.cache.put_readme(self.hub_key, repo_id, sha, content)
        for file in files:
            self.cache.put_file(self.hub_key, repo_id, sha, file.path, file.content)
        if own:
            record = CommitRecord(
                commit_id=sha,
                created_at=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                authors=(user,) if user else (),
                title=title,
                message=description,
            )
            self.cache.put_own_commit(self.hub_key, repo_id, record)
