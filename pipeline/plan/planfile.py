"""The plan file: versioned JSON, read strictly and written atomically.

The Pydantic models below are the one schema: a plan is written through them (each model reads
its record's attributes) and read back by them, strictly, with unknown fields refused. The field
tables of docs/plan-schema.md are generated from them (`python -m pipeline.plan.planfile` prints
them; a test keeps the document current). Keys are written sorted, two-space indented, UTF-8, LF,
with a trailing newline. schema_version policy: any change to the shape (a field added, removed,
renamed, retyped or given a new meaning; a new action or state) bumps it; a reader refuses any
version it does not know, newer or older (plans live for minutes: plan again, never migrate).
"""

from __future__ import annotations

import json
import types
import typing
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, JsonValue, ValidationError

from pipeline.atomic import write_text_atomically
from pipeline.card.diff import CardDiff, ChangeKind, MetadataChange
from pipeline.english import plural
from pipeline.errors import PlanError
from pipeline.keypaths import key_path
from pipeline.localfiles import UnreadableFile, nesting_depth, read_regular_file
from pipeline.ownership import (
    POLICIES,
    STATES,
    UPDATE_STATES,
    WRITE_ACTIONS,
    Action,
    Drift,
    Ownership,
    Policy,
    State,
    state_of_action,
    states_of_action,
)
from pipeline.plan.files import FileEntry
from pipeline.plan.model import HEAD_ACTIONS, PLAN_KIND, SCHEMA_VERSION, Plan, PlanEntry
from pipeline.records import CommitRecord, OpenPull

_REPLAN = "run `nb-release plan` again to make a fresh plan"

# The Hub keeps a README under 10 MiB outside Git LFS, and nb-release renders a card of at most
# 1 MiB; a plan entry holds the rendered card and its diffs against the live one: real entries
# are 10 to 30 KB, so 5,000 variants (the largest family the bench measures) make a plan of about
# 150 MB at most. 256 MiB holds that, or 25 entries of cards at the Hub's limit, and keeps a
# stray file from being loaded whole.
MAX_PLAN_BYTES = 256 * 1024 * 1024
# A plan nests 8 levels (entries[i].ownership.drift.commits[j].authors[k]) plus the front-matter
# values in metadata_changes (`model-index` nests about 6 deep); the JSON decoder recurses once
# per level and fails near 1,000.
MAX_PLAN_DEPTH = 64


# --- JSON -----------------------------------------------------------------------------------


def plan_to_json(plan: Plan) -> dict[str, Any]:
    """The plan as JSON-ready data, made by the models below: the schema that reads it back."""
    return _to_json(_PlanModel, plan)


def change_to_json(change: MetadataChange) -> dict[str, Any]:
    return _to_json(_ChangeModel, change)


def drift_to_json(drift: Drift) -> dict[str, Any]:
    return _to_json(_DriftModel, drift)


def commit_to_json(commit: CommitRecord) -> dict[str, Any]:
    return _to_json(_CommitModel, commit)


def _to_json(model: type[_Model], record: object) -> dict[str, Any]:
    """A record (Plan, PlanEntry, CommitRecord, ...) as its model writes it to the file.

    The model reads the record's attributes by field name (`commit_id`), and writes each field
    under the name the file gives it (`id`). Lax mode lets the records' tuples stand for the
    file's lists; reading a file stays strict.
    """
    found = model.model_validate(record, from_attributes=True, by_name=True, strict=False)
    return found.model_dump(by_alias=True)


class _Model(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)


def _doc(text: str, *, name: str | None = None) -> Any:
    """A required field with its meaning (the generated docs/plan-schema.md shows it), and its
    name in the file when that is not the record's attribute name."""
    return Field(description=text, alias=name)


def _words(words: Iterable[str]) -> str:
    return ", ".join(f"`{word}`" for word in words)


class _ChangeModel(_Model):
    """One front-matter value that differs."""

    key_path: str = _doc(
        "where: `license`, `model-index[0].name`, `language[2]`; a key that is not letters, "
        'digits, `_` or `-` is quoted: `["a.b"]`'
    )
    kind: ChangeKind = _doc("`added`, `removed` or `changed`")
    old: JsonValue = _doc("the live value; null when `added`")
    new: JsonValue = _doc("the rendered value; null when `removed`")


