"""Unit tests of the value rules of models.toml (fieldtypes) and of the Hub (hubrules)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from pydantic import TypeAdapter, ValidationError

from pipeline import hubrules
from pipeline.manifest import _fields as fieldtypes
from pipeline.manifest._fields import (
    GgufFile,
    LlamaVersion,
    Quantization,
    RepoPart,
    Size,
    Text,
    Url,
)


def _accepts(kind: Any, value: object) -> bool:
    try:
        TypeAdapter[str](kind).validate_python(value, strict=True)
    except ValidationError:
        return False
    return True


@pytest.mark.parametrize("value", ["1B", "8B", "70B", "500M", "1M", "0.5B", "10000B", "1.5B"])
def test_sizes_in_range(value: str) -> None:
    assert _accepts(Size, value)


@pytest.mark.parametrize(
    "value",
    ["0B", "0M", "0.5M", "10001B", "99999999999999999999999B", "8B\n", " 8B", "8b", "8", 8, "٨B"],
)
def test_sizes_refused(value: object) -> None:
    assert not _accepts(Size, value)


def test_size_in_millions() -> None:
    assert fieldtypes.size_in_millions("1.5B") == 1500
    assert fieldtypes.size_in_millions("500M") == 500


@pytest.mark.parametrize("value", ["3.1", "3", "4", "3.10"])
def test_llama_versions(value: str) -> None:
    assert _accepts(LlamaVersion, value)


@pytest.mark.parametrize("value", ["3.1\n", " 3.1", "3.1.2", "v3", 3.1, "٣.١"])
def test_llama_versions_refused(value: object) -> None:
    assert not _accepts(LlamaVersion, value)


@pytest.mark.parametrize("value", ["nb-llama-3.1-8b-q4_k_m.gguf", "x.gguf", "a+b_c-1.Q4.gguf"])
def test_gguf_files(value: str) -> None:
    assert _accepts(GgufFile, value)


@pytest.mark.parametrize(
    "value",
    ["../x.gguf", "a/x.gguf", "a\\x.gguf", "x .gguf", "x.gguf\n", "-x.gguf", ".gguf", "x.bin", ""],
)
def test_gguf_files_refused(value: str) -> None:
    assert not _accepts(GgufFile, value)


@pytest.mark.parametrize("value", ["Q4_K_M", "Q8_0", "IQ2_XXS", "F16", "BF16", "TQ1_0"])
def test_quantizations(value: str) -> None:
    assert _accepts(Quantization, value)


@pytest.mark.parametrize("value", ["q4_k_m", "Q4 K M", "Q4_K_M\n", "Q4__K", "_Q4", ""])
def test_quantizations_refused(value: str) -> None:
    assert not _accepts(Quantization, value)


@pytest.mark.parametrize(
    "value", ["NB-Llama 3.1 8B", "National Library of Norway (NB-AiLab)", "æøå"]
)
def test_free_text(value: str) -> None:
    assert _accepts(Text, value)


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("a\nb", "U+000A (line break) at character 2"),
        ("a\x00b", "U+0000 (NUL) at character 2"),
        ("x\n---\nlicense: mit\n---", "U+000A (line break)"),
        ("a\u2028b", "U+2028 (line separator)"),
        ("abc\u202e", "U+202E (right-to-left override) at character 4"),
        ("a\x85b", "U+0085"),
        (" a", "has spaces at its start or end"),
        ("<b>x</b>", "the Hub would read it as HTML"),
        ("x" * 201, "at most 200 characters, got 201"),
        ("   ", "expected a non-empty string"),
        (3, "expected a non-empty string, got 3"),
    ],
)
def test_free_text_refused(value: object, reason: str) -> None:
    problem = fieldtypes.text_problem(value)
    assert problem is not None and reason in problem


def test_messages_show_a_bounded_value() -> None:
    with pytest.raises(ValidationError) as caught:
        TypeAdapter(Size).validate_python("9" * 100_000 + "B", strict=True)
    assert len(str(caught.value)) < 600


@pytest.mark.parametrize("value", ["https://x.org/a", "http://127.0.0.1:8080/"])
def test_urls(value: str) -> None:
    assert _accepts(Url, value)


@pytest.mark.parametrize("value", ["x.org", "https://x.org/\n", "https://x.org/\x07", "ftp://x"])
def test_urls_refused(value: str) -> None:
    assert not _accepts(Url, value)


@pytest.mark.parametrize("value", ["NbAiLab", "nb-llama-3.1-8B", "a_b", "x.y"])
def test_repo_parts(value: str) -> None:
    assert _accepts(RepoPart, value)


@pytest.mark.parametrize(
    "value", ["x.git", "x.GIT", "a/b", "a..b", "a--b", "-a", "a.", "a b", "a\n", "", "x" * 97]
)
def test_repo_parts_refused(value: str) -> None:
    assert not _accepts(RepoPart, value)


@pytest.mark.parametrize(
    ("repo_id", "reason"),
    [
        ("NbAiLab/x.git", "the name of 'NbAiLab/x.git' ends in '.git'"),
        ("a/b/c", "exactly one '/'"),
        ("a/b\n", "may hold only letters"),
        ("/b", "the namespace of '/b' is empty"),
        ("a/" + "x" * 97, "longer than 96 characters"),
    ],
)
def test_repo_id_problems(repo_id: str, reason: str) -> None:
    problem = hubrules.repo_id_problem(repo_id)
    assert problem is not None and reason in problem


def test_repo_ids_the_hub_takes() -> None:
    assert hubrules.repo_id_problem("meta-llama/Llama-3.1-8B") is None
    # Only the name may not end in .git: huggingface_hub checks the end of the whole id.
    assert hubrules.repo_id_problem("x.git/name") is None


@pytest.mark.parametrize(("tag", "ok"), [("gguf", True), ("a b", False), ("a\x00", False)])
def test_tags(tag: str, ok: bool) -> None:
    assert hubrules.is_tag(tag) is ok


@pytest.mark.parametrize("code", ["no", "nb", "nn", "en", "sv", "da", "nob", "nno", "nor", "ger"])
def test_language_codes(code: str) -> None:
    assert hubrules.is_language_code(code)


@pytest.mark.parametrize("code", ["zzz", "qqq", "xx", "NB", "nb ", "n", "norsk", "nb-NO", ""])
def test_language_codes_refused(code: str) -> None:
    """Three letters are not yet an ISO 639 code (a pattern alone once let any through)."""
    assert not hubrules.is_language_code(code)


def test_language_names_keep_the_cards_as_they_are() -> None:
    """The golden cards' `- nb  # Norwegian Bokmål` comments are what language_name gives."""
    golden = Path(__file__).parent / "golden"
    seen: dict[str, str] = {}
    for card in sorted(golden.glob("*.md")):
        for match in re.finditer(r'^- "?([a-z]{2,3})"?  # (.+)$', card.read_text(), re.MULTILINE):
            seen[match.group(1)] = match.group(2)
    assert {"no", "nb", "nn", "en"} <= set(seen)
    assert {code: hubrules.language_name(code) for code in seen} == seen


def test_language_names_from_iso() -> None:
    assert hubrules.language_name("nob") == "Norwegian Bokmål"
    assert hubrules.language_name("de") == "German"
    assert hubrules.language_name("zzz") == "zzz"


@pytest.mark.parametrize(
    ("value", "near"),
    [("NB", "nb"), ("Norwegian Bokmål", "nb"), ("english", "en"), ("zzz", None), ("norsk", None)],
)
def test_a_near_language_code_is_suggested(value: str, near: str | None) -> None:
    assert hubrules.suggest_language_code(value) == near
    with pytest.raises(ValidationError) as caught:
        TypeAdapter[str](fieldtypes.Language).validate_python(value, strict=True)
    assert (f"did you mean {near!r}?" in str(caught.value)) is (near is not None)
