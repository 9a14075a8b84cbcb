"""The files nb-release keeps in a repo besides its card (companions such as NOTICE).

Design. The manifest declares them (`files` in `[defaults]`, `[kinds.X]` or a variant: each path
in the repo maps to `{ template = "NOTICE.j2" }`, rendered by the card's sandboxed environment
with the card's context, or `{ copy = "LICENSE" }`, a project file kept byte for byte; a
variant's path overrides its kind's, which overrides [defaults]). A rendered card carries them
(RenderedCard.files) and a live card carries each at the head it was read at (LiveCard.files).
The repo stays the unit of a plan: each plan entry keeps its README fields and gains one
sub-entry per companion (plan.model.FileEntry: path, action, state, diff, content); the entry's
action and state are those of the repo as a whole (a hand edit of NOTICE is drift of the repo,
decided by the same policies), and one commit writes every managed file that changes, with the
README, on the head the plan saw. A path the manifest does not declare is never read or written.

Companion files are text: a `copy` must be UTF-8 (decoded strictly, so encoding it again gives
the same bytes), which lets plans, caches and diffs keep them as strings.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import jinja2

from pipeline.card._templating import render_bounded
from pipeline.errors import Problem
from pipeline.keypaths import key_path
from pipeline.manifest.model import Manifest, Variant
from pipeline.records import ManagedFile


def render_companions(
    manifest: Manifest,
    variant: Variant,
    env: jinja2.Environment,
    context: Mapping[str, Any],
    copies: Mapping[str, bytes],
    cards_dir: str,
) -> tuple[list[ManagedFile], list[Problem]]:
    """Each companion file of `variant`, rendered or copied; the problems of those that fail,
    located at the manifest key that declares the file."""
    out: list[ManagedFile] = []
    problems: list[Problem] = []
    file = str(manifest.path)
    for companion in variant.files:
        where = key_path(["models", variant.index, "files", companion.path])
        if companion.template is not None:
            try:
                template = env.get_template(companion.template)
            except jinja2.TemplateNotFound:
                problems.append(
                    Problem(
                        file,
                        f"the file {companion.path!r} names the template "
                        f"{companion.template!r}, which is not a file under {cards_dir}/",
                        variant.line,
                        key_path=where,
                        hint=f"add {cards_dir}/{companion.template}, or fix the name in `files`",
                    )
                )
                continue
            try:
                text = render_bounded(template, dict(context))
            except Exception as exc:  # a template's failure is a problem of that template
                problems.append(
                    Problem(
                        f"{cards_dir}/{companion.template}",
                        f"rendering {companion.path!r} for {variant.repo_id} failed: {exc}",
                    )
                )
                continue
            out.append(ManagedFile(companion.path, text))
            continue
        assert companion.copy is not None  # the manifest's shape: exactly one source
        data = copies.get(companion.copy)
        if data is None:
            problems.append(
                Problem(
                    file,
                    f"the file {companion.path!r} copies {companion.copy!r}, which is not a "
                    "readable file inside the project (the manifest's folder)",
                    variant.line,
                    key_path=where,
                )
            )
            continue
        try:
            out.append(ManagedFile(companion.path, data.decode("utf-8")))
        except UnicodeDecodeError:
            problems.append(
                Problem(
                    file,
                    f"the file {companion.path!r} copies {companion.copy!r}, which is not "
                    "UTF-8 text; nb-release keeps text files only",
                    variant.line,
                    key_path=where,
                )
            )
    return out, problems
