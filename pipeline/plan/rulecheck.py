"""The compliance rules (pipeline/compliance.py) run over the repos of a run, before any write.

The facts come from what the run has already: the rendered cards, the NOTICE each repo will
hold, and the file names of the namespace listing (`siblings`, one request per 1,000 repos, the
listing the plan makes anyway): no request per repo. A mandatory rule a repo fails stops the run
with one located error (exit 1); advisory findings go to every report.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from pipeline.compliance import NOTICE, Finding, RepoFacts, failed_rules, leveled
from pipeline.english import agrees, plural
from pipeline.errors import ComplianceError, Problem
from pipeline.manifest.sources import rule_settings
from pipeline.records import RenderedCard


def repo_facts(
    cards: Sequence[RenderedCard], files: Mapping[str, frozenset[str]] | None
) -> list[RepoFacts]:
    """What the rules read of each card's repo (see run_rules)."""
    facts = []
    for card in cards:
        managed = {f.path: f.content for f in card.files if f.content is not None}
        listed = None if files is None else files.get(card.repo_id, frozenset())
        facts.append(
            RepoFacts(
                repo_id=card.repo_id,
                card=card.content,
                notice=managed.get(NOTICE),
                files=None if listed is None else listed | frozenset(managed),
            )
        )
    return facts


def run_rules(
    manifest_path: Path,
    manifest_bytes: bytes,
    cards: Sequence[RenderedCard],
    files: Mapping[str, frozenset[str]] | None,
    known: Mapping[str, tuple[str, Sequence[tuple[str, str]]]] | None = None,
    order: Sequence[str] | None = None,
) -> tuple[Finding, ...]:
    """Every finding of the rules over these cards; raise ComplianceError when one blocks.

    `files`: each repo's file paths as the listing shows them (None: not read, as in
    `validate`, and the rules on files are not checked); a repo the listing lacks has none yet.
    The files nb-release keeps in each repo (the card's companions: NOTICE, LICENSE) count as
    there, with the text it publishes: the NOTICE rule reads that text. `known`: the repos whose
    failed rules are known without their card (repo id: its variant and compliance.failed_rules,
    kept in the cache for facts that have not changed); `order`: the repos' order, the cards'
    and the known ones' (by default the cards', then the known)."""
    levels, line_of = rule_settings(manifest_path, manifest_bytes)
    failed: dict[str, Sequence[tuple[str, str]]] = {
        f.repo_id: failed_rules(f) for f in repo_facts(cards, files)
    }
    variants = {card.repo_id: card.variant for card in cards}
    for repo_id, (variant, known_failed) in (known or {}).items():
        failed[repo_id] = known_failed
        variants[repo_id] = variant
    ordered = order if order is not None else list(failed)
    findings = tuple(f for repo_id in ordered for f in leveled(repo_id, failed[repo_id], levels))
    blocking = [f for f in findings if f.blocks]
    if blocking:
        problems = [
            Problem(
                str(manifest_path),
                f"{f.repo_id}: rule {f.rule} (mandatory): {f.message}",
                line_of(variants[f.repo_id]),
                None,
            )
            for f in blocking
        ]
        count = len({f.repo_id for f in blocking})
        error = ComplianceError(
            f"{plural(count, 'repo')} {agrees(count, 'fails', 'fail')} a mandatory compliance "
            "rule; nothing is published",
            problems,
        )
        names = sorted({f.rule for f in blocking})
        error.hint = (
            "fix the card, NOTICE or files, or set the rule's level in models.toml: "
            + ", ".join(f'[rules] {rule} = "advisory"' for rule in names)
        )
        raise error
    return findings
