"""History and restore: each card's commits, and bringing an earlier card back.

`history` marks nb-release's own commits (with their manifest fingerprint) among the commits that
changed README.md; `restore` publishes a card as it was at a commit, as a new commit on top of the
head, after showing the diff.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Console

from pipeline.cli._plumbing import new_cache, open_target, refuse_bare_names
from pipeline.cli.options import HistoryOptions, RestoreOptions
from pipeline.cli.terminal import confirmed
from pipeline.english import plural
from pipeline.errors import PipelineError
from pipeline.exitcodes import EXIT_OK, EXIT_PARTIAL, EXIT_PENDING
from pipeline.hub.client import Hub, read_file
from pipeline.manifest.selection import select
from pipeline.ownership import (
    README,
    TRAILER_RESTORED,
    fingerprint_of,
    trusted_release,
    unified,
)
from pipeline.plan.history import card_histories
from pipeline.records import CommitRecord, ManagedFile
from pipeline.safetext import printable, printable_lines


def _no_such_repo(repo_ids: Sequence[str], hub: Hub, hint: str | None = None) -> PipelineError:
    return PipelineError(f"{', '.join(repo_ids)}: no such repo on {hub.target.display}", hint)


def history_command(options: HistoryOptions, console: Console) -> int:
    repos: list[str] = list(options.repos)
    refuse_bare_names(repos, options.sources.manifest)
    if not repos:
        from pipeline.manifest.model import load_manifest  # pydantic: only for the manifest's repos

        manifest = load_manifest(options.sources.manifest)
        repos = [v.repo_id for v in select(manifest, options.selection)]
    limit = options.limit
    with open_target(options.hub, new_cache(options.hub), read_only=True) as hub:
        histories = card_histories(hub, repos, limit, options.file)
        unknown = [h.repo_id for h in histories if not h.exists and h.repo_id in options.repos]
        if unknown:
            # A repo named on the command line must exist (a typo is not an empty history);
            # one of the manifest's may not exist yet (its first release creates it).
            raise _no_such_repo(
                unknown, hub, "`nb-release history` with no REPO lists every repo of the manifest"
            )
        for history in histories:
            console.print(history.repo_id, markup=False, style="bold")
            if not history.exists:
                console.print("  the repo does not exist", markup=False)
                continue
            for commit in history.commits:
                mark = _mark(hub, history.repo_id, commit)
                authors = ", ".join(commit.authors) or "?"
                # Every field but the mark is Hub text: a title must not forge a line or a mark.
                line = f"{commit.commit_id[:12]}  {commit.created_at}  {authors}  {commit.title}"
                console.print(
                    f"  {printable(line)}  [{printable(mark)}]", markup=False, highlight=False
                )
            if not history.commits:
                newest = "the newest commit" if limit == 1 else f"the newest {limit} commits"
                console.print(f"  {printable(options.file)} unchanged in {newest}", markup=False)
            if history.older:
                older = plural(history.older, "older commit")
                console.print(f"  ({older} not examined; see --limit)", markup=False)
    return EXIT_OK


def _mark(hub: Hub, repo_id: str, commit: CommitRecord) -> str:
    """nb-release's mark of a commit: its trailers, trusted as the plan trusts them (an id
    nb-release recorded, or the token's user as author); copied trailers are named as such."""
    fingerprint = fingerprint_of(commit)
    if not fingerprint:
        return "not nb-release"
    recorded = hub.own_commit(repo_id, commit.commit_id) is not None
    publisher = None if recorded else hub.publisher()
    if trusted_release(commit, publisher, recorded):
        return f"nb-release {fingerprint}"
    if publisher is None:
        return f"nb-release {fingerprint}, unverified: no token to check its author"
    return (
        f"not nb-release: nb-release's trailers in a commit by {', '.join(commit.authors) or '?'}"
    )


def restore_command(options: RestoreOptions, console: Console) -> int:
    repo, to = options.repo, options.to
    refuse_bare_names([repo], options.manifest)
    with open_target(options.hub, new_cache(options.hub)) as hub:
        live = hub.read_card(repo)
        if not live.exists:
            raise _no_such_repo([repo], hub)
        commits = hub.list_commits(repo)
        found = [c for c in commits if c.commit_id.startswith(to.lower())]
        if len(found) != 1:
            raise PipelineError(
                f"{repo}: {'no' if not found else 'more than one'} commit of main "
                f"{'matches' if not found else 'match'} {to!r}",
                hint=f"`nb-release history {repo}` lists the card's commits",
            )
        target = found[0]
        path = options.file
        what = "the card" if path == README else printable(path)
        old = read_file(hub, repo, path, target.commit_id).content
        if old is None:
            raise PipelineError(f"{repo}: there is no {printable(path)} at {target.commit_id[:12]}")
        current = read_file(hub, repo, path, live.head_sha).content if live.head_sha else None
        current = live.content if path == README else current
        if current == old:
            console.print(
                f"{repo}: {what} is already as it was at {target.commit_id[:12]}.",
                markup=False,
            )
            return EXIT_OK
        diff, added, removed = unified(
            current or "", old, "live", f"at {target.commit_id[:12]}", path
        )
        who = printable(f"{', '.join(target.authors) or '?'}: {target.title}")
        console.print(
            f"{repo}: restore {what} of {printable(target.commit_id[:12])} "
            f"({who}), +{added} -{removed}",
            markup=False,
        )
        console.out(printable_lines(diff), end="", highlight=False)
        if not options.yes:
            answer = confirmed(console, "Publish? [y/N] ")
            if answer is None:
                console.print("Not publishing: no terminal to confirm on. Pass --yes to publish.")
                return EXIT_PENDING
            if not answer:
                console.print("Nothing published.")
                return EXIT_PENDING
        hub.whoami()
        # A companion is restored in a commit that keeps the card as it is on the head.
        card, files = (old, ()) if path == README else (live.content, (ManagedFile(path, old),))
        if card is None:
            raise PipelineError(f"{repo}: the repo has no README.md; restore the card first")
        result = hub.commit_card(
            repo,
            card,
            parent=live.head_sha,
            files=files,
            title=f"Restore {'model card' if path == README else path} from "
            f"{target.commit_id[:12]}",
            description=f"Restores {path} as it was at {target.commit_id} "
            f"({target.title}, by {', '.join(target.authors) or '?'}).\n\n"
            f"{TRAILER_RESTORED}: {target.commit_id}",
        )
        if result.status != "published":
            console.print(f"  {result.status:<9} {repo}  {result.message}", markup=False)
            return EXIT_PARTIAL
        sha = (result.commit_url or "").rsplit("/", 1)[-1][:12]
        console.print(f"  restored  {repo}  commit {sha}", markup=False)
    return EXIT_OK