class _DiffModel(_Model):
    """What nb-release would change in README.md (live -> rendered)."""

    metadata_changes: list[_ChangeModel] = _doc(
        "the front matter compared as data (YAML 1.2), key by key"
    )
    reformat_only: bool = _doc(
        "the front-matter data is equal but its bytes differ (quoting, key order, comments, flow "
        "vs block style, spacing around the `---` lines)"
    )
    live_metadata_error: str | None = _doc(
        "why the live front matter could not be read as YAML (then `metadata_changes` is empty); "
        "null otherwise"
    )
    body_diff: str = _doc(
        "unified diff of the body (the card after the front matter), `--- a/README.md` / `+++ "
        "b/README.md` headers, 3 lines of context, hunk line numbers counted in the whole file; "
        r'`""` when the bodies are equal. A last line without a newline is marked `\ No newline at '
        "end of file`"
    )
    lines_added: int = _doc(
        "lines added over the whole card (a changed line counts as one removed and one added)"
    )
    lines_removed: int = _doc("lines removed over the whole card")


class _CommitModel(_Model):
    """A commit of the repo's main branch."""

    commit_id: str = _doc("the commit id (40 hex characters)", name="id")
    created_at: str = _doc(
        "ISO 8601, UTC: the Hub's date; for nb-release's own commit read from the cache, this "
        "machine's clock as the commit landed (the Hub's answer to a commit carries no date)",
        name="date",
    )
    authors: list[str] = _doc("the Hub user names")
    title: str = _doc("the first line of the message")
    message: str = _doc("the whole message (nb-release's trailers included)")


class _DriftModel(_Model):
    """An edit made on the Hub after nb-release's last publish."""

    commits: list[_CommitModel] = _doc("the commits since, newest first, that changed the card")
    edit_diff: str = _doc("their edit: nb-release's last publish -> live, a unified diff")
    lines_added: int = _doc("of their edit")
    lines_removed: int = _doc("of their edit")


class _OwnerModel(_Model):
    """What backs an entry's state."""

    published: _CommitModel | None = _doc("nb-release's last publish; null for `adopt`")
    replaced: list[_CommitModel] = _doc(
        "the commits an `overwrite` replaces: for drift the commits since nb-release's last "
        "publish that changed README.md, for adopt the branch's commits, newest first. The "
        "overwrite's commit description names them"
    )
    drift: _DriftModel | None = _doc(
        "for `drift` and `drift+pending`: `commits` (array of commit: the commits since "
        "nb-release's last publish that changed README.md, newest first), `edit_diff` (string: "
        "unified diff of their edit, nb-release's last publish -> live, headers `a/README.md "
        "(nb-release, <id>)` / `b/README.md (live)`), `lines_added`, `lines_removed` (integers, of"
        " that edit); null otherwise. The `diff` object stays nb-release's own change (live -> "
        "rendered)"
    )


class _PullModel(_Model):
    """nb-release's own pull request on the repo, open for review."""

    number: int = Field(ge=1, description="its number on the Hub")
    url: str = _doc("its page on the Hub")


class _FileModel(_Model):
    """A file nb-release keeps in the repo besides README.md (the manifest's `files`)."""

    path: str = _doc("its path in the repo, such as `NOTICE`")
    action: Action = _doc(
        "`create` (the repo lacks it), `update`, `unchanged`; `create-repo` and `missing-repo` "
        "as the repo's"
    )
    state: State = _doc(
        "as an entry's state, for this file alone; the entry's state is the most demanding of "
        "its card's and its files' (a hand edit of one file is drift of the repo)"
    )
    content: str | None = _doc(
        "the whole rendered or copied file to write, exactly for the actions that write; null "
        "otherwise"
    )
    diff: str = _doc("unified diff, live -> rendered, `a/<path> (live)` / `b/<path> (rendered)`")
    lines_added: int = _doc("lines added")
    lines_removed: int = _doc("lines removed")


