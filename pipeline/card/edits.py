"""Kept hand edits: the files under cards/edits/ that carry a person's edit of a card through
every later render.

One repo, two files, named after its repo id with `/` as `__`:

* `<namespace>__<name>.patch`: a unified diff (3 lines of context, as `diff -u` and `git diff`
  write it) from the base card to the edited card, so a reviewer reads the edit itself in the
  pull request that keeps it. Its `# ` header names the repo, the base file and its sha256, and
  the Hub commits (id, authors, title) the edit came from.
* `<namespace>__<name>.base.md`: the base card, byte for byte: the card the edit was made
  against. A patch alone would be re-applied by fuzzy matching of its context; with the base at
  hand the edited card is exactly `base + patch`, and the merge through a new render is an exact
  three-way merge (pipeline/card/merge.py: base, the new render, the edited card), the way
  cruft and copier's `update` merge template changes into a hand-edited project.

Every file under cards/ is read once, hashed into the fingerprint and rendered from the same
bytes (pipeline/manifest/sources.py): the edits are read from those bytes, never from the disk
while rendering, and the templates never see them (`templates_only`). Everything here is pure
but `write_edit` and `drop_edit`, which `nb-release keep` calls.
"""

from __future__ import annotations

import difflib
import hashlib
import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from pipeline.atomic import make_folders, write_bytes_atomically
from pipeline.card.merge import three_way
from pipeline.errors import OutputError, Problem, ProblemsError
from pipeline.records import CommitRecord

EDITS = "edits"  # the folder under cards/
PATCH = ".patch"
BASE = ".base.md"
CONTEXT = 3  # lines of context, as `diff -u`
NO_NEWLINE = "\\ No newline at end of file\n"
_HUNK = re.compile(r"@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")
_HINT = (
    "the files under cards/edits/ are written by `nb-release keep REPO`; "
    "`nb-release keep --drop REPO` removes a repo's edit"
)


class EditError(ProblemsError):
    """A kept edit cannot be read, does not apply to its base, or conflicts with the render."""


@dataclass(frozen=True)
class Edit:
    """One repo's kept edit: the base card and the edited card (the base with the patch)."""

    repo_id: str
    patch_file: str  # as shown in messages: cards/edits/<namespace>__<name>.patch
    base: str
    edited: str
    hunks: tuple[tuple[int, int, int], ...]  # (first base line, base lines, line in the patch)


def stem(repo_id: str) -> str:
    """The name of a repo's edit files without their suffix: `NbAiLab__nb-llama-3.1-8B`."""
    return repo_id.replace("/", "__")


def patch_path(cards_dir: Path, repo_id: str) -> Path:
    return cards_dir / EDITS / (stem(repo_id) + PATCH)


def base_path(cards_dir: Path, repo_id: str) -> Path:
    return cards_dir / EDITS / (stem(repo_id) + BASE)


def templates_only(files: Mapping[str, bytes]) -> dict[str, bytes]:
    """The files of cards/ a template may load or read: all but the edits."""
    return {name: data for name, data in files.items() if not name.startswith(EDITS + "/")}


def sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def _lines(text: str) -> list[str]:
    """Lines split at `\\n` only, each keeping it (a `\\r` stays part of its line: the base is
    compared byte for byte)."""
    parts = text.split("\n")
    return [p + "\n" for p in parts[:-1]] + ([parts[-1]] if parts[-1] else [])


def _one_line(text: str) -> str:
    return " ".join(text.split())


# --- writing -------------------------------------------------------------------------------------


def make_patch(repo_id: str, base: str, edited: str, commits: Sequence[CommitRecord]) -> str:
    """The patch file's text: its header, then the unified diff base -> edited."""
    header = [
        f'# nb-release keeps this hand edit of {repo_id} (README.md, "Keeping a hand edit").',
        f"# repo: {repo_id}",
        f"# base: {stem(repo_id)}{BASE} {sha256(base.encode('utf-8'))}",
    ]
    for commit in commits:
        authors = ", ".join(commit.authors) or "?"
        header.append(
            f"# commit: {commit.commit_id} by {_one_line(authors)}: {_one_line(commit.title)}"
        )
    body: list[str] = []
    diff = difflib.unified_diff(
        _lines(base),
        _lines(edited),
        "a/README.md (nb-release's last publish)",
        "b/README.md (the hand edit)",
        n=CONTEXT,
    )
    for line in diff:
        if line.endswith("\n"):
            body.append(line)
        else:
            body.append(line + "\n" + NO_NEWLINE)
    return "\n".join(header) + "\n" + "".join(body)


def write_edit(
    cards_dir: Path, repo_id: str, base: str, edited: str, commits: Sequence[CommitRecord]
) -> list[Path]:
    """Write a repo's two edit files (atomically); the paths written."""
    patch = make_patch(repo_id, base, edited, commits)
    # What is written must read back to exactly the edited card.
    assert apply_patch(base, patch, "(new patch)")[0] == edited
    make_folders(cards_dir / EDITS)
    written = [base_path(cards_dir, repo_id), patch_path(cards_dir, repo_id)]
    write_bytes_atomically(written[0], base.encode("utf-8"))
    write_bytes_atomically(written[1], patch.encode("utf-8"))
    return written


