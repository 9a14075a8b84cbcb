"""diff_card: actions, LF normalisation, metadata as data, re-formatting, the body diff."""

from __future__ import annotations

import pytest

from pipeline.card.diff import CardDiff, MetadataChange, diff_card, to_json_value
from pipeline.errors import CardError
from pipeline.records import LiveCard, RenderedCard

REPO = "NbAiLab/nb-llama-3.1-8B"

CARD = """\
---
license: llama3.1
language:
- 'no'
- nb
- nn
- en
pipeline_tag: text-generation
---
# NB-Llama-3.1-8B

NB-Llama-3.1-8B is trained by the National Library of Norway.

## Model details
- Developer: NB-AiLab
- Knowledge cutoff: May 2024
- Parameters: 8 billion
"""


def rendered(content: str = CARD, *, allow_create: bool = False) -> RenderedCard:
    return RenderedCard(REPO, "nb-llama-3.1-8B", "base.md.j2", content, allow_create)


def live(content: str | None, *, exists: bool = True) -> LiveCard:
    return LiveCard(REPO, exists, "a" * 40 if exists else None, content)


def diff(new: str, old: str | None, *, exists: bool = True, allow_create: bool = False) -> CardDiff:
    return diff_card(rendered(new, allow_create=allow_create), live(old, exists=exists))


# --- actions --------------------------------------------------------------------------------


def test_identical_card_is_unchanged() -> None:
    result = diff(CARD, CARD)
    assert result == CardDiff(REPO, "unchanged", (), False, None, "", 0, 0)
    assert not result.writes


def test_crlf_and_cr_line_endings_are_unchanged() -> None:
    assert diff(CARD, CARD.replace("\n", "\r\n")).action == "unchanged"
    assert diff(CARD, CARD.replace("\n", "\r")).action == "unchanged"


def test_trailing_newline_difference_is_an_update() -> None:
    result = diff(CARD, CARD.rstrip("\n"))
    assert result.action == "update"
    assert (result.lines_added, result.lines_removed) == (1, 1)
    assert result.metadata_changes == ()
    assert "\\ No newline at end of file" in result.body_diff


def test_trailing_whitespace_is_not_normalised() -> None:
    assert diff(CARD, CARD.replace("# NB-Llama-3.1-8B", "# NB-Llama-3.1-8B ")).action == "update"


def test_repo_without_readme_is_create() -> None:
    result = diff(CARD, None)
    assert result.action == "create"
    assert result.writes
    assert result.lines_added == CARD.count("\n")
    assert result.lines_removed == 0
    assert [c.key_path for c in result.metadata_changes] == ["license", "language", "pipeline_tag"]
    assert {c.kind for c in result.metadata_changes} == {"added"}


def test_missing_repo_without_allow_create_is_an_error_action() -> None:
    result = diff(CARD, None, exists=False)
    assert result.action == "missing-repo"
    assert not result.writes


def test_missing_repo_with_allow_create_is_create_repo() -> None:
    result = diff(CARD, None, exists=False, allow_create=True)
    assert result.action == "create-repo"
    assert result.writes


def test_different_repos_are_a_bug() -> None:
    with pytest.raises(ValueError, match="compared with"):
        diff_card(rendered(), LiveCard("NbAiLab/other", True, "b" * 40, CARD))


# --- metadata as data -----------------------------------------------------------------------


def test_metadata_changes_key_by_key() -> None:
    old = CARD.replace("license: llama3.1", "license: llama3.2\nold_key: 1")
    new = CARD.replace("pipeline_tag:", "base_model: meta-llama/Llama-3.1-8B\npipeline_tag:")
    result = diff(new, old)
    assert result.action == "update"
    assert result.metadata_changes == (
        MetadataChange("license", "changed", "llama3.2", "llama3.1"),
        MetadataChange("old_key", "removed", 1, None),
        MetadataChange("base_model", "added", None, "meta-llama/Llama-3.1-8B"),
    )
    assert not result.reformat_only


def test_list_items_are_compared_by_index() -> None:
    old = CARD.replace("- nn\n- en\n", "- en\n")
    result = diff(CARD, old)
    assert result.metadata_changes == (
        MetadataChange("language[2]", "changed", "en", "nn"),
        MetadataChange("language[3]", "added", None, "en"),
    )
    shorter = diff(old, CARD)
    assert shorter.metadata_changes[-1] == MetadataChange("language[3]", "removed", "en", None)


def test_nested_mappings_have_dotted_paths() -> None:
    old = "---\nmodel-index:\n- name: a\n  results: []\n---\nbody\n"
    new = "---\nmodel-index:\n- name: b\n  results: []\n---\nbody\n"
    assert diff(new, old).metadata_changes == (
        MetadataChange("model-index[0].name", "changed", "a", "b"),
    )


def test_odd_keys_are_quoted_in_paths() -> None:
    result = diff('---\n"a.b": 2\n---\n', '---\n"a.b": 1\n---\n')
    assert result.metadata_changes == (MetadataChange('["a.b"]', "changed", 1, 2),)


