"""The target Hub's own check of every card a run would write, before its first write.

nb-release's offline checks (card/_metadata.py) are a model of the Hub's rules; the Hub is the
judge. Every card a run would create or update is sent to the target's validate-yaml endpoint
first; one refusal stops the run with every refusal listed, and nothing is written for any repo.
An unchanged card, or one a policy leaves alone, costs no request.
"""

from __future__ import annotations

from collections.abc import Sequence

from pipeline.errors import Problem, ProblemsError
from pipeline.hub.client import Hub
from pipeline.plan.model import PlanEntry

SKIP_FLAG = "--no-hub-validation"


class HubRefusedError(ProblemsError):
    """The target Hub refuses the metadata of one or more cards: nothing was written."""

    def __init__(self, title: str, problems: list[Problem]) -> None:
        super().__init__(title, problems)
        self.hint = (
            "change the manifest value or template that makes the key, then run again; "
            f"{SKIP_FLAG} skips this check (the Hub still refuses such a card when it is "
            "committed)"
        )


def check_on_hub(hub: Hub, entries: Sequence[PlanEntry]) -> int:
    """Ask the Hub about the card of each entry that writes one; raise HubRefusedError listing
    every refusal (by repo, then key). Returns how many cards were asked about."""
    contents = {e.repo_id: e.content for e in entries if e.content is not None}
    if not contents:
        return 0
    refused = hub.validate_cards(contents)
    if refused:
        variants = {e.repo_id: e.variant for e in entries}
        problems = [
            Problem(
                file=f"{repo_id} (variant {variants.get(repo_id, repo_id)})",
                key_path=found.key,
                message=f"the Hub says: {found.message}",
            )
            for repo_id in contents
            for found in refused.get(repo_id, ())
        ]
        cards = "1 card" if len(refused) == 1 else f"{len(refused)} cards"
        raise HubRefusedError(
            f"the Hub refuses the metadata of {cards} (its validate-yaml, at "
            f"{hub.target.display}); nothing was published",
            problems,
        )
    return len(contents)