class _EntryModel(_Model):
    """One managed repo, in manifest order."""

    repo_id: str = _doc("`namespace/name` on the Hub")
    variant: str = _doc("the manifest's name for the variant")
    action: Action = _doc("one of the actions above")
    state: State = _doc(
        f"one of the states above; {_words(s for s in STATES if s not in UPDATE_STATES)} equal the "
        "action, the others go with `update`"
    )
    on_drift: Policy | None = _doc(
        f"the manifest's policy for this repo when drifted ({_words(POLICIES)}), or null when the "
        "manifest sets none"
    )
    on_adopt: Policy | None = _doc("the same for adoption")
    owner: _OwnerModel | None = _doc(
        "what backs the state (below); null when no history was read (every state but "
        f"{_words(s for s in STATES if s in UPDATE_STATES)})",
        name="ownership",
    )
    head_sha: str | None = _doc(
        "the head commit of `main` the diff was made against; `apply` commits with it as parent, "
        "so a card changed since the plan is not overwritten. A string for `create`, `update` and "
        "`unchanged`; null for `create-repo` and `missing-repo`"
    )
    content: str | None = _doc(
        "the whole rendered `README.md` to write (front matter + body, LF endings). A string "
        "exactly for the actions that write (`create`, `update`, `create-repo`); null otherwise"
    )
    diff: _DiffModel = _doc("how the card changes (below)")
    pull: _PullModel | None = _doc(
        "nb-release's own pull request open on the repo (`number`, `url`), or null when there is "
        "none or none was looked for: a plan looks only where the card differs from its render "
        "or the project keeps a hand edit of it, and only with a token. Set for `proposed`",
        name="pull_request",
    )
    files: list[_FileModel] = _doc(
        "the repo's other managed files, in path order (empty when the manifest declares none); "
        "one commit writes them with the card"
    )


class _PlanModel(_Model):
    """The plan file."""

    kind: Literal["nb-release.plan"] = Field(
        default=PLAN_KIND,  # a Plan has no kind: the file has one
        description='always `"nb-release.plan"`; a plan report or any other JSON is refused',
    )
    schema_version: Literal[4] = _doc(
        '`4`. Any other value (also `"4"`, `4.0`, or the `1` to `3` of older nb-release) is refused'
    )
    tool_version: str = _doc("the nb-release version that made the plan")
    created_at: str = _doc(
        "when the plan was made: ISO 8601, UTC, to the second, with `Z` (`2025-01-31T12:00:00Z`)"
    )
    hub: str = _doc(
        "the Hub endpoint the live cards were read from (`https://huggingface.co`, or a local "
        "Hub); no credentials"
    )
    fingerprint: str = _doc(
        "fingerprint of the manifest and templates the cards were rendered from (computed by the "
        "caller); `apply` must refuse a plan whose fingerprint no longer matches"
    )
    entries: list[_EntryModel] = _doc(
        "one per managed repo, in manifest order; every repo appears once"
    )


_MODELS: tuple[type[_Model], ...] = (
    _PlanModel,
    _EntryModel,
    _FileModel,
    _DiffModel,
    _ChangeModel,
    _OwnerModel,
    _CommitModel,
    _DriftModel,
)


def _type_name(annotation: object) -> str:
    """A field's type as the document writes it."""
    if annotation is JsonValue:
        return "any JSON value"
    if isinstance(annotation, type) and issubclass(annotation, _Model):
        return f"[{_title(annotation)}](#{_title(annotation).lower()})"
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is Literal:
        return " \\| ".join(f"`{json.dumps(a)}`" for a in args)
    if origin in (types.UnionType, typing.Union):
        return " or ".join(_type_name(a) for a in args if a is not type(None)) + " or null"
    if origin is list:
        return f"list of {_type_name(args[0])}"
    names = {str: "string", int: "integer", bool: "boolean"}
    if isinstance(annotation, type) and annotation in names:
        return names[annotation]
    raise TypeError(f"no document name for {annotation!r}")  # a new field type: name it here


def _title(model: type[_Model]) -> str:
    return model.__name__.removeprefix("_").removesuffix("Model").lower()


def schema_markdown() -> str:
    """The field tables of docs/plan-schema.md, generated from the models above."""
    out: list[str] = []
    for model in _MODELS:
        out += [f"#### {_title(model)}", "", (model.__doc__ or "").strip(), ""]
        out += ["| field | type | meaning |", "| --- | --- | --- |"]
        for name, field in model.model_fields.items():
            meaning = (field.description or "").replace("|", "\\|")
            out.append(f"| `{field.alias or name}` | {_type_name(field.annotation)} | {meaning} |")
        out.append("")
    return "\n".join(out)