def test_type_changes_are_changes() -> None:
    # YAML 1.2: `true` is a bool, `1` an int, `1.0` a float, `no` a string; all differ as data.
    result = diff("---\na: true\nb: 1\nc: 'no'\n---\n", "---\na: 1\nb: 1.0\nc: no\n---\n")
    assert [c.key_path for c in result.metadata_changes] == ["a", "b"]


def test_type_change_between_mapping_and_list_is_one_change() -> None:
    result = diff("---\ntags: [a]\n---\n", "---\ntags: {a: 1}\n---\n")
    assert result.metadata_changes == (MetadataChange("tags", "changed", {"a": 1}, ["a"]),)


def test_front_matter_added_or_removed() -> None:
    assert diff("---\nlicense: mit\n---\nbody\n", "body\n").metadata_changes == (
        MetadataChange("license", "added", None, "mit"),
    )
    assert diff("body\n", "---\nlicense: mit\n---\nbody\n").metadata_changes == (
        MetadataChange("license", "removed", "mit", None),
    )


def test_yaml_values_without_json_form_become_strings() -> None:
    assert to_json_value({"d": __import__("datetime").date(2024, 5, 1)}) == {"d": "2024-05-01"}
    assert to_json_value(float("nan")) == ".nan"
    assert to_json_value(float("-inf")) == "-.inf"
    assert to_json_value({1: (1, 2)}) == {"1": [1, 2]}


def test_unreadable_live_front_matter_is_named_not_raised() -> None:
    result = diff(CARD, "---\nlicense: [unclosed\n---\nbody\n")
    assert result.action == "update"
    assert result.metadata_changes == ()
    assert result.live_metadata_error is not None
    assert result.live_metadata_error.startswith("the live front matter cannot be read: YAML")


def test_invalid_rendered_front_matter_is_a_card_error() -> None:
    with pytest.raises(CardError, match="not valid YAML") as info:
        diff("---\nlicense: [unclosed\n---\nbody\n", CARD)
    assert info.value.problems[0].file == f"{REPO}/README.md (rendered)"


# --- re-formatting --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "old",
    [
        CARD.replace("license: llama3.1", 'license: "llama3.1"'),  # quoting
        CARD.replace("- 'no'\n- nb\n- nn\n- en\n", "- 'no'\n- nb\n- nn\n- en  # full\n"),  # comment
        CARD.replace("- 'no'\n- nb\n- nn\n- en\n", "['no', nb, nn, en]\n").replace(
            "language:\n[", "language: ["
        ),  # flow style
        CARD.replace(  # key order
            "license: llama3.1\n", ""
        ).replace(
            "pipeline_tag: text-generation\n", "pipeline_tag: text-generation\nlicense: llama3.1\n"
        ),
        CARD.replace("---\n# NB", "--- \n# NB"),  # spacing after the closing delimiter
    ],
    ids=["quoting", "comment", "flow-style", "key-order", "delimiter"],
)
def test_reformat_only(old: str) -> None:
    result = diff(CARD, old)
    assert result.action == "update"
    assert result.metadata_changes == ()
    assert result.reformat_only
    assert result.body_diff == ""


def test_body_change_with_equal_front_matter_is_not_reformat_only() -> None:
    result = diff(CARD, CARD.replace("8 billion", "eight billion"))
    assert not result.reformat_only
    assert result.metadata_changes == ()


def test_unchanged_is_never_reformat_only() -> None:
    assert not diff(CARD, CARD.replace("\n", "\r\n")).reformat_only


# --- the body as a unified diff -------------------------------------------------------------


def test_body_unified_diff_with_line_numbers_in_the_whole_file() -> None:
    old = CARD.replace("Parameters: 8 billion", "Parameters: 8B").replace(
        "license: llama3.1", "a: 1"
    )
    result = diff(CARD, old)
    assert result.body_diff == (
        "--- a/README.md\n"
        "+++ b/README.md\n"
        "@@ -14,4 +14,4 @@\n"
        " ## Model details\n"
        " - Developer: NB-AiLab\n"
        " - Knowledge cutoff: May 2024\n"
        "-- Parameters: 8B\n"
        "+- Parameters: 8 billion\n"
    )
    assert (result.lines_added, result.lines_removed) == (2, 2)
    assert CARD.splitlines()[16] == "- Parameters: 8 billion"  # line 17 is in the +14,4 hunk


def test_body_diff_for_create_covers_the_whole_body() -> None:
    result = diff(CARD, None)
    body_lines = CARD.split("---\n", 2)[2].count("\n")
    assert result.body_diff.startswith(
        f"--- a/README.md\n+++ b/README.md\n@@ -0,0 +10,{body_lines} @@\n"
    )
    assert result.body_diff.count("\n+") == body_lines + 1  # the +++ header too


def test_body_diff_keeps_three_lines_of_context_and_splits_hunks() -> None:
    body = "".join(f"line {i}\n" for i in range(1, 21))
    new = body.replace("line 2\n", "line two\n").replace("line 18\n", "line eighteen\n")
    result = diff(new, body)
    assert result.body_diff.count("@@ ") == 2
    assert (
        "@@ -1,5 +1,5 @@\n line 1\n-line 2\n+line two\n line 3\n line 4\n line 5\n"
        in result.body_diff
    )
    assert "@@ -15,6 +15,6 @@\n line 15\n" in result.body_diff
