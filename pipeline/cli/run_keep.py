"""keep: take the hand edit of a drifted card into the project, as its two files under
cards/edits/ (pipeline/card/edits.py); `keep --drop` removes them.

The base of an edit is the card the edit was made against, without any earlier kept edit: the
card nb-release last published when nothing was kept before (then that card is the plain render
of its day), else the plain render of the project now, when the project still renders what the
Hub had before the new edit (nb-release's last publish, or the kept card). The patch then holds
every hand edit of the card, the earlier ones too, and merges through later template changes
as one edit.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from rich.console import Console

from pipeline.card import edits
from pipeline.card.diff import diff_card
from pipeline.card.render import render_all
from pipeline.cli._plumbing import new_cache, open_target, refuse_bare_names
from pipeline.cli.options import KeepOptions
from pipeline.english import plural
from pipeline.errors import PipelineError
from pipeline.exitcodes import EXIT_OK
from pipeline.hub.client import Hub
from pipeline.manifest.sources import load_sources
from pipeline.ownership import DRIFT_STATES, unified
from pipeline.plan.history import read_ownership
from pipeline.records import CommitRecord, RenderedCard
from pipeline.safetext import printable


@dataclass(frozen=True)
class _Found:
    """What keep found for one repo: the edit to write, or why there is none."""

    repo_id: str
    base: str | None = None
    edited: str | None = None
    commits: tuple[CommitRecord, ...] = ()
    why_not: str = ""


def keep_command(options: KeepOptions, console: Console) -> int:
    repos = list(dict.fromkeys(options.repos))
    refuse_bare_names(repos, options.sources.manifest)
    files, manifest = load_sources(options.sources.manifest, options.sources.cards)
    cards_dir = files.cards_dir
    known = [variant.repo_id for variant in manifest.variants]
    unknown = [repo for repo in repos if repo not in known]
    if unknown:
        raise PipelineError(
            f"{', '.join(unknown)}: not a repo of {manifest.path}",
            hint="keep takes the hand edit of a card the manifest renders",
        )
    if options.drop:
        removed = 0
        for repo in repos:
            gone = edits.drop_edit(cards_dir, repo)
            if not gone:
                console.print(f"{repo}: no kept edit to remove", markup=False)
            for path in gone:
                console.print(f"  removed {path}", markup=False)
            removed += len(gone)
        if removed:  # the next step only when there is one
            console.print(
                f"Next: commit {Path(cards_dir, edits.EDITS)}/ and run `nb-release plan`.",
                markup=False,
            )
        return EXIT_OK
    kept = edits.read_edits(cards_dir, files.templates, known)
    plain = {card.repo_id: card for card in render_all(manifest, files, apply_edits=False)}
    current = {card.repo_id: card for card in render_all(manifest, files)}
    with open_target(options.hub, new_cache(options.hub), read_only=True) as hub:
        found = [_find(hub, repo, plain[repo], current[repo], kept.get(repo)) for repo in repos]
    refused = [f for f in found if f.why_not.startswith("refused: ")]
    if refused:
        raise PipelineError(
            "nothing was written:\n"
            + "\n".join(f"  {f.repo_id}: {f.why_not.removeprefix('refused: ')}" for f in refused),
            hint="publish the project's card first (`nb-release sync --on-drift overwrite "
            "--only REPO` would replace the hand edit), or `nb-release keep --drop REPO` and "
            "keep the edit again",
        )
    wrote = 0
    for item in found:
        if item.base is None or item.edited is None:
            console.print(f"{item.repo_id}: {item.why_not}; nothing written", markup=False)
            continue
        _, added, removed = unified(item.base, item.edited, "base", "edited")
        who = "; ".join(f"{', '.join(c.authors) or '?'}: {c.title}" for c in item.commits)
        source = f" from {plural(len(item.commits), 'commit')} ({printable(who)})" if who else ""
        console.print(
            f"{item.repo_id}: kept its hand edit, +{added} -{removed}{source}",
            markup=False,
            highlight=False,
        )
        for path in edits.write_edit(cards_dir, item.repo_id, item.base, item.edited, item.commits):
            console.print(f"  wrote {path}", markup=False)
        wrote += 1
    if wrote:
        console.print(
            f"Next: commit {Path(cards_dir, edits.EDITS)}/ and run `nb-release plan`.",
            markup=False,
        )
    return EXIT_OK


def _find(
    hub: Hub, repo: str, plain: RenderedCard, current: RenderedCard, kept: edits.Edit | None
) -> _Found:
    live = hub.read_card(repo)
    if not live.exists:
        raise PipelineError(f"{repo}: no such repo on {hub.target.display}")
    if live.content is None:
        return _Found(repo, why_not="has no card on the Hub")
    diff = diff_card(current, live)
    owners = read_ownership(hub, [current], [live], [diff], {repo: kept.edited} if kept else {})
    owner = owners[repo]
    if owner.state not in DRIFT_STATES or owner.published is None:
        what = {
            "unchanged": "the card on the Hub is the project's",
            "pending": "the card on the Hub is nb-release's (`nb-release sync` publishes the "
            "project's)",
            "adopt": "nb-release never published this card: there is no base to keep an edit "
            "against",
        }.get(owner.state, f"the card is {owner.state}")
        return _Found(repo, why_not=f"not drifted: {what}")
    published = hub.read_card(repo, owner.published.commit_id).content or ""
    commits = owner.drift.commits if owner.drift is not None else ()
    if current.content in (published, kept.edited if kept else None):
        # The project renders what the Hub had before the edit: the plain render is its base.
        return _Found(repo, plain.content, live.content, commits)
    if kept is None:
        # The manifest changed since: nb-release's last publish is the plain render of its day.
        return _Found(repo, published, live.content, commits)
    return _Found(
        repo,
        why_not="refused: the project changed since nb-release last published this card, and "
        f"it already keeps an edit of it ({kept.patch_file})",
    )
