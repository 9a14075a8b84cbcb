"""Apply a Plan: one commit per changed repo, its parent the head the plan saw, several at once.

Also the checks before any write (the plan is for this Hub and is what the manifest renders
now) and the policies for drifted and adopted cards. No printing: callers pass progress callbacks
and get plain results back; planning.py makes the plan.
"""

from __future__ import annotations

import threading
from collections.abc import Collection, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from typing import Literal, assert_never

from pipeline import __version__
from pipeline.card.diff import CardDiff
from pipeline.card.merge import three_way
from pipeline.card.render import Selection
from pipeline.defaults import DEFAULT_JOBS as DEFAULT_JOBS  # re-exported
from pipeline.english import agrees, plural
from pipeline.errors import HubError, PlanError
from pipeline.hub.cache import Cache
from pipeline.hub.client import CommitResult, CommitStatus, Hub, QuotaError
from pipeline.manifest.sources import Sources, load_sources
from pipeline.newlines import normalize_newlines
from pipeline.ownership import (
    DRIFT_STATES,
    PR_TITLE,
    TRAILER_FINGERPRINT,
    TRAILER_MERGE_BASE,
    TRAILER_MERGED,
    TRAILER_TOOL,
    Decision,
    describe_replaced,
    is_merge,
    trusted_release,
    unified,
)
from pipeline.plan._integrity import plan_problems
from pipeline.plan.model import Plan, PlanEntry, redact_url
from pipeline.plan.planning import Progress, render_cards
from pipeline.records import CommitRecord, ManagedFile


@dataclass(frozen=True)
class MergeNote:
    """How a `merge` went: merged, keeping these hand commits; or why it was not, and the
    rendered card went to nb-release's pull request instead of main."""

    kept: tuple[CommitRecord, ...] = ()
    conflict: str | None = None

    @property
    def merged(self) -> bool:
        return self.conflict is None


@dataclass(frozen=True)
class ApplyResult:
    """What an apply did, in manifest order whatever the order the commits completed in."""

    results: tuple[CommitResult, ...]
    unchanged: tuple[str, ...]
    left: tuple[str, ...] = ()  # changes not attempted: a quota stop or Ctrl-C came first
    stopped: QuotaError | None = None  # the Hub's quota that stopped the run
    interrupted: bool = False  # Ctrl-C stopped the run
    merges: Mapping[str, MergeNote] = field(default_factory=dict)  # the repos merged, by id

    def with_status(self, *statuses: CommitStatus) -> tuple[CommitResult, ...]:
        return tuple(r for r in self.results if r.status in statuses)

    @property
    def complete(self) -> bool:
        return not self.with_status("stale", "failed") and not self.left


def check_plan(plan: Plan, hub_label: str, source: str) -> None:
    """Refuse a plan made for another Hub, or with repos that do not exist."""
    if plan.hub != redact_url(hub_label):
        raise PlanError(
            f"{source}: the plan was made for {plan.hub}, not for {hub_label}",
            hint="apply it with the same --hub it was made with, or make a new plan",
        )
    if plan.errors:
        names = ", ".join(e.repo_id for e in plan.errors)
        raise PlanError(
            f"{plural(len(plan.errors), 'repo')} of the plan "
            f"{agrees(len(plan.errors), 'does', 'do')} not exist on the Hub: {names}",
            hint=f"create {agrees(len(plan.errors), 'it', 'them')} on the Hub, or set "
            f"allow_create = true for {agrees(len(plan.errors), 'it', 'them')} in models.toml",
        )


def check_integrity(plan: Plan, sources: Sources, source: str, cache: Cache | None = None) -> None:
    """Refuse, before any write, a plan made from other contents of the manifest or templates
    than the current ones, or whose entries are not what they render now. The files are read
    once: the bytes fingerprinted are the bytes rendered."""
    files, manifest = load_sources(sources.manifest, sources.cards)
    if plan.fingerprint != files.fingerprint:
        raise PlanError(
            f"{source}: the plan was made from other contents of {sources.manifest} or "
            f"{sources.cards}/ than the current ones",
            hint="run `nb-release plan --out` again, then apply the new plan",
        )
    cards = render_cards(files, manifest, Selection(), cache)
    problems = plan_problems(plan, cards)
    if problems:
        count = len(problems)
        raise PlanError(
            f"{source}: the plan is not what {sources.manifest} and {sources.cards}/ render now "
            f"({plural(count, 'problem')}):\n" + "\n".join(f"  {p}" for p in problems),
            hint="make a new plan with `nb-release plan --out`; never edit a plan file",
        )


