"""pipeline.card.edits: the kept edit files, read from the bytes of cards/, applied exactly, and
every bad input a located problem."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from pipeline.card.edits import (
    EditError,
    apply_patch,
    make_patch,
    merge,
    read_edits,
    sha256,
    templates_only,
)
from pipeline.card.render import render_all
from pipeline.errors import TemplateError
from pipeline.manifest.sources import load_sources
from pipeline.ownership import decide_update
from pipeline.records import CommitRecord

REPO = "NbAiLab/nb-llama-3.1-8B"
CARDS = Path("cards")
PATCH = "edits/NbAiLab__nb-llama-3.1-8B.patch"
BASE_FILE = "edits/NbAiLab__nb-llama-3.1-8B.base.md"
BASE = "---\nlicense: llama3.1\n---\n# Card\n\n" + "".join(f"line {i}\n" for i in range(1, 21))
EDITED = BASE.replace("line 10\n", "line 10, fixed by hand\n") + "\n## Evaluation\n"
COMMIT = CommitRecord("0123456789abcdef", "2024-05-01", ("kari",), "Fix line\n10", "")


def _files(base: str = BASE, edited: str = EDITED, patch: str | None = None) -> dict[str, bytes]:
    text = make_patch(REPO, base, edited, [COMMIT]) if patch is None else patch
    return {
        "base.md.j2": b"{{ model_name }}\n",
        PATCH: text.encode(),
        BASE_FILE: base.encode(),
    }


def _problem(files: dict[str, bytes], known: tuple[str, ...] = (REPO,)) -> str:
    with pytest.raises(EditError) as caught:
        read_edits(CARDS, files, known)
    (problem,) = caught.value.problems
    return problem.format()


@pytest.mark.parametrize(
    ("base", "edited"),
    [
        (BASE, EDITED),
        (BASE, BASE.removesuffix("\n")),  # the newline at the end dropped
        (BASE.removesuffix("\n"), BASE + "more\n"),
        (BASE, BASE.replace("\n", "\r\n")),  # carriage returns kept byte for byte
        ("", "a new card\n"),
        (BASE, ""),
        (BASE, "line 1\n" + BASE),
    ],
)
def test_a_written_patch_applies_to_its_base_to_give_the_edited_card(
    base: str, edited: str
) -> None:
    edit = read_edits(CARDS, _files(base, edited), (REPO,))[REPO]
    assert edit.base == base and edit.edited == edited
    assert edit.patch_file == str(CARDS / PATCH)


def test_the_patch_is_a_reviewable_diff_with_a_header_naming_repo_base_and_commits() -> None:
    text = make_patch(REPO, BASE, EDITED, [COMMIT])
    lines = text.splitlines()
    assert lines[1] == f"# repo: {REPO}"
    assert lines[2] == f"# base: NbAiLab__nb-llama-3.1-8B.base.md {sha256(BASE.encode())}"
    assert lines[3] == "# commit: 0123456789abcdef by kari: Fix line 10"  # one line
    assert "-line 10\n+line 10, fixed by hand\n" in text
    assert "+## Evaluation\n" in text


def test_the_templates_never_see_the_edit_files() -> None:
    assert list(templates_only(_files())) == ["base.md.j2"]


def test_a_clean_merge_keeps_the_edit_and_the_new_render() -> None:
    edit = read_edits(CARDS, _files(), (REPO,))[REPO]
    rendered = BASE.replace("line 2\n", "line 2 (template)\n")
    assert merge(edit, rendered, f"{REPO}/README.md") == EDITED.replace(
        "line 2\n", "line 2 (template)\n"
    )


def test_a_conflict_names_the_edit_file_the_card_the_line_and_both_sides() -> None:
    edit = read_edits(CARDS, _files(), (REPO,))[REPO]
    problems = merge(edit, BASE.replace("line 10\n", "line ten\n"), f"{REPO}/README.md")
    assert isinstance(problems, list)
    (problem,) = problems
    text = problem.format()
    assert text.startswith(f"cards/{PATCH}:{problem.line}: ")
    assert f"conflicts with the new render of {REPO}/README.md at line 15 of its base" in text
    assert "| line ten" in text and "| line 10, fixed by hand" in text
    assert f"nb-release keep --drop {REPO}" in text


def test_a_hand_mangled_patch_is_located_at_its_line() -> None:
    text = make_patch(REPO, BASE, EDITED, [COMMIT]).replace("\n line 9\n", "\nline 9\n")
    message = _problem(_files(patch=text))
    assert f"cards/{PATCH}:" in message
    assert "a line of a hunk starts with ' ', '-' or '+', got 'line 9'" in message


def test_a_hunk_whose_counts_are_wrong_is_located() -> None:
    text = make_patch(REPO, BASE, EDITED, [COMMIT]).replace(
        "@@ -12,7 +12,7 @@", "@@ -12,9 +12,7 @@"
    )
    assert "@@ -12,9" in text
    assert "the hunk says -12,9 +12,7" in _problem(_files(patch=text))


def test_a_patch_that_does_not_apply_to_its_base_is_located() -> None:
    text = make_patch(REPO, BASE, EDITED, [COMMIT]).replace("-line 10\n", "-line 11\n")
    message = _problem(_files(patch=text))
    assert "the patch does not apply to its base: line 15 of" in message
    assert "'line 10', the patch expects 'line 11'" in message


def test_a_malformed_file_is_located() -> None:
    assert f"cards/{PATCH}:1: expected a `# ` header line" in _problem(
        _files(patch="hello\n--- a\n+++ b\n")
    )
    assert "holds no diff" in _problem(_files(patch=f"# repo: {REPO}\n"))
    assert "not UTF-8" in _problem({PATCH: b"\xff\xfe", BASE_FILE: b""})


def test_an_edit_of_a_repo_not_in_the_manifest_is_located_with_a_hint() -> None:
    message = _problem(_files(), known=("NbAiLab/nb-llama-3.1-8B-sft",))
    assert f"cards/{PATCH}: an edit of {REPO}, which is not a variant of the manifest" in message
    assert "did you mean 'NbAiLab/nb-llama-3.1-8B-sft'?" in message


def test_a_missing_base_and_a_base_that_is_not_the_headers_are_located() -> None:
    files = _files()
    del files[BASE_FILE]
    assert f"cards/{PATCH}:1: its base card cards/{BASE_FILE} is missing" in _problem(files)
    files = _files()
    files[BASE_FILE] = BASE.replace("line 3", "line three").encode()
    assert "the base is not the card the edit was made against" in _problem(files)


def test_a_header_naming_another_repo_and_stray_files_are_located() -> None:
    text = make_patch("NbAiLab/other", BASE, EDITED, [COMMIT])
    assert "the header names 'NbAiLab/other'" in _problem(_files(patch=text))
    files = _files()
    files["edits/notes.txt"] = b"x"
    assert "cards/edits/notes.txt: not an edit file" in _problem(files)
    files = _files()
    del files[PATCH]
    assert "a base card without its patch" in _problem(files)


def test_apply_patch_refuses_a_patch_without_hunks() -> None:
    with pytest.raises(Exception, match="no hunk"):
        apply_patch(BASE, f"# repo: {REPO}\n--- a\n+++ b\n", "base")


# --- the edits in a render, and in ownership ----------------------------------------------------

ROOT = Path(__file__).resolve().parents[1]
RELEASE = "Update model card\n\nReleased-by: nb-release 0.1.0\nManifest-fingerprint: sha256:ab"


def test_a_live_card_equal_to_the_kept_edit_is_nb_releases_own() -> None:
    ours = CommitRecord("1" * 40, "2024-01-01", ("nb",), "Update model card", RELEASE)
    hand = CommitRecord("2" * 40, "2024-02-01", ("kari",), "Fix", "")
    merged = EDITED.replace("line 2\n", "line 2 (template)\n")
    for kept, state in ((EDITED, "pending"), (None, "drift+pending")):
        found = decide_update(
            rendered=merged, live=EDITED, commits=[hand, ours], published_content=BASE, kept=kept
        )
        assert found.state == state


def test_render_merges_the_edit_from_the_bytes_read_not_from_the_disk() -> None:
    files, manifest = load_sources(ROOT / "models.toml", ROOT / "cards")
    plain = render_all(manifest, files)[0]
    edited = plain.content + "\n## Evaluation\n"
    stem_ = plain.repo_id.replace("/", "__")
    with_edit = dict(files.templates)
    with_edit[f"edits/{stem_}.patch"] = make_patch(
        plain.repo_id, plain.content, edited, []
    ).encode()
    with_edit[f"edits/{stem_}.base.md"] = plain.content.encode()
    changed = dataclasses.replace(files, templates=with_edit)
    assert changed.fingerprint != files.fingerprint  # the edits are part of what a plan hashes
    assert render_all(manifest, changed)[0].content == edited
    assert render_all(manifest, changed, apply_edits=False)[0].content == plain.content


def test_a_template_cannot_include_or_read_an_edit_file() -> None:
    files, manifest = load_sources(ROOT / "models.toml", ROOT / "cards")
    templates = dict(files.templates)
    templates["edits/x.patch"] = b"{{ 1 }}"
    templates["base.md.j2"] = b'{% include "edits/x.patch" %}'
    with pytest.raises(TemplateError, match=r"template 'edits/x\.patch' not found"):
        render_all(manifest, dataclasses.replace(files, templates=templates), apply_edits=False)
