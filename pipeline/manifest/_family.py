"""The family rules: checks across every [[models]] entry of the manifest, valid or not.

Unique repo ids (also ignoring case), base models that exist in the family, no cycles of base
models, licenses that match the Llama version, quantisations that name their parent and share its
version and size. Each entry is seen as a Member: what of its identity is readable, so one typo
gives one error, not one more per child that names it, and no check runs on a value an entry
lacks.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from pipeline import hubrules
from pipeline.errors import Problem
from pipeline.manifest._places import Locator

# "did you mean" hints per run: difflib over the family for each missing base is quadratic.
MAX_HINTS = 20
_CYCLE_SHOWN = 10


@dataclass(frozen=True)
class Member:
    """What the family checks need of one [[models]] entry, valid or not.

    An entry that fails validation keeps what of its identity is readable (one typo, one
    error): its children still find their base, and no check runs on a value it lacks.
    """

    index: int
    repo_id: str | None
    kind: str | None
    base_model: str | None
    llama_version: str | None
    size: str | None
    license: str | None
    quantization: bool  # whether the entry sets the key at all
    gguf_file: bool

    @property
    def namespace(self) -> str | None:
        return self.repo_id.split("/", 1)[0] if self.repo_id else None


def family_problems(
    members: list[Member], file: str, locator: Locator
) -> tuple[list[Problem], dict[int, int]]:
    """Checks across the family: unique ids, bases that exist, no cycles, licenses, quantised.

    Returns the problems and each child's parent, both by position in `members`.
    """
    problems: list[Problem] = []

    def add(position: int, key: str, message: str, hint: str | None = None) -> None:
        path = f"models[{members[position].index}].{key}"
        line, column = locator.find(path)
        problems.append(Problem(file, message, line, column, path, hint))

    seen: dict[str, int] = {}
    for position, member in enumerate(members):
        if member.repo_id is None:
            continue
        folded = member.repo_id.lower()
        if folded in seen:
            first = members[seen[folded]]
            if first.repo_id == member.repo_id:
                message = f"{member.repo_id!r} is the same repo id as models[{first.index}]"
            else:
                message = (
                    f"{member.repo_id!r} differs only in case from the repo id of "
                    f"models[{first.index}] ({first.repo_id!r})"
                )
            add(
                position,
                "name",
                message,
                "the Hub ignores case in repo ids; give each variant its own name",
            )
        else:
            seen[folded] = position

    namespaces = {m.namespace.lower() for m in members if m.namespace}
    position_of = {m.repo_id.lower(): i for i, m in reversed(list(enumerate(members))) if m.repo_id}
    parents: dict[int, int] = {}
    hinted = 0
    # A member whose repo id could not be read may be the base a child names: then "not a
    # variant" could be false, and is left until that member's own mistake is fixed.
    unknown = any(m.repo_id is None for m in members)
    for position, member in enumerate(members):
        base = member.base_model
        target = position_of.get(base.lower()) if base else None
        if base is None:
            pass
        elif target is not None:
            if members[target].repo_id != base:
                add(
                    position,
                    "base_model",
                    f"base model {base!r} differs in case from the variant "
                    f"{members[target].repo_id!r}",
                    f"write {members[target].repo_id!r}",
                )
            parents[position] = target
        elif base.split("/", 1)[0].lower() in namespaces and not unknown:
            near: list[str] = []
            if hinted < MAX_HINTS:  # difflib over the family for each: quadratic if unbounded
                hinted += 1
                others = [m.repo_id for m in members if m is not member and m.repo_id]
                near = difflib.get_close_matches(base, others, n=1)
            add(
                position,
                "base_model",
                f"base model {base!r} is in the family's namespace but is not a variant "
                "of the manifest",
                f"did you mean {near[0]!r}?" if near else "add that variant, or fix the id",
            )
        expected = hubrules.LLAMA_LICENSES.get(member.llama_version or "")
        if expected is not None and member.license not in (None, expected):
            add(
                position,
                "license",
                f"license {member.license!r} does not match Llama {member.llama_version}",
                f"Llama {member.llama_version} is released under {expected!r}",
            )
        if member.kind == "gguf":
            if base is not None and position not in parents and not unknown:
                add(
                    position,
                    "base_model",
                    "a quantised (gguf) variant must name its parent variant of the manifest "
                    f"as base_model, got {base!r}",
                )
            for key in ("quantization", "gguf_file"):
                if not getattr(member, key):
                    add(position, key, f"a gguf variant needs {key!r}")
        elif member.kind is not None and (member.quantization or member.gguf_file):
            add(position, "quantization", "only gguf variants take quantization and gguf_file")

    reported = _cycles(members, parents, add)

    for position, parent in parents.items():
        child, source = members[position], members[parent]
        if child.kind == "gguf" and position not in reported:
            for key in ("llama_version", "size"):
                mine, theirs = getattr(child, key), getattr(source, key)
                if mine is not None and theirs is not None and mine != theirs:
                    add(
                        position,
                        key,
                        f"{key} {mine!r} differs from its parent {source.repo_id!r} ({theirs!r})",
                        "a quantisation has the Llama version and size of the model it quantises",
                    )
    return problems, parents


def _cycles(
    members: list[Member], parents: Mapping[int, int], add: Callable[[int, str, str], None]
) -> set[int]:
    """Report each cycle of base models once, at its first member; return every member of one.

    Each member has at most one parent, so one walk per member over unvisited nodes finds every
    cycle in linear time: a family of thousands in one long chain must not take minutes.
    """
    done: set[int] = set()
    in_cycles: set[int] = set()
    for start in sorted(parents):
        path: dict[int, int] = {}  # node -> its place on this walk
        node: int | None = start
        while node is not None and node not in done and node not in path:
            path[node] = len(path)
            node = parents.get(node)
        if node is not None and node in path:
            cycle = list(path)[path[node] :]
            first = cycle.index(min(cycle))
            cycle = cycle[first:] + cycle[:first]
            in_cycles.update(cycle)
            shown = [str(members[i].repo_id) for i in cycle[:_CYCLE_SHOWN]]
            if len(cycle) > _CYCLE_SHOWN:
                shown.append(f"... ({len(cycle) - _CYCLE_SHOWN} more)")
            names = " -> ".join([*shown, str(members[cycle[0]].repo_id)])
            add(cycle[0], "base_model", f"base models form a cycle: {names}")
        done.update(path)
    return in_cycles