def describe(entry: PlanEntry, fingerprint_value: str) -> tuple[str, str]:
    """The commit title and description: a summary of the change plus nb-release's trailers."""
    title = (
        "Create model card" if entry.action in ("create", "create-repo") else "Update model card"
    )
    summary = f"Rendered from models.toml and cards/ by nb-release ({_change_summary(entry.diff)})."
    owner = entry.owner
    if owner is not None and owner.replaced and entry.state != "pending":
        # An overwrite names what it replaces, so a person can bring it back.
        summary += (
            f"\n\nReplaces {entry.state} commits not made by nb-release (bring one back with "
            f"`nb-release restore {entry.repo_id} --to COMMIT`):\n"
            + describe_replaced(owner.replaced)
        )
    trailers = (
        f"{TRAILER_TOOL}: nb-release {__version__}\n{TRAILER_FINGERPRINT}: {fingerprint_value}"
    )
    return title, f"{summary}\n\n{trailers}"


def describe_merge(
    published: CommitRecord, kept: tuple[CommitRecord, ...], live: str, merged: str
) -> tuple[str, str]:
    """The title and description of a merged card: what changed, the hand commits it keeps,
    and trailers that make it no release (ownership.TRAILER_MERGED says why)."""
    _, added, removed = unified(live, merged, "live", "merged")
    hand = (
        f"the hand edit of these commits:\n{describe_replaced(kept)}"
        if kept
        else "the hand edit made on the Hub since then."
    )
    summary = (
        f"Rendered from models.toml and cards/ by nb-release and merged with the live card "
        f"(+{added} -{removed} lines): a three-way merge of nb-release's last publish "
        f"({published.commit_id[:12]}), the new render and the live card. The hand edit was "
        f"merged, not replaced; it keeps {hand}"
    )
    trailers = (
        f"{TRAILER_MERGED}: nb-release {__version__}\n{TRAILER_MERGE_BASE}: {published.commit_id}"
    )
    return "Update model card, keeping a hand edit", f"{summary}\n\n{trailers}"


def _change_summary(diff: CardDiff) -> str:
    parts: list[str] = []
    keys = sorted({c.key_path.split("[")[0].split(".")[0] for c in diff.metadata_changes})
    if keys:
        parts.append(f"metadata changed: {', '.join(keys)}")
    elif diff.reformat_only:
        parts.append("front matter re-formatted only")
    parts.append(f"+{diff.lines_added} -{diff.lines_removed} lines")
    return "; ".join(parts)