def drop_edit(cards_dir: Path, repo_id: str) -> list[Path]:
    """Remove a repo's edit files; the paths removed (none when it has no edit)."""
    removed: list[Path] = []
    for path in (patch_path(cards_dir, repo_id), base_path(cards_dir, repo_id)):
        try:
            path.unlink()
        except FileNotFoundError:
            continue
        except OSError as exc:
            raise OutputError(f"cannot remove {path}: {exc.strerror or exc}") from None
        removed.append(path)
    return removed


# --- reading -------------------------------------------------------------------------------------


class _Bad(Exception):
    def __init__(self, message: str, line: int | None = None, hint: str | None = None) -> None:
        super().__init__(message)
        self.message, self.line, self.hint = message, line, hint


def _header(lines: Sequence[str]) -> tuple[dict[str, str], int]:
    """The `# key: value` lines before the diff, and the index of the `---` line."""
    found: dict[str, str] = {}
    for index, line in enumerate(lines):
        if line.startswith("--- "):
            return found, index
        if not line.startswith("#"):
            raise _Bad(
                "expected a `# ` header line or the diff's `--- ` line, got "
                f"{line.rstrip()[:60]!r}",
                index + 1,
            )
        key, sep, value = line[1:].strip().partition(": ")
        if sep and key in ("repo", "base") and key not in found:
            found[key] = value.strip()
    raise _Bad("the file holds no diff (no `--- ` line)", len(lines) or None)


def apply_patch(base: str, patch: str, shown: str) -> tuple[str, tuple[tuple[int, int, int], ...]]:
    """The base with the patch applied, exactly (every context and removed line where the hunk
    says), and its hunks; _Bad, at a line of the patch, otherwise. `shown` names the base."""
    lines = _lines(patch)
    _, start = _header(lines)
    if start + 1 >= len(lines) or not lines[start + 1].startswith("+++ "):
        raise _Bad("expected the diff's `+++ ` line after its `--- ` line", start + 2)
    old = _lines(base)
    out: list[str] = []
    hunks: list[tuple[int, int, int]] = []
    pos = 0
    index = start + 2
    while index < len(lines):
        header_line = index + 1
        match = _HUNK.match(lines[index])
        if match is None:
            raise _Bad(
                f"expected a hunk header `@@ -l,n +l,n @@`, got {lines[index].rstrip()[:60]!r}",
                header_line,
            )
        a, b = int(match[1]), int(match[2] or "1")
        c, d = int(match[3]), int(match[4] or "1")
        index += 1
        removed: list[str] = []
        added: list[str] = []
        seen_old = seen_new = 0
        prev = ""  # the kind of the hunk's previous line, for the no-newline marker
        while index < len(lines) and (seen_old < b or seen_new < d or lines[index] == NO_NEWLINE):
            line = lines[index]
            if line.startswith("@@ "):
                break  # the next hunk, early: the counts below say so
            kind, text = line[:1], line[1:]
            if line == NO_NEWLINE:
                target = added if prev == "+" else removed if prev == "-" else None
                if prev == " ":
                    removed[-1] = removed[-1].removesuffix("\n")
                    added[-1] = added[-1].removesuffix("\n")
                elif target is not None:
                    target[-1] = target[-1].removesuffix("\n")
            elif kind == " ":
                removed.append(text)
                added.append(text)
                seen_old += 1
                seen_new += 1
            elif kind == "-":
                removed.append(text)
                seen_old += 1
            elif kind == "+":
                added.append(text)
                seen_new += 1
            else:
                raise _Bad(
                    f"a line of a hunk starts with ' ', '-' or '+', got {line.rstrip()[:60]!r}",
                    index + 1,
                    hint="an editor may have dropped the space that starts an empty context line",
                )
            prev = kind if line != NO_NEWLINE else prev
            index += 1
        if seen_old != b or seen_new != d:
            raise _Bad(
                f"the hunk says -{a},{b} +{c},{d} but holds {seen_old} old and {seen_new} new "
                "lines",
                header_line,
            )
        at = a - 1 if b else a
        if at < pos or at > len(old):
            raise _Bad(
                f"the hunk starts at line {a} of the base, out of order or past its end",
                header_line,
            )
        out.extend(old[pos:at])
        if (c - 1 if d else c) != len(out):
            raise _Bad(
                f"the hunk says the edited card's line {c}, but it falls at line {len(out) + 1}",
                header_line,
            )
        for offset, (want, have) in enumerate(zip(removed, old[at : at + b], strict=False)):
            if want != have:
                raise _Bad(
                    f"the patch does not apply to its base: line {at + offset + 1} of {shown} is "
                    f"{have.rstrip()[:60]!r}, the patch expects {want.rstrip()[:60]!r}",
                    header_line,
                )
        if len(old[at : at + b]) != b:
            raise _Bad(f"the hunk runs past the end of {shown}", header_line)
        out.extend(added)
        pos = at + b
        hunks.append((a, b, header_line))
    if not hunks:
        raise _Bad("the diff holds no hunk: there is no edit to keep", start + 2)
    out.extend(old[pos:])
    return "".join(out), tuple(hunks)


