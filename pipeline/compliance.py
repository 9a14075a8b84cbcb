"""The licence compliance rules: one table of rules, each a pure check of one repo as a whole.

The Llama 3.x Community Licences (3.1 §1.b.i and §1.b.iii, the same clauses in 3.2 and 3.3) ask
a redistributor of a derivative to provide a copy of the Agreement, to display "Built with
Llama" prominently, to keep the attribution notice in a "Notice" text file distributed with the
copies, and to begin the model's name with "Llama". Each rule checks one of those (or what a
user of a GGUF repo needs: the file its card names) from plain data: the card and the NOTICE
nb-release will publish, and the repo's file names as the Hub's listing gives them (`siblings`).

A rule is `mandatory` (a failure blocks every write) or `advisory` (reported, never blocking);
`[rules]` in models.toml may change a rule's level. No I/O here: the callers gather the facts.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Literal, cast, get_args

RuleName = Literal["built-with-llama", "notice-file", "license-file", "llama-name", "gguf-file"]
RULE_NAMES: tuple[str, ...] = get_args(RuleName)
Level = Literal["mandatory", "advisory"]
LEVELS: tuple[str, ...] = get_args(Level)

BUILT_WITH = "Built with Llama"
LICENSE_NAMES = frozenset({"LICENSE", "LICENSE.txt", "LICENSE.md"})
NOTICE = "NOTICE"


@dataclass(frozen=True)
class RepoFacts:
    """What the rules read of one repo, as it will be after this release."""

    repo_id: str
    card: str  # the README.md nb-release publishes (the rendered card)
    notice: str | None  # the NOTICE nb-release publishes, else the live one; None: no NOTICE
    files: frozenset[str] | None  # the repo's file paths (the listing's siblings); None: unread


@dataclass(frozen=True)
class Finding:
    """One rule a repo fails."""

    repo_id: str
    rule: RuleName
    level: Level
    message: str

    @property
    def blocks(self) -> bool:
        return self.level == "mandatory"


def notice_text(version: str) -> str:
    """The attribution notice the Llama `version` Community License asks for, word for word."""
    return (
        f"Llama {version} is licensed under the Llama {version} Community License, "
        "Copyright © Meta Platforms, Inc. All Rights Reserved."
    )


def _front_matter(card: str) -> str:
    if not card.startswith("---\n"):
        return ""
    end = card.find("\n---", 4)
    return card[4:end] if end != -1 else ""


def _card_value(card: str, key: str) -> str | None:
    """A top-level scalar of the card's front matter (the canonical layout: `key: value`)."""
    found = re.search(rf"^{re.escape(key)}:[ \t]*(.+?)[ \t]*$", _front_matter(card), re.MULTILINE)
    return found.group(1).strip("\"'") if found else None


def _llama_version(card: str) -> str | None:
    """The Llama version of a card whose license is a Llama licence (`llama3.1` -> "3.1")."""
    found = re.fullmatch(r"llama(\d+(?:\.\d+)*)", _card_value(card, "license") or "")
    return found.group(1) if found else None


def _built_with_llama(facts: RepoFacts) -> str | None:
    license_id = _card_value(facts.card, "license") or ""
    if not license_id.startswith("llama") or BUILT_WITH in facts.card:
        return None
    return f'the card does not display "{BUILT_WITH}" (its license is {license_id})'


def _notice_file(facts: RepoFacts) -> str | None:
    version = _llama_version(facts.card)
    if version is None:
        return None
    wanted = notice_text(version)
    if facts.notice is None:
        return f"the repo has no {NOTICE} file; it must carry: {wanted}"
    if wanted not in " ".join(facts.notice.split()):
        return f"the {NOTICE} file does not carry the Llama {version} notice: {wanted}"
    return None


def _license_file(facts: RepoFacts) -> str | None:
    if facts.files is None or facts.files & LICENSE_NAMES:
        return None
    return "the repo holds no LICENSE file (LICENSE, LICENSE.txt or LICENSE.md)"


def _llama_name(facts: RepoFacts) -> str | None:
    name = facts.repo_id.split("/")[-1]
    if name.lower().startswith("llama"):
        return None
    prefix = name.split("-")[0]
    return (
        'the model name does not begin with "Llama", as the Llama licence asks of a '
        f"derivative's name (this one begins with '{prefix}-')"
    )


_GGUF_NAME = re.compile(r"[\w.+-]+\.gguf\b")


def _gguf_file(facts: RepoFacts) -> str | None:
    if facts.files is None or _card_value(facts.card, "library_name") != "gguf":
        return None
    named = sorted(set(_GGUF_NAME.findall(facts.card)))
    if not named:
        return "the card of this GGUF repo names no .gguf file"
    held = {path.rsplit("/", 1)[-1] for path in facts.files}
    missing = [name for name in named if name not in held]
    if not missing:
        return None
    return f"the card names {', '.join(missing)}, which the repo does not hold"


@dataclass(frozen=True)
class Rule:
    name: RuleName
    level: Level  # the default level
    says: str  # what the rule asks, in one line (reports, --help of the table)
    check: Callable[[RepoFacts], str | None]  # what is wrong, or None when it passes


RULES: tuple[Rule, ...] = (
    Rule("built-with-llama", "mandatory", f'the card displays "{BUILT_WITH}"', _built_with_llama),
    Rule("notice-file", "mandatory", "the NOTICE file carries the Llama notice", _notice_file),
    Rule("license-file", "mandatory", "the repo holds a LICENSE file", _license_file),
    Rule("llama-name", "advisory", 'the model name begins with "Llama"', _llama_name),
    Rule("gguf-file", "advisory", "a GGUF repo holds the .gguf file its card names", _gguf_file),
)
assert tuple(rule.name for rule in RULES) == RULE_NAMES  # one table, one vocabulary


def check_repos(
    repos: Iterable[RepoFacts], levels: Mapping[str, str] | None = None
) -> list[Finding]:
    """Every rule each repo fails, in the repos' order then the table's, at the level the
    manifest's `[rules]` sets (else the rule's default)."""
    findings: list[Finding] = []
    for facts in repos:
        findings += leveled(facts.repo_id, failed_rules(facts), levels)
    return findings


def failed_rules(facts: RepoFacts) -> list[tuple[RuleName, str]]:
    """(rule, message) of every rule the repo fails, in the table's order, before any level: a
    function of the facts alone (the cache keeps it for a repo whose facts have not changed)."""
    found: list[tuple[RuleName, str]] = []
    for rule in RULES:
        message = rule.check(facts)
        if message is not None:
            found.append((rule.name, message))
    return found


def leveled(
    repo_id: str, failed: Iterable[tuple[str, str]], levels: Mapping[str, str] | None = None
) -> list[Finding]:
    """The findings of a repo's failed rules, at the level `[rules]` sets (else the rule's)."""
    levels = levels or {}
    defaults: dict[str, Level] = {rule.name: rule.level for rule in RULES}
    return [
        Finding(
            repo_id,
            cast(RuleName, name),
            cast(Level, levels.get(name, defaults[name])),  # validated by the manifest
            message,
        )
        for name, message in failed
    ]