def apply_plan(
    plan: Plan,
    hub: Hub,
    *,
    create_pr: bool = False,
    as_pr: Collection[str] = (),
    merge: Collection[str] = (),
    jobs: int = DEFAULT_JOBS,
    on_done: Progress | None = None,
) -> ApplyResult:
    """Publish every change of the plan, `jobs` repos at a time.

    A repo whose head moved is reported stale; a failure on one repo is that repo's failure and
    the others go on. A quota that will not reset within --max-wait, or Ctrl-C, stops the
    starting of new commits; the commits in flight finish and are reported. The repos in
    `as_pr` (or all, with `create_pr`) go to nb-release's own pull request instead of main.
    The repos in `merge` publish the merge of their hand edit and the render (_merge_one).
    """
    changes = plan.changes
    unchanged = tuple(e.repo_id for e in plan.entries if e.action == "unchanged")
    if not changes:
        return ApplyResult(results=(), unchanged=unchanged)
    hub.whoami()  # fail on a bad token before the first write (asked once per run)
    stop = threading.Event()
    stopped: list[QuotaError] = []
    notes: dict[str, MergeNote] = {}

    def work(entry: PlanEntry) -> CommitResult | None:
        if stop.is_set():
            return None
        to_pr = create_pr or entry.repo_id in as_pr
        try:
            if entry.repo_id in merge:
                result, notes[entry.repo_id] = _merge_one(entry, plan, hub, to_pr)
            else:
                result = _apply_one(entry, plan, hub, to_pr)
        except QuotaError as exc:
            stopped.append(exc)
            stop.set()
            return None
        except HubError as exc:
            result = CommitResult(entry.repo_id, "failed", message=exc.message)
        if on_done is not None:
            on_done(entry.repo_id)
        return result

    done: dict[str, CommitResult] = {}
    interrupted = False
    pool = ThreadPoolExecutor(max_workers=max(1, min(jobs, len(changes))))
    futures = [(entry.repo_id, pool.submit(work, entry)) for entry in changes]
    try:
        for repo_id, future in futures:
            result = future.result()
            if result is not None:
                done[repo_id] = result
    except KeyboardInterrupt:
        # Start no new commit; wait for those in flight so the report says what landed.
        interrupted = True
        stop.set()
        for _, future in futures:
            future.cancel()
        for repo_id, future in futures:
            if not future.cancelled():
                result = future.result()
                if result is not None:
                    done[repo_id] = result
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    results = tuple(done[e.repo_id] for e in changes if e.repo_id in done)
    left = tuple(e.repo_id for e in changes if e.repo_id not in done)
    return ApplyResult(
        results=results,
        unchanged=unchanged,
        left=left,
        stopped=stopped[0] if stopped else None,
        interrupted=interrupted,
        merges={e.repo_id: notes[e.repo_id] for e in changes if e.repo_id in notes},
    )


def _apply_one(entry: PlanEntry, plan: Plan, hub: Hub, create_pr: bool) -> CommitResult:
    assert entry.content is not None  # the plan guarantees content for writing actions
    title, description = describe(entry, plan.fingerprint)
    parent = entry.head_sha
    if entry.action == "create-repo":
        hub.create_repo(entry.repo_id)
        # Someone may have created the repo, and written a card, since the plan: write only
        # onto a repo without README.md, with its head as the parent (no lost hand edit).
        live = hub.read_card(entry.repo_id)
        if live.content == entry.content:
            return CommitResult(entry.repo_id, "already", message="already up to date")
        if live.content is not None:
            return CommitResult(
                entry.repo_id,
                "stale",
                message="the repo was created, with a README.md, after the plan was made",
            )
        parent = live.head_sha
    return _write(
        hub, entry.repo_id, entry.content, parent, title, description, create_pr, entry.writes_files
    )


def _write(
    hub: Hub,
    repo_id: str,
    content: str,
    parent: str | None,
    title: str,
    description: str,
    create_pr: bool,
    files: Sequence[ManagedFile] = (),
) -> CommitResult:
    """One commit of the card and its companion `files`: to main on `parent`, or to
    nb-release's own pull request (opened on `parent`, or updated on its own head)."""
    if not create_pr:
        return hub.commit_card(
            repo_id, content, parent=parent, title=title, description=description, files=files
        )
    own = hub.find_own_pr(repo_id, PR_TITLE)
    if own is None:
        return hub.commit_card(
            repo_id,
            content,
            parent=parent,
            title=PR_TITLE,
            description=description,
            create_pr=True,
            files=files,
        )
    number, ref = own
    url = hub.pr_url(repo_id, number)  # every result of a pull request names its page
    proposed = hub.read_card(repo_id, revision=ref)
    if proposed.content == content:
        return CommitResult(repo_id, "already", message=f"already proposed in {ref}", pr_url=url)
    result = hub.commit_card(
        repo_id,
        content,
        parent=proposed.head_sha,
        title=title,
        description=description,
        revision=ref,
        files=files,
    )
    return replace(result, pr_url=result.pr_url or url)