def plan_from_json(data: object, source: str) -> Plan:
    """Validate plan data read from `source` (a file name, for messages); raise PlanError if bad."""
    if not isinstance(data, dict):
        raise PlanError(f"{source}: not a plan file: expected a JSON object", hint=_REPLAN)
    if data.get("kind") != PLAN_KIND:
        raise PlanError(
            f"{source}: not a plan file: `kind` is {data.get('kind')!r}, expected {PLAN_KIND!r}",
            hint=_REPLAN,
        )
    version = data.get("schema_version")
    if version != SCHEMA_VERSION or type(version) is not int:
        raise PlanError(
            f"{source}: plan schema_version {version!r} is not supported "
            f"(this nb-release reads schema_version {SCHEMA_VERSION})",
            hint=_REPLAN,
        )
    try:
        model = _PlanModel.model_validate(data)
    except ValidationError as exc:
        lines = [f"  {_loc(err['loc'])}: {err['msg']}" for err in exc.errors()]
        count = len(lines)
        raise PlanError(
            f"{source}: not a valid plan ({plural(count, 'problem')}):\n" + "\n".join(lines),
            hint=_REPLAN,
        ) from None
    problems = [p for i, e in enumerate(model.entries) for p in _entry_problems(i, e)]
    seen: set[str] = set()
    for index, entry in enumerate(model.entries):
        if entry.repo_id in seen:
            problems.append(f"  entries[{index}].repo_id: {entry.repo_id!r} appears twice")
        seen.add(entry.repo_id)
    if problems:
        count = len(problems)
        raise PlanError(
            f"{source}: not a valid plan ({plural(count, 'problem')}):\n" + "\n".join(problems),
            hint=_REPLAN,
        )
    return Plan(
        schema_version=model.schema_version,
        tool_version=model.tool_version,
        created_at=model.created_at,
        hub=model.hub,
        fingerprint=model.fingerprint,
        entries=tuple(_entry_from_model(e) for e in model.entries),
    )


def _entry_problems(index: int, entry: _EntryModel) -> list[str]:
    where = f"  entries[{index}]"
    problems = []
    if entry.action in WRITE_ACTIONS and entry.content is None:
        problems.append(f"{where}.content: missing for action {entry.action!r}, which writes")
    if entry.action not in WRITE_ACTIONS and entry.content is not None:
        problems.append(f"{where}.content: must be null for action {entry.action!r}")
    if entry.state not in states_of_action(entry.action):
        problems.append(f"{where}.state: {entry.state!r} does not fit action {entry.action!r}")
    for number, file in enumerate(entry.files):
        at = f"{where}.files[{number}]"
        if (file.action in WRITE_ACTIONS) != (file.content is not None):
            problems.append(f"{at}.content: must be set exactly when action {file.action!r} writes")
        if file.state not in states_of_action(file.action):
            problems.append(f"{at}.state: {file.state!r} does not fit action {file.action!r}")
    if entry.state == "proposed" and entry.pull is None:
        problems.append(f"{where}.pull_request: missing for state 'proposed'")
    needs_head = entry.action in HEAD_ACTIONS
    if needs_head and entry.head_sha is None:
        problems.append(f"{where}.head_sha: missing for action {entry.action!r}")
    if not needs_head and entry.head_sha is not None:
        problems.append(f"{where}.head_sha: must be null for action {entry.action!r}")
    return problems


def _entry_from_model(entry: _EntryModel) -> PlanEntry:
    diff = entry.diff
    return PlanEntry(
        repo_id=entry.repo_id,
        variant=entry.variant,
        action=entry.action,
        head_sha=entry.head_sha,
        content=entry.content,
        diff=CardDiff(
            repo_id=entry.repo_id,
            action=entry.action,
            metadata_changes=tuple(
                MetadataChange(c.key_path, c.kind, c.old, c.new) for c in diff.metadata_changes
            ),
            reformat_only=diff.reformat_only,
            live_metadata_error=diff.live_metadata_error,
            body_diff=diff.body_diff,
            lines_added=diff.lines_added,
            lines_removed=diff.lines_removed,
        ),
        owner=_owner_from_model(entry),
        on_drift=entry.on_drift,
        on_adopt=entry.on_adopt,
        pull=None if entry.pull is None else OpenPull(entry.pull.number, entry.pull.url),
        files=tuple(
            FileEntry(
                f.path,
                f.action,
                f.content,
                f.diff,
                f.lines_added,
                f.lines_removed,
                None if f.state == state_of_action(f.action) else Ownership(f.state),
            )
            for f in entry.files
        ),
    )


