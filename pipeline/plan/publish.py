"""Apply a Plan: one commit per changed repo, its parent the head the plan saw, several at once.

Also the checks before any write (the plan is for this Hub and is what the manifest renders
now) and the policies for drifted and adopted cards. No printing: callers pass progress callbacks
and get plain results back; planning.py makes the plan.
"""

from __future__ import annotations

import threading
from collections.abc import Collection, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from typing import Literal, assert_never

from pipeline import __version__
from pipeline.card.diff import CardDiff
from pipeline.card.render import Selection
from pipeline.defaults import DEFAULT_JOBS as DEFAULT_JOBS  # re-exported
from pipeline.english import agrees, plural
from pipeline.errors import HubError, PlanError
from pipeline.hub.cache import Cache
from pipeline.hub.client import CommitResult, CommitStatus, Hub, QuotaError
from pipeline.manifest.sources import Sources, load_sources
from pipeline.ownership import (
    TRAILER_FINGERPRINT,
    TRAILER_TOOL,
    Decision,
    Policies,
    Policy,
    decide,
    describe_replaced,
    resolve_policy,
    trusted_release,
)
from pipeline.plan._integrity import plan_problems
from pipeline.plan.model import Plan, PlanEntry, redact_url
from pipeline.plan.planning import Progress, render_cards

PR_TITLE = "Update model card (nb-release)"


@dataclass(frozen=True)
class ApplyResult:
    """What an apply did, in manifest order whatever the order the commits completed in."""

    results: tuple[CommitResult, ...]
    unchanged: tuple[str, ...]
    left: tuple[str, ...] = ()  # changes not attempted: a quota stop or Ctrl-C came first
    stopped: QuotaError | None = None  # the Hub's quota that stopped the run
    interrupted: bool = False  # Ctrl-C stopped the run

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
    diff: CardDiff = entry.diff
    parts: list[str] = []
    keys = sorted({c.key_path.split("[")[0].split(".")[0] for c in diff.metadata_changes})
    if keys:
        parts.append(f"metadata changed: {', '.join(keys)}")
    elif diff.reformat_only:
        parts.append("front matter re-formatted only")
    parts.append(f"+{diff.lines_added} -{diff.lines_removed} lines")
    summary = f"Rendered from models.toml and cards/ by nb-release ({'; '.join(parts)})."
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


def apply_plan(
    plan: Plan,
    hub: Hub,
    *,
    create_pr: bool = False,
    as_pr: Collection[str] = (),
    jobs: int = DEFAULT_JOBS,
    on_done: Progress | None = None,
) -> ApplyResult:
    """Publish every change of the plan, `jobs` repos at a time.

    A repo whose head moved is reported stale; a failure on one repo is that repo's failure and
    the others go on. A quota that will not reset within --max-wait, or Ctrl-C, stops the
    starting of new commits; the commits in flight finish and are reported. The repos in
    `as_pr` (or all, with `create_pr`) go to nb-release's own pull request instead of main.
    """
    changes = plan.changes
    unchanged = tuple(e.repo_id for e in plan.entries if e.action == "unchanged")
    if not changes:
        return ApplyResult(results=(), unchanged=unchanged)
    hub.whoami()  # fail on a bad token before the first write (asked once per run)
    stop = threading.Event()
    stopped: list[QuotaError] = []

    def work(entry: PlanEntry) -> CommitResult | None:
        if stop.is_set():
            return None
        try:
            result = _apply_one(entry, plan, hub, create_pr or entry.repo_id in as_pr)
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
    if not create_pr:
        return hub.commit_card(
            entry.repo_id, entry.content, parent=parent, title=title, description=description
        )
    own = hub.find_own_pr(entry.repo_id, PR_TITLE)
    if own is None:
        return hub.commit_card(
            entry.repo_id,
            entry.content,
            parent=parent,
            title=PR_TITLE,
            description=description,
            create_pr=True,
        )
    _, ref = own
    proposed = hub.read_card(entry.repo_id, revision=ref)
    if proposed.content == entry.content:
        return CommitResult(entry.repo_id, "already", message=f"already proposed in {ref}")
    return hub.commit_card(
        entry.repo_id,
        entry.content,
        parent=proposed.head_sha,
        title=title,
        description=description,
        revision=ref,
    )


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


def decide_all(
    plan: Plan,
    on_drift: Policy | None,
    on_adopt: Policy | None,
    default: Policies,
) -> dict[str, Decision]:
    """Each repo's decision: the command line's policy, else the manifest's, else `default`."""
    out: dict[str, Decision] = {}
    for entry in plan.entries:
        policies = Policies(
            on_drift=resolve_policy(on_drift, entry.on_drift, default=default.on_drift),
            on_adopt=resolve_policy(on_adopt, entry.on_adopt, default=default.on_adopt),
        )
        out[entry.repo_id] = decide(entry.state, policies)
    return out


@dataclass(frozen=True)
class DecidedResult:
    """What a policy-driven publish did (the repos a policy leaves alone are the caller's to
    name: the plan and the decisions say which)."""

    applied: ApplyResult

    @property
    def complete(self) -> bool:
        return self.applied.complete


def _route(decision: Decision) -> Literal["main", "pr"] | None:
    """Where a decision's card goes: a commit to main, nb-release's pull request, or nowhere.
    A new decision is named here by mypy: publishing must know what it writes."""
    match decision:
        case "publish":
            return "main"
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
    """Publish the repos decided `publish` (to main, or as PRs with create_pr), open or update
    nb-release's PR for those decided `pr`, and leave those decided `skip` alone."""

    routes = {e.repo_id: _route(decisions.get(e.repo_id, "none")) for e in plan.entries}
    writing = replace(
        plan,
        entries=tuple(
            e for e in plan.entries if routes[e.repo_id] is not None or e.action == "unchanged"
        ),
    )
    as_pr = {repo for repo, route in routes.items() if route == "pr"}
    applied = apply_plan(writing, hub, create_pr=create_pr, as_pr=as_pr, jobs=jobs, on_done=on_done)
    return DecidedResult(applied)