def merge_of(entry: PlanEntry, hub: Hub) -> tuple[str | None, MergeNote]:
    """The three-way merge of nb-release's last publish (base), the render (ours) and the live
    card at the head the plan saw (theirs), read but not written: the merged card, or None and
    why not (no base to merge from, or a conflict). A dry run asks this too."""
    assert entry.content is not None  # the plan guarantees content for writing actions
    owner = entry.owner
    published = owner.published if owner is not None else None
    if owner is None or published is None or entry.head_sha is None:
        why = "nb-release never published this card, so there is no hand edit to merge"
        return None, MergeNote(conflict=why)
    if entry.state not in DRIFT_STATES:
        # Pending on the word of a commit not verified as nb-release's (unverified): merging
        # from it as the base would take the live card for nb-release's and replace it.
        why = "nb-release's last publish of this card is not verified: no base to merge from"
        return None, MergeNote(conflict=why)
    base = hub.read_card(entry.repo_id, published.commit_id).content or ""
    live = hub.read_card(entry.repo_id, entry.head_sha).content or ""
    merged = three_way(base, entry.content, live)
    if merged.text is None:
        first = merged.conflicts[0]
        where = f"line {first.base_line} of nb-release's last publish, {published.commit_id[:12]}"
        more = f" and {len(merged.conflicts) - 1} more" if len(merged.conflicts) > 1 else ""
        return None, MergeNote(
            conflict=f"the hand edit and the new render conflict at {where}{more}"
        )
    commits = owner.drift.commits if owner.drift is not None else owner.replaced
    return merged.text, MergeNote(kept=tuple(c for c in commits if not is_merge(c)))


def _merge_one(
    entry: PlanEntry, plan: Plan, hub: Hub, create_pr: bool
) -> tuple[CommitResult, MergeNote]:
    """Publish merge_of's card on the head the plan saw, like any publish. Without a base, or on
    a conflict, the rendered card goes to nb-release's pull request: never to main."""
    merged, note = merge_of(entry, hub)
    if merged is None:
        return _apply_one(entry, plan, hub, True), note
    owner, head = entry.owner, entry.head_sha
    assert owner is not None and owner.published is not None and head is not None
    live = hub.read_card(entry.repo_id, head).content or ""
    if merged == normalize_newlines(live):
        message = "the live card already holds the new render and the hand edit"
        return CommitResult(entry.repo_id, "already", message=message), note
    title, description = describe_merge(owner.published, note.kept, live, merged)
    result = _write(hub, entry.repo_id, merged, head, title, description, create_pr)
    return result, note


def merges_as_carried_out(
    plan: Plan, hub: Hub, decisions: Mapping[str, Decision]
) -> tuple[dict[str, Decision], dict[str, str]]:
    """The decisions as a run would carry them out, without writing: a `merge` that would not
    merge (a conflict, no base) is `pr`; and why each of those would not merge. Reads each
    merge's base and live card (by commit id: cached)."""
    carried = dict(decisions)
    why: dict[str, str] = {}
    for entry in plan.changes:
        if decisions.get(entry.repo_id) != "merge":
            continue
        merged, note = merge_of(entry, hub)
        if merged is None:
            carried[entry.repo_id] = "pr"
            why[entry.repo_id] = note.conflict or ""
    return carried, why


@dataclass(frozen=True)
class ClosedPull:
    """nb-release's pull request a run closed (or failed to close), and why."""

    repo_id: str
    number: int
    url: str
    why: str
    error: str | None = None  # the Hub's refusal, when it could not be closed


