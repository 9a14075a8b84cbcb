"""Pure: is a saved plan what the manifest renders now? (A plan file is input, not authority.)

`apply` publishes exactly a plan file, and a plan file can be edited: its fingerprint check only
says which manifest it claims to come from. So before any write every entry is held against a
fresh render: a repo the manifest does not have (another namespace, a made-up name), content
other than the rendered card, an action the manifest does not allow, or a drift or adopt policy
other than the manifest's (an edited `on_drift` would overwrite someone's card) is refused.
"""

from __future__ import annotations

from collections.abc import Sequence

from pipeline.ownership import WRITE_ACTIONS
from pipeline.plan.model import Plan
from pipeline.records import RenderedCard


def plan_problems(plan: Plan, rendered: Sequence[RenderedCard]) -> list[str]:
    """Every way the plan's entries differ from the fresh render; empty when it is faithful."""
    cards = {card.repo_id: card for card in rendered}
    problems: list[str] = []
    for index, entry in enumerate(plan.entries):
        where = f"entries[{index}] ({entry.repo_id})"
        card = cards.get(entry.repo_id)
        if card is None:
            problems.append(f"{where}: the manifest has no such repo")
            continue
        if entry.variant != card.variant:
            problems.append(f"{where}: variant {entry.variant!r}, not {card.variant!r}")
        if entry.action == "create-repo" and not card.allow_create:
            problems.append(f"{where}: action 'create-repo', but the manifest does not allow it")
        if entry.action in WRITE_ACTIONS and entry.content != card.content:
            problems.append(f"{where}: content is not the card the manifest renders now")
        # A companion file is written only where the manifest declares it, with its render.
        declared = {f.path: f.content for f in card.files}
        for file in entry.files:
            if file.path not in declared:
                problems.append(f"{where}: files: the manifest declares no file {file.path!r}")
            elif file.content is not None and file.content != declared[file.path]:
                problems.append(
                    f"{where}: files: {file.path!r} is not the file the manifest renders now"
                )
        for key, planned, manifest in (
            ("on_drift", entry.on_drift, card.on_drift),
            ("on_adopt", entry.on_adopt, card.on_adopt),
        ):
            if planned != manifest:
                problems.append(
                    f"{where}: {key} is {_shown(planned)} in the plan, {_shown(manifest)} in the "
                    "manifest"
                )
    return problems


def _shown(policy: str | None) -> str:
    return "unset" if policy is None else repr(policy)