def read_edits(
    cards_dir: Path, files: Mapping[str, bytes], known: Collection[str] | None = None
) -> dict[str, Edit]:
    """Every kept edit among `files` (the bytes of cards/), by repo id. With `known` (the repo
    ids of the manifest), an edit of another repo is a problem. EditError lists every problem."""
    problems: list[Problem] = []
    edits: dict[str, Edit] = {}
    names = sorted(n for n in files if n.startswith(EDITS + "/"))
    stems = {stem(repo_id): repo_id for repo_id in known or ()}
    for name in names:
        shown = str(cards_dir / name)
        leaf = name[len(EDITS) + 1 :]
        if leaf.endswith(BASE):
            if name.removesuffix(BASE) + PATCH not in files:
                problems.append(Problem(shown, "a base card without its patch", hint=_HINT))
            continue
        if not leaf.endswith(PATCH) or "/" in leaf:
            problems.append(
                Problem(
                    shown,
                    f"not an edit file: cards/{EDITS}/ holds <namespace>__<name>"
                    f"{PATCH} and <namespace>__<name>{BASE} files only",
                    hint=_HINT,
                )
            )
            continue
        found = _read_one(cards_dir, name, files, stems if known is not None else None)
        if isinstance(found, Problem):
            problems.append(found)
        else:
            edits[found.repo_id] = found
    if problems:
        raise EditError("the kept edits under cards/edits/ cannot be used", problems)
    return edits


def _read_one(
    cards_dir: Path, name: str, files: Mapping[str, bytes], stems: Mapping[str, str] | None
) -> Edit | Problem:
    shown = str(cards_dir / name)
    leaf_stem = name[len(EDITS) + 1 :].removesuffix(PATCH)
    try:
        text = files[name].decode("utf-8")
    except UnicodeDecodeError as exc:
        return Problem(shown, f"the file is not UTF-8 text (byte {exc.start})", hint=_HINT)
    try:
        header, _ = _header(_lines(text))
        repo_id = header.get("repo")
        if repo_id is None:
            raise _Bad("the header has no `# repo: namespace/name` line", 1)
        if stem(repo_id) != leaf_stem:
            raise _Bad(f"the header names {repo_id!r}, the file's name another repo", 1)
        if stems is not None and leaf_stem not in stems:
            near = difflib.get_close_matches(leaf_stem, list(stems), n=1)
            raise _Bad(
                f"an edit of {repo_id}, which is not a variant of the manifest",
                hint=(f"did you mean {stems[near[0]]!r}? " if near else "")
                + "`nb-release keep --drop REPO` removes the edit of a repo no longer released",
            )
        base_name = name.removesuffix(PATCH) + BASE
        raw = files.get(base_name)
        if raw is None:
            raise _Bad(f"its base card {cards_dir / base_name} is missing", 1)
        want = header.get("base", "").rpartition(" ")[2]
        if want != sha256(raw):
            raise _Bad(
                f"the header's base sha256 is {want or 'missing'}, but {cards_dir / base_name} "
                f"has {sha256(raw)}: the base is not the card the edit was made against",
                1,
            )
        base = raw.decode("utf-8")
        edited, hunks = apply_patch(base, text, str(cards_dir / base_name))
    except (_Bad, UnicodeDecodeError) as exc:
        if isinstance(exc, UnicodeDecodeError):
            return Problem(
                str(cards_dir / base_name), "the base card is not UTF-8 text", hint=_HINT
            )
        return Problem(shown, exc.message, exc.line, hint=exc.hint or _HINT)
    return Edit(repo_id, shown, base, edited, hunks)


# --- merging -------------------------------------------------------------------------------------


def merge(edit: Edit, rendered: str, card: str) -> str | list[Problem]:
    """The kept edit carried into the new render (base, ours = rendered, theirs = edited), or
    one located problem per conflicting region: the edit file, the card, the line, both sides."""
    merged = three_way(edit.base, rendered, edit.edited)
    if merged.text is not None:
        return merged.text
    problems: list[Problem] = []
    for conflict in merged.conflicts:
        line = next((h[2] for h in edit.hunks if h[0] + h[1] >= conflict.base_line), None)
        sides = "".join(
            f"\n      {label}:"
            + "".join(f"\n        | {text.rstrip(chr(10))}" for text in side)
            + ("\n        (nothing)" if not side else "")
            for label, side in (
                ("the new render has", conflict.ours),
                ("the kept edit has", conflict.theirs),
            )
        )
        problems.append(
            Problem(
                edit.patch_file,
                f"the kept edit of {edit.repo_id} conflicts with the new render of {card} at "
                f"line {conflict.base_line} of its base card:{sides}",
                line,
                hint="change the template so the two agree, or take the edit out with "
                f"`nb-release keep --drop {edit.repo_id}` (and keep it again once published)",
            )
        )
    return problems