def _commit_from_model(commit: _CommitModel) -> CommitRecord:
    return CommitRecord(
        commit.commit_id, commit.created_at, tuple(commit.authors), commit.title, commit.message
    )


def _owner_from_model(entry: _EntryModel) -> Ownership | None:
    owner = entry.owner
    if owner is None:
        # No history read: the action's own state needs no Ownership (PlanEntry.state).
        return None if entry.state == state_of_action(entry.action) else Ownership(entry.state)
    drift = owner.drift
    return Ownership(
        state=entry.state,
        published=_commit_from_model(owner.published) if owner.published else None,
        drift=None
        if drift is None
        else Drift(
            commits=tuple(_commit_from_model(c) for c in drift.commits),
            edit_diff=drift.edit_diff,
            lines_added=drift.lines_added,
            lines_removed=drift.lines_removed,
        ),
        replaced=tuple(_commit_from_model(c) for c in owner.replaced),
    )


def _loc(loc: Sequence[int | str]) -> str:
    return key_path(loc) or "(top level)"


# --- the file -------------------------------------------------------------------------------


def dumps_json(data: Mapping[str, Any]) -> str:
    """Stable JSON text: sorted keys, two-space indent, UTF-8 characters kept, trailing newline."""
    return json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False, allow_nan=False) + "\n"


def write_plan(plan: Plan, path: Path) -> None:
    """Save the plan atomically: a reader sees the old file or the new one, never half of one."""
    write_text_atomically(path, dumps_json(plan_to_json(plan)))


def read_plan(path: Path) -> Plan:
    """Load and validate a plan file; every failure is a PlanError naming the file."""
    path = Path(path)
    try:
        raw = read_regular_file(path, MAX_PLAN_BYTES, "a plan file")
    except UnreadableFile as exc:
        if exc.missing:
            raise PlanError(f"{path}: no such plan file", hint=_REPLAN) from None
        raise PlanError(f"{path}: cannot read the plan: {exc.reason}") from None
    try:
        text = raw.decode("utf-8")
        data = json.loads(text)
    except UnicodeDecodeError as exc:
        raise PlanError(
            f"{path}: not a plan file: not UTF-8 ({exc.reason})", hint=_REPLAN
        ) from None
    except json.JSONDecodeError as exc:
        raise PlanError(
            f"{path}:{exc.lineno}:{exc.colno}: not a plan file: invalid JSON ({exc.msg})",
            hint=_REPLAN,
        ) from None
    except RecursionError:  # the JSON decoder recurses once per level
        raise _too_deep(path, text) from None
    if nesting_depth(data, beyond=MAX_PLAN_DEPTH) > MAX_PLAN_DEPTH:
        raise _too_deep(path, text)
    return plan_from_json(data, source=str(path))


def _too_deep(path: Path, text: str) -> PlanError:
    line, column = _deep_place(text, MAX_PLAN_DEPTH)
    return PlanError(
        f"{path}:{line}:{column}: not a plan file: objects and arrays nest more than "
        f"{MAX_PLAN_DEPTH} levels deep here",
        hint=_REPLAN,
    )


def _deep_place(text: str, beyond: int) -> tuple[int, int]:
    """Line and column (1-based) of the first `[` or `{` that opens level `beyond + 1`."""
    depth, in_string, escaped = 0, False, False
    for index, char in enumerate(text):
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            if depth > beyond:
                line = text.count("\n", 0, index) + 1
                return line, index - (text.rfind("\n", 0, index) + 1) + 1
        elif char in "]}":
            depth -= 1
    return 1, 1


# `python -m pipeline.plan.planfile`: the field tables
if __name__ == "__main__":  # pragma: no cover
    print(schema_markdown(), end="")
