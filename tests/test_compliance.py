"""The compliance rules as pure functions: each fails on its bad input and passes on good."""

from __future__ import annotations

from pipeline.compliance import RULE_NAMES, RULES, RepoFacts, check_repos, notice_text

CARD = """---
license: llama3.1
library_name: transformers
---
# NB-Llama

Built with Llama.
"""
GGUF_CARD = """---
license: llama3.2
library_name: gguf
---
Built with Llama. The model file in this repository is `nb-q4_k_m.gguf`.
"""
GOOD = RepoFacts(
    "NbAiLab/Llama-nb-8B",
    CARD,
    notice_text("3.1") + "\n",
    frozenset({"README.md", "LICENSE", "NOTICE"}),
)


def _rules(facts: RepoFacts, levels: dict[str, str] | None = None) -> list[tuple[str, str]]:
    return [(f.rule, f.level) for f in check_repos([facts], levels)]


def test_the_table_is_the_vocabulary() -> None:
    assert tuple(rule.name for rule in RULES) == RULE_NAMES
    assert {rule.name: rule.level for rule in RULES} == {
        "built-with-llama": "mandatory",
        "notice-file": "mandatory",
        "license-file": "mandatory",
        "llama-name": "advisory",
        "gguf-file": "advisory",
    }


def test_a_compliant_repo_passes_every_rule() -> None:
    assert _rules(GOOD) == []


def test_notice_text_names_the_version() -> None:
    assert notice_text("3.3") == (
        "Llama 3.3 is licensed under the Llama 3.3 Community License, "
        "Copyright © Meta Platforms, Inc. All Rights Reserved."
    )


def test_built_with_llama_only_for_llama_licences() -> None:
    bare = GOOD.card.replace("Built with Llama.", "Made here.")
    assert _rules(RepoFacts(GOOD.repo_id, bare, GOOD.notice, GOOD.files)) == [
        ("built-with-llama", "mandatory")
    ]
    mit = bare.replace("license: llama3.1", "license: mit")
    assert _rules(RepoFacts(GOOD.repo_id, mit, None, GOOD.files)) == []


def test_notice_missing_or_of_another_version() -> None:
    assert _rules(RepoFacts(GOOD.repo_id, GOOD.card, None, GOOD.files)) == [
        ("notice-file", "mandatory")
    ]
    other = RepoFacts(GOOD.repo_id, GOOD.card, notice_text("3.2"), GOOD.files)
    [finding] = check_repos([other])
    assert "Llama 3.1 notice" in finding.message


def test_notice_may_wrap_its_lines() -> None:
    wrapped = notice_text("3.1").replace(" Community ", "\nCommunity ")
    assert _rules(RepoFacts(GOOD.repo_id, GOOD.card, wrapped, GOOD.files)) == []


def test_license_file_read_from_the_files() -> None:
    for name in ("LICENSE", "LICENSE.txt", "LICENSE.md"):
        files = frozenset({"README.md", name})
        assert _rules(RepoFacts(GOOD.repo_id, GOOD.card, GOOD.notice, files)) == []
    bare = RepoFacts(GOOD.repo_id, GOOD.card, GOOD.notice, frozenset({"README.md", "docs/LICENSE"}))
    assert _rules(bare) == [("license-file", "mandatory")]
    unread = RepoFacts(GOOD.repo_id, GOOD.card, GOOD.notice, None)
    assert _rules(unread) == []  # not read (validate): not checked


def test_the_family_name_is_reported_plainly() -> None:
    facts = RepoFacts("NbAiLab/nb-llama-3.1-8B", GOOD.card, GOOD.notice, GOOD.files)
    [finding] = check_repos([facts])
    assert (finding.rule, finding.level, finding.blocks) == ("llama-name", "advisory", False)
    assert 'the model name does not begin with "Llama"' in finding.message
    assert "this one begins with 'nb-'" in finding.message


def test_gguf_file_named_by_the_card() -> None:
    notice = notice_text("3.2")
    held = RepoFacts("NbAiLab/Llama-q", GGUF_CARD, notice, frozenset({"LICENSE", "nb-q4_k_m.gguf"}))
    assert _rules(held) == []
    missing = RepoFacts("NbAiLab/Llama-q", GGUF_CARD, notice, frozenset({"LICENSE", "other.gguf"}))
    [finding] = check_repos([missing])
    assert (finding.rule, finding.level) == ("gguf-file", "advisory")
    assert "nb-q4_k_m.gguf" in finding.message


def test_levels_from_the_manifest() -> None:
    facts = RepoFacts("NbAiLab/nb-x", GOOD.card.replace("Built with", "Made by"), None, None)
    levels = {"built-with-llama": "advisory", "llama-name": "mandatory"}
    assert _rules(facts, levels) == [
        ("built-with-llama", "advisory"),
        ("notice-file", "mandatory"),
        ("llama-name", "mandatory"),
    ]