def close_pulls(plan: Plan, hub: Hub, applied: ApplyResult | None = None) -> tuple[ClosedPull, ...]:
    """Close nb-release's own open pull request on every repo where it is no longer needed: the
    card was published to main by this run (`applied`), or main already holds the card
    nb-release renders. Each is closed with a comment saying why; a pull request someone else
    opened, or one already closed or merged, is left alone (Hub.close_own_pr). A refusal is
    reported, not raised: the cards are published either way."""
    to_main = {
        r.repo_id: r
        for r in (applied.with_status("published", "already") if applied else ())
        if r.pr_url is None
    }
    todo: list[tuple[PlanEntry, str]] = []
    for entry in plan.entries:
        if entry.pull is None:
            continue
        landed = to_main.get(entry.repo_id)
        if landed is not None:
            where = (
                f" in commit {landed.commit_url.rsplit('/', 1)[-1][:12]}"
                if landed.commit_url
                else ""
            )
            todo.append(
                (
                    entry,
                    f"nb-release published this card to main{where}, so this pull "
                    "request is no longer needed.",
                )
            )
        elif entry.action == "unchanged":
            todo.append(
                (
                    entry,
                    "The card on main is already the one nb-release renders from "
                    "the project (models.toml and cards/), so this pull request is no "
                    "longer needed.",
                )
            )

    def close(item: tuple[PlanEntry, str]) -> ClosedPull | None:
        entry, why = item
        assert entry.pull is not None
        try:
            if not hub.close_own_pr(entry.repo_id, entry.pull.number, why):
                return None
        except HubError as exc:
            return ClosedPull(entry.repo_id, entry.pull.number, entry.pull.url, why, exc.message)
        return ClosedPull(entry.repo_id, entry.pull.number, entry.pull.url, why)

    if not todo:
        return ()
    with ThreadPoolExecutor(max_workers=max(1, min(hub.concurrency, len(todo)))) as pool:
        return tuple(found for found in pool.map(close, todo) if found is not None)


def unverified(plan: Plan, hub: Hub) -> tuple[PlanEntry, ...]:
    """The changes a plan calls `pending` on the word of a commit this run cannot take as
    nb-release's: neither recorded when it landed nor authored by the publishing user (a plan
    made without a token trusts the trailers, which anyone can copy into a commit)."""
    found = []
    for entry in plan.changes:
        published = entry.owner.published if entry.owner is not None else None
        if entry.state != "pending" or published is None:
            continue
        recorded = hub.own_commit(entry.repo_id, published.commit_id) is not None
        if not trusted_release(published, None if recorded else hub.whoami(), recorded):
            found.append(entry)
    return tuple(found)


# --- policies ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class DecidedResult:
    """What a policy-driven publish did (the repos a policy leaves alone are the caller's to
    name: the plan and the decisions say which)."""

    applied: ApplyResult
    # Each repo's decision as carried out: a merge that conflicted (or had nothing to merge
    # from) went to nb-release's pull request, so it is `pr` here.
    decisions: Mapping[str, Decision]

    @property
    def complete(self) -> bool:
        return self.applied.complete


def _route(decision: Decision) -> Literal["main", "merge", "pr"] | None:
    """Where a decision's card goes: a commit to main, nb-release's pull request, or nowhere.
    A new decision is named here by mypy: publishing must know what it writes."""
    match decision:
        case "publish":
            return "main"
        case "merge":
            return "merge"
        case "pr":
            return "pr"
        case "skip" | "none" | "error":
            return None
        case _:
            assert_never(decision)


def apply_decided(
    plan: Plan,
    hub: Hub,
    decisions: Mapping[str, Decision],
    *,
    create_pr: bool = False,
    jobs: int = DEFAULT_JOBS,
    on_done: Progress | None = None,
) -> DecidedResult:
    """Publish the repos decided `publish` (to main, or as PRs with create_pr), merge those
    decided `merge` (to main when clean, else to nb-release's PR), open or update nb-release's
    PR for those decided `pr`, and leave those decided `skip` alone."""

    routes = {e.repo_id: _route(decisions.get(e.repo_id, "none")) for e in plan.entries}
    writing = replace(
        plan,
        entries=tuple(
            e for e in plan.entries if routes[e.repo_id] is not None or e.action == "unchanged"
        ),
    )
    as_pr = {repo for repo, route in routes.items() if route == "pr"}
    merge = {repo for repo, route in routes.items() if route == "merge"}
    applied = apply_plan(
        writing, hub, create_pr=create_pr, as_pr=as_pr, merge=merge, jobs=jobs, on_done=on_done
    )
    carried: dict[str, Decision] = {
        e.repo_id: decisions.get(e.repo_id, "none") for e in plan.entries
    }
    for repo, note in applied.merges.items():
        if not note.merged:
            carried[repo] = "pr"
    return DecidedResult(applied, carried)
