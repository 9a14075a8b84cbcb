"""A corpus of hostile manifests and templates, as data (docs/reliability.md, "hostile").

Each `HostileCase` is a models.toml text, template files laid over a copy of cards/, and what
the error output must say. Every case must make nb-release exit 1 with a located message (a file
and a line, or the file itself when the whole file is the problem), no traceback, and no write.

Two runners use it:
- tests/test_hostile_input.py runs every case through `nb-release validate` in process (fast);
- the reliability harness (bench/) runs them through `release` against a local Hub that counts
  writes. It needs only:

      from tests.hostile.corpus import CASES, materialise, judge, snapshot

  `materialise(case, folder, cards)` writes folder/models.toml and folder/cards/;
  `judge(case, status, stdout, stderr)` returns what is wrong with an outcome ([] when right);
  `snapshot(folder)` is every file's bytes, to compare before and after (nothing written);
  `as_files(case)` is the case as {relative path: bytes} (models.toml, cards/NAME), for a
  runner that lays files over a project of its own.

The template cases (sandbox escapes, recursive macros, `{{ 1/0 }}`, alias bombs, oversize cards)
are refused by the render stage; the rest by the manifest's reading.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.manifest.model import MAX_VARIANTS

ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class HostileCase:
    name: str
    manifest: str | bytes
    expect: str  # a substring the error output must contain
    place: str  # a regex the error output must match: the file and the place
    templates: Mapping[str, str] = field(default_factory=dict)  # laid over cards/


# --- the family every case starts from ------------------------------------------------------

BASE = """\
[defaults]
namespace = "NbAiLab"
developer = "National Library of Norway (NB-AiLab)"
author = "Per Egil Kummervold"
knowledge_cutoff = "May 2024"
pipeline_tag = "text-generation"
languages = ["no", "nb", "nn", "en"]
tags = ["norwegian", "text-generation"]

[defaults.licenses]
"3.1" = "llama3.1"

[defaults.links]
collection = "https://huggingface.co/collections/NbAiLab/x"

[[models]]
name = "nb-llama-3.1-8B"
kind = "base"
llama_version = "3.1"
size = "8B"
base_model = "meta-llama/Llama-3.1-8B"

[[models]]
name = "nb-llama-3.1-8B-sft"
kind = "sft"
llama_version = "3.1"
size = "8B"
base_model = "NbAiLab/nb-llama-3.1-8B"

[[models]]
name = "nb-llama-3.1-8B-Q4_K_M-GGUF"
kind = "gguf"
llama_version = "3.1"
size = "8B"
base_model = "NbAiLab/nb-llama-3.1-8B"
quantization = "Q4_K_M"
gguf_file = "nb-llama-3.1-8b-q4_k_m.gguf"
"""

_VARIANT_NAMES = ("nb-llama-3.1-8B", "nb-llama-3.1-8B-sft", "nb-llama-3.1-8B-Q4_K_M-GGUF")


def toml_string(value: str) -> str:
    """A TOML basic string holding exactly `value` (every non-printable-ASCII escaped)."""
    out = []
    for char in value:
        if char in '"\\':
            out.append("\\" + char)
        elif " " <= char <= "~":
            out.append(char)
        else:
            out.append(f"\\u{ord(char):04X}" if ord(char) <= 0xFFFF else f"\\U{ord(char):08X}")
    return '"' + "".join(out) + '"'


def _replace(text: str, old: str, new: str) -> str:
    assert old in text, old
    return text.replace(old, new, 1)


def _with_variant_line(index: int, line: str, base: str = BASE) -> str:
    """BASE with `line` added to the index-th [[models]] entry (after its name)."""
    anchor = f'name = "{_VARIANT_NAMES[index]}"\n'
    return _replace(base, anchor, anchor + line + "\n")


def _without(line: str) -> str:
    return _replace(BASE, line + "\n", "")


def _at(path: str) -> str:
    """The place regex of a problem at a key path of models.toml: file, line, column, path."""
    return rf"models\.toml:\d+:\d+: {re.escape(path)}(\[\d+\])?: "


def _at_line(text: str | bytes, needle: str) -> str:
    """The place regex of a problem on the line of `text` that holds `needle`."""
    if isinstance(text, bytes):
        text = text.decode("utf-8", "surrogateescape")
    line = text[: text.index(needle)].count("\n") + 1
    return rf"models\.toml:{line}:\d+: "


def _on_line(name: str, text: str | bytes, expect: str, needle: str) -> HostileCase:
    """A case whose problem is reported on the line holding `needle`."""
    return HostileCase(name, text, expect, _at_line(text, needle))


_AT_TEMPLATE = r"(\.j2|README\.md):\d+"


# --- generated: every free-text field against every hostile string ----------------------------

_HOSTILE_TEXT: dict[str, tuple[str, str]] = {
    "nul": ("NB\x00Llama", "without control characters"),
    "line-break": ("NB\nLlama", "without control characters"),
    "front-matter": ("x\n---\nlicense: mit\n---", "without control characters"),
    "carriage-return": ("NB\rLlama", "without control characters"),
    "tab": ("NB\tLlama", "without control characters"),
    "ansi-escape": ("\x1b[31mred\x1b[0m", "without control characters"),
    "delete": ("NB\x7fLlama", "without control characters"),
    "next-line": ("NB\x85Llama", "without control characters"),
    "line-separator": ("NB\u2028Llama", "without control characters"),
    "bidi-override": ("NB\u202eamallL", "without control characters"),
    "html": ("<script>alert(1)</script>", "the Hub would read it as HTML"),
    "too-long": ("x" * 201, "at most 200 characters"),
    "empty": ("", "expected a non-empty string"),
    "blank": ("   ", "expected a non-empty string"),
    "padded": (" NB-Llama ", "spaces at its start or end"),
}

_TEXT_FIELDS: dict[str, tuple[int | None, str]] = {
    # field -> (variant index, or None for [defaults]), key path
    "display_name": (0, "models[0].display_name"),
    "parameters": (0, "models[0].parameters"),
    "developer": (None, "defaults.developer"),
    "author": (None, "defaults.author"),
    "knowledge_cutoff": (None, "defaults.knowledge_cutoff"),
}

_DEFAULT_LINES = {
    "developer": 'developer = "National Library of Norway (NB-AiLab)"',
    "author": 'author = "Per Egil Kummervold"',
    "knowledge_cutoff": 'knowledge_cutoff = "May 2024"',
}


def _text_cases() -> list[HostileCase]:
    cases = []
    for field_name, (variant, path) in _TEXT_FIELDS.items():
        for label, (value, expect) in _HOSTILE_TEXT.items():
            line = f"{field_name} = {toml_string(value)}"
            if variant is None:
                text = _replace(BASE, _DEFAULT_LINES[field_name], line)
            else:
                text = _with_variant_line(variant, line)
            cases.append(HostileCase(f"text-{field_name}-{label}", text, expect, _at(path)))
    return cases


# --- one field, one bad value ----------------------------------------------------------------


def _field_cases() -> list[HostileCase]:
    cases: list[HostileCase] = []

    def variant_value(name: str, index: int, key: str, value: str, expect: str) -> None:
        """Set `key` of the index-th variant to the TOML `value` (replacing it if present)."""
        text = BASE
        block_start = text.index(f'name = "{_VARIANT_NAMES[index]}"')
        block_end = text.find("[[models]]", block_start)
        block_end = len(text) if block_end < 0 else block_end
        block = text[block_start:block_end]
        match = re.search(rf"^{key} = .*$", block, re.MULTILINE)
        if match:
            block = block[: match.start()] + f"{key} = {value}" + block[match.end() :]
        else:
            block = block.replace("\n", f"\n{key} = {value}\n", 1)
        text = text[:block_start] + block + text[block_end:]
        cases.append(HostileCase(name, text, expect, _at(f"models[{index}].{key}")))

    names = {
        "dot-git": ("nb-llama.git", "ends in '.git'"),
        "dot-git-upper": ("nb-llama.GIT", "ends in '.git'"),
        "dot-dot": ("nb..llama", "contains '..' or '--'"),
        "dash-dash": ("nb--llama", "contains '..' or '--'"),
        "leading-dash": ("-nb-llama", "may hold only letters"),
        "trailing-dash": ("nb-llama-", "may hold only letters"),
        "leading-dot": (".nb-llama", "may hold only letters"),
        "slash": ("nb/llama", "contains '/'"),
        "path-traversal": ("../../etc/passwd", "contains '/'"),
        "empty": ("", "is empty"),
        "too-long": ("x" * 97, "longer than 96 characters"),
        "space": ("nb llama", "may hold only letters"),
        "newline": ("nb-llama\n", "may hold only letters"),
        "non-ascii": ("nb-llamå", "may hold only letters"),
        "nul": ("nb\x00llama", "may hold only letters"),
    }
    for label, (value, expect) in names.items():
        variant_value(f"name-{label}", 1, "name", toml_string(value), expect)

    base_models = {
        "no-slash": ("llama", "exactly one '/'"),
        "two-slashes": ("a/b/c", "exactly one '/'"),
        "dot-git": ("meta-llama/Llama-3.1-8B.git", "ends in '.git'"),
        "traversal": ("../etc/passwd", "exactly one '/'"),
        "empty-name": ("meta-llama/", "is empty"),
        "not-a-variant": ("NbAiLab/nb-llama-3.1-8B-base", "is not a variant of the manifest"),
        "newline": ("meta-llama/Llama\n", "may hold only letters"),
    }
    for label, (value, expect) in base_models.items():
        variant_value(f"base-model-{label}", 0, "base_model", toml_string(value), expect)

    sizes = {
        "zero": ('"0B"', "out of range"),
        "zero-millions": ('"0M"', "out of range"),
        "fraction-of-a-million": ('"0.5M"', "out of range"),
        "too-big": ('"10001B"', "out of range"),
        "huge": ('"99999999999999999999999B"', "out of range"),
        "no-unit": ('"8"', "expected a size such as"),
        "space": ('"8 B"', "expected a size such as"),
        "negative": ('"-8B"', "expected a size such as"),
        "lowercase": ('"8b"', "expected a size such as"),
        "newline": ('"8B\\n"', "expected a size such as"),
        "integer": ("8", "expected a size such as"),
        "exponent": ('"1e3B"', "expected a size such as"),
    }
    for label, (value, expect) in sizes.items():
        variant_value(f"size-{label}", 0, "size", value, expect)

    versions = {
        "float": ("3.1", "write it in quotes"),
        "newline": ('"3.1\\n"', "remove the spaces or line breaks"),
        "three-parts": ('"3.1.1"', "expected a Llama version string"),
        "prefixed": ('"v3.1"', "expected a Llama version string"),
        "empty": ('""', "expected a Llama version string"),
        "integer": ("3", "expected a Llama version string"),
        "arabic-digits": ('"\\u0663.\\u0661"', "expected a Llama version string"),
    }
    for label, (value, expect) in versions.items():
        variant_value(f"llama-version-{label}", 0, "llama_version", value, expect)

    quantizations = {
        "lowercase": ('"q4_k_m"', "llama.cpp quantisation type"),
        "spaces": ('"Q4 K M"', "llama.cpp quantisation type"),
        "newline": ('"Q4_K_M\\n"', "llama.cpp quantisation type"),
        "shell": ('"Q4;rm -rf /"', "llama.cpp quantisation type"),
        "empty": ('""', "llama.cpp quantisation type"),
    }
    for label, (value, expect) in quantizations.items():
        variant_value(f"quantization-{label}", 2, "quantization", value, expect)

    gguf_files = {
        "traversal": ("../../x.gguf", "plain file name ending in '.gguf'"),
        "html-and-newline": ("../../x.gguf\n<img src=x>", "plain file name ending in '.gguf'"),
        "space": ("nb llama.gguf", "plain file name ending in '.gguf'"),
        "other-extension": ("nb-llama.bin", "plain file name ending in '.gguf'"),
        "absolute": ("/tmp/x.gguf", "plain file name ending in '.gguf'"),
        "option": ("-rf.gguf", "plain file name ending in '.gguf'"),
        "backslash": ("C:\\x.gguf", "plain file name ending in '.gguf'"),
        "shell": ("x.gguf;id", "plain file name ending in '.gguf'"),
    }
    for label, (value, expect) in gguf_files.items():
        variant_value(f"gguf-file-{label}", 2, "gguf_file", toml_string(value), expect)

    others = {
        "kind-unknown": (0, "kind", '"chat"', "expected one of base, sft"),
        "kind-integer": (0, "kind", "1", "expected one of base, sft"),
        "license-unknown": (0, "license", '"llama3.5"', "expected a Hub license id"),
        "license-newline": (0, "license", '"llama3.1\\n"', "expected a Hub license id"),
        "license-mismatch": (0, "license", '"mit"', "does not match Llama 3.1"),
        "template-traversal": (0, "template", '"../secret.md.j2"', "a template file name"),
        "template-absolute": (0, "template", '"/etc/passwd.j2"', "a template file name"),
        "template-not-j2": (0, "template", '"base.md"', "a template file name"),
        "template-newline": (0, "template", '"base\\n.md.j2"', "a template file name"),
        "languages-unknown": (0, "languages", '["zzz"]', "ISO 639 language code"),
        "languages-newline": (0, "languages", '["nb\\n"]', "ISO 639 language code"),
        "languages-empty": (0, "languages", "[]", "at least 1 item"),
        "tags-space": (0, "tags", '["a b"]', "expected a tag"),
        "tags-nul": (0, "tags", '["a\\u0000b"]', "expected a tag"),
        "tags-too-long": (0, "tags", '["' + "x" * 101 + '"]', "expected a tag"),
        "pipeline-tag-unknown": (0, "pipeline_tag", '"text generation"', "Hub task id"),
        "allow-create-string": (0, "allow_create", '"yes"', "valid boolean"),
        "unknown-key": (0, "licence", '"llama3.1"', "unknown key 'licence'"),
    }
    for label, (index, key, value, expect) in others.items():
        variant_value(label, index, key, value, expect)
    return cases


def _variants(count: int, base_model: str) -> str:
    """`count` more sft variants v0, v1, ... with the given base model."""
    return "".join(
        f'\n[[models]]\nname = "v{i}"\nkind = "sft"\nllama_version = "3.1"\nsize = "8B"\n'
        f'base_model = "{base_model}"\n'
        for i in range(count)
    )


# --- the family, the file and the TOML ---------------------------------------------------------


def _structure_cases() -> list[HostileCase]:
    tags = 'tags = ["norwegian", "text-generation"]'
    cases = [
        HostileCase(
            "family-cycle",
            _replace(
                BASE,
                'base_model = "meta-llama/Llama-3.1-8B"',
                'base_model = "NbAiLab/nb-llama-3.1-8B-sft"',
            ),
            "base models form a cycle",
            _at("models[0].base_model"),
        ),
        HostileCase(
            "family-self-base",
            _replace(
                BASE,
                'base_model = "meta-llama/Llama-3.1-8B"',
                'base_model = "NbAiLab/nb-llama-3.1-8B"',
            ),
            "base models form a cycle",
            _at("models[0].base_model"),
        ),
        HostileCase(
            "family-duplicate-name",
            _replace(BASE, 'name = "nb-llama-3.1-8B-sft"', 'name = "nb-llama-3.1-8B"'),
            "is the same repo id as models[0]",
            _at("models[1].name"),
        ),
        HostileCase(
            "family-duplicate-but-case",
            _replace(BASE, 'name = "nb-llama-3.1-8B-sft"', 'name = "NB-LLAMA-3.1-8B"'),
            "differs only in case",
            _at("models[1].name"),
        ),
        HostileCase(
            "family-gguf-without-parent",
            _replace(
                BASE,
                'base_model = "NbAiLab/nb-llama-3.1-8B"\nquantization',
                'base_model = "meta-llama/Llama-3.1-8B"\nquantization',
            ),
            "must name its parent variant",
            _at("models[2].base_model"),
        ),
        HostileCase(
            "family-gguf-size-differs",
            _replace(
                BASE,
                'size = "8B"\nbase_model = "NbAiLab/nb-llama-3.1-8B"\nquantization',
                'size = "70B"\nbase_model = "NbAiLab/nb-llama-3.1-8B"\nquantization',
            ),
            "differs from its parent",
            _at("models[2].size"),
        ),
        HostileCase(
            "family-no-license",
            _replace(BASE, '"3.1" = "llama3.1"', '"3.2" = "llama3.2"'),
            "no license for Llama 3.1",
            _at("models[0].license"),
        ),
        HostileCase(
            "namespace-space",
            _replace(BASE, 'namespace = "NbAiLab"', 'namespace = "Nb AiLab"'),
            "is not a valid Hub name",
            _at("defaults.namespace"),
        ),
        HostileCase(
            "namespace-slash",
            _replace(BASE, 'namespace = "NbAiLab"', 'namespace = "a/b"'),
            "contains '/'",
            _at("defaults.namespace"),
        ),
        HostileCase(
            "link-javascript",
            _replace(
                BASE, '"https://huggingface.co/collections/NbAiLab/x"', '"javascript:alert(1)"'
            ),
            "expected an http(s) URL",
            _at("defaults.links.collection"),
        ),
        HostileCase(
            "link-control-character",
            _replace(
                BASE,
                '"https://huggingface.co/collections/NbAiLab/x"',
                '"https://huggingface.co/x\\u0000"',
            ),
            "expected an http(s) URL",
            _at("defaults.links.collection"),
        ),
        _on_line(
            "toml-arrays-5000-deep",
            _replace(BASE, tags, "tags = " + "[" * 5000 + "]" * 5000),
            "a manifest may nest at most 32",
            "tags = [[",
        ),
        _on_line(
            "toml-inline-tables-2000-deep",
            BASE + "\n[kinds.base]\nx = " + "{a = " * 2000 + "1" + "}" * 2000 + "\n",
            "a manifest may nest at most 32",
            "x = {a",
        ),
        _on_line(
            "toml-arrays-300-deep-parsed",
            _replace(BASE, tags, "tags = " + "[" * 300 + "]" * 300),
            "a manifest may nest at most 32",
            "tags = [[",
        ),
        _on_line(
            "toml-table-300-levels",
            BASE + "\n[defaults." + ".".join(["x"] * 300) + "]\ny = 1\n",
            "a manifest may nest at most 32",
            "[defaults.x.x",
        ),
        _on_line(
            "toml-dotted-key-100-parts",
            _replace(BASE, tags, tags + "\n" + ".".join(["k"] * 100) + " = 1"),
            "a manifest may nest at most 32",
            "k.k.k",
        ),
        _on_line(
            "toml-not-utf8",
            _replace(BASE, "Kummervold", "Kummervold \udcff").encode("utf-8", "surrogateescape"),
            "not UTF-8",
            "Kummervold",
        ),
        HostileCase(
            "toml-bom-and-a-mistake",
            b"\xef\xbb\xbf" + _replace(BASE, 'kind = "sft"', 'kind = "stf"').encode(),
            "expected one of base, sft",
            _at("models[1].kind"),
        ),
        HostileCase(
            "toml-models-is-a-string",
            'models = "x"\n' + BASE.split("[[models]]")[0],
            "expected an array of tables [[models]]",
            _at("models"),
        ),
        HostileCase(
            "toml-models-inside-defaults",
            _replace(BASE.split("[[models]]")[0], tags, tags + '\nmodels = ["x"]'),
            "the key 'models' is inside [defaults]",
            _at("defaults.models"),
        ),
        HostileCase(
            "toml-defaults-is-a-string",
            'defaults = "x"\n'
            + BASE.split("[defaults.licenses]")[1].split("[[models]]", 1)[0]
            + "[[models]]"
            + BASE.split("[[models]]", 1)[1],
            "models.toml",
            r"models\.toml:\d+:\d+: ",
        ),
        _on_line(
            "toml-unterminated-string",
            _replace(BASE, 'author = "Per Egil Kummervold"', 'author = "Per Egil Kummervold'),
            "TOML syntax error",
            "author = ",
        ),
        _on_line(
            "toml-duplicate-key",
            _replace(BASE, tags, tags + '\ntags = ["x"]'),
            "TOML syntax error",
            'tags = ["x"]',
        ),
        _on_line(
            "toml-raw-nul-byte",
            _replace(BASE, 'kind = "base"', 'kind = "base"\x00'),
            "TOML syntax error",
            'kind = "base"',
        ),
        _on_line(
            "toml-bad-escape",
            _replace(BASE, 'author = "Per Egil Kummervold"', 'author = "Per \\q"'),
            "TOML syntax error",
            "author = ",
        ),
        HostileCase(
            "family-too-many-variants",
            BASE + _variants(MAX_VARIANTS - 2, "meta-llama/Llama-3.1-8B"),
            f"it may have at most {MAX_VARIANTS:d}",
            _at(f"models[{MAX_VARIANTS}]"),
        ),
        HostileCase(
            # One cycle through 3,000 variants: found in linear time, its names shortened.
            "family-long-cycle",
            BASE
            + "".join(
                f'\n[[models]]\nname = "v{i}"\nkind = "sft"\nllama_version = "3.1"\n'
                f'size = "8B"\nbase_model = "NbAiLab/v{(i + 1) % 3000}"\n'
                for i in range(3000)
            ),
            "NbAiLab/v9 -> ... (2990 more) -> NbAiLab/v0",
            _at("models[3].base_model"),
        ),
        HostileCase(
            # 300 mistakes: checked in linear time, and the message lists the first 100.
            "family-300-missing-bases",
            BASE + _variants(300, "NbAiLab/missing"),
            "... and 200 more",
            _at("models[3].base_model"),
        ),
        _on_line(
            # A key is printed in its TOML form, escaped: no terminal escape, no line break.
            "key-terminal-escape",
            _replace(
                BASE, "[defaults.licenses]", '"\\u001b[2J\\nerror: fake" = 1\n\n[defaults.licenses]'
            ),
            'defaults."\\u001B[2J\\u000Aerror: fake": unknown key',
            '"\\u001b[2J',
        ),
        _on_line(
            "kind-table-unknown",
            _replace(
                BASE, "[defaults.licenses]", '[kinds."ch\\nat"]\nx = 1\n\n[defaults.licenses]'
            ),
            "expected a kind: one of base",
            "[kinds.",
        ),
        _on_line(
            "link-name-escape",
            _replace(
                BASE, "collection = ", '"a\\u001b]0;x\\u0007" = "https://x.org"\ncollection = '
            ),
            "expected a link name",
            '"a\\u001b]0',
        ),
        _on_line(
            "license-version-key-newline",
            _replace(BASE, '"3.1" = "llama3.1"', '"3.1" = "llama3.1"\n"3\\n1" = "llama3.1"'),
            "expected a Llama version string",
            '"3\\n1"',
        ),
        _on_line(
            "defaults-10000-unknown-keys",
            _replace(BASE, tags, tags + "\n" + "".join(f"k{i} = 1\n" for i in range(10_000))),
            "... and 9900 more",
            "k0 = 1",
        ),
        HostileCase(
            "toml-no-models",
            BASE.split("[[models]]")[0],
            "required key 'models' is missing",
            r"models\.toml:14:1: models: ",  # the last line: where [[models]] would go
        ),
        HostileCase(
            "toml-oversize-file",
            BASE + "#" * (6 * 1024 * 1024) + "\n",
            "the most a manifest may have",
            r"models\.toml: the file is larger than \d+ bytes",
        ),
        HostileCase(
            "toml-multiline-string-with-headers",
            _replace(
                _replace(BASE, 'kind = "sft"', 'kind = "stf"'),
                'author = "Per Egil Kummervold"',
                'author = """\n[[models]]\nname = "x"\n"""',
            ),
            "expected one of base, sft",
            r"models\.toml:28:1: models\[1\]\.kind: ",  # below the 3 added lines, not above
        ),
    ]
    return cases


# --- templates (the render helper's fixes: sandbox, limits, located errors) -------------------

_HOSTILE_TEMPLATE = "hostile.md.j2"


def _template_case(name: str, body: str, expect: str) -> HostileCase:
    """Variant 0 rendered with cards/hostile.md.j2: a base card whose overview is `body`."""
    template = '{% extends "base.md.j2" %}\n{% block overview %}\n' + body + "\n{% endblock %}\n"
    return HostileCase(
        f"template-{name}",
        _with_variant_line(0, f'template = "{_HOSTILE_TEMPLATE}"'),
        expect,
        _AT_TEMPLATE,
        templates={_HOSTILE_TEMPLATE: template},
    )


def _alias_bomb() -> str:
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for level in range(1, 10):
        refs = ", ".join([f"*a{level - 1}"] * 9)
        lines.append(f"a{level}: &a{level} [{refs}]")
    return "\n".join(lines)


def _template_cases() -> list[HostileCase]:
    return [
        _template_case(
            "sandbox-cycler-globals",
            "{{ cycler.__init__.__globals__.os.mkdir('PWNED') }}",
            _HOSTILE_TEMPLATE,
        ),
        _template_case(
            "sandbox-lipsum-globals",
            "{{ lipsum.__globals__['os'].mkdir('PWNED') }}",
            _HOSTILE_TEMPLATE,
        ),
        _template_case(
            "sandbox-subclasses",
            "{{ ''.__class__.__mro__[1].__subclasses__() }}",
            _HOSTILE_TEMPLATE,
        ),
        _template_case(
            "sandbox-self-globals",
            "{{ self.__init__.__globals__ }}",
            _HOSTILE_TEMPLATE,
        ),
        _template_case(
            "sandbox-format-attribute",
            "{{ '{0.__class__.__base__}'.format(model) }}",
            _HOSTILE_TEMPLATE,
        ),
        _template_case(
            "recursive-macro",
            "{% macro f() %}{{ f() }}{% endmacro %}{{ f() }}",
            _HOSTILE_TEMPLATE,
        ),
        HostileCase(
            "template-self-extending",
            _with_variant_line(0, f'template = "{_HOSTILE_TEMPLATE}"'),
            _HOSTILE_TEMPLATE,
            _AT_TEMPLATE,
            templates={_HOSTILE_TEMPLATE: '{% extends "hostile.md.j2" %}\n'},
        ),
        _template_case("division-by-zero", "{{ 1/0 }}", _HOSTILE_TEMPLATE),
        _template_case(
            "huge-range",
            "{% for i in range(10**10) %}{% endfor %}",
            _HOSTILE_TEMPLATE,
        ),
        _template_case(
            "oversize-card-by-a-repeat",
            '{{ "x" * (9 * 1024 * 1024) }}',
            "over the card limit",
        ),
        HostileCase(
            # An 8 MB card once passed validate and failed at the Hub with 413. The
            # output as a whole is too large, so the place is the template, not one line of it.
            "template-oversize-card-by-a-loop",
            _with_variant_line(0, f'template = "{_HOSTILE_TEMPLATE}"'),
            "over the card limit",
            r"cards/hostile\.md\.j2(:\d+)?: ",
            templates={
                _HOSTILE_TEMPLATE: '{% extends "base.md.j2" %}\n{% block overview %}\n'
                "{% for i in range(100000) %}" + "x" * 79 + "\n{% endfor %}\n{% endblock %}\n"
            },
        ),
        HostileCase(
            "template-alias-bomb",
            _with_variant_line(0, f'template = "{_HOSTILE_TEMPLATE}"'),
            "README.md",
            r"README\.md:\d+",
            templates={
                _HOSTILE_TEMPLATE: "---\n" + _alias_bomb() + "\nlicense: llama3.1\n---\n# card\n"
            },
        ),
        HostileCase(
            "template-include-outside-cards",
            _with_variant_line(0, f'template = "{_HOSTILE_TEMPLATE}"'),
            "not found",
            r"cards/hostile\.md\.j2(:\d+)?: ",  # the template that includes it
            templates={_HOSTILE_TEMPLATE: '{% include "../../../../etc/passwd" %}\n'},
        ),
        _template_case("undefined-variable", "{{ model_nmae }}", "model_nmae"),
        _template_case("syntax-error", "{% if %}", "template syntax error"),
        HostileCase(
            # A YAML tag that would build a Python object if the front matter were loaded unsafely.
            "template-python-tag-in-front-matter",
            _with_variant_line(0, f'template = "{_HOSTILE_TEMPLATE}"'),
            "README.md",
            r"README\.md:\d+",
            templates={
                _HOSTILE_TEMPLATE: "---\nlicense: !!python/object/apply:os.mkdir ['PWNED']\n"
                "base_model: meta-llama/Llama-3.1-8B\n---\n# card\n"
            },
        ),
    ]


CASES: tuple[HostileCase, ...] = tuple(
    _text_cases() + _field_cases() + _structure_cases() + _template_cases()
)


# --- running a case ----------------------------------------------------------------------------


def materialise(case: HostileCase, folder: Path, cards: Path = ROOT / "cards") -> None:
    """Write the case into `folder`: models.toml, and cards/ (a copy of `cards` + the case's)."""
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copytree(cards, folder / "cards", dirs_exist_ok=True)
    for relative, data in as_files(case).items():
        (folder / relative).write_bytes(data)


def as_files(case: HostileCase) -> dict[str, bytes]:
    """The case as files relative to a project folder; cards/ files lie over the real cards."""
    manifest = case.manifest if isinstance(case.manifest, bytes) else case.manifest.encode()
    files = {"models.toml": manifest}
    files.update({f"cards/{name}": text.encode() for name, text in case.templates.items()})
    return files


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under `folder` with its bytes: equal before and after means nothing written."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def judge(case: HostileCase, status: int, stdout: str, stderr: str) -> list[str]:
    """What is wrong with a run's outcome for this case; [] when it is what the case demands."""
    wrong = []
    if status != 1:
        wrong.append(f"exit status {status}, expected 1")
    if "Traceback" in stdout + stderr:
        wrong.append("a traceback")
    # Blank lines may come first (a progress display that ends), nothing else.
    if not stderr.lstrip("\n").startswith("error: "):
        wrong.append("the error output does not start with 'error: '")
    if case.expect not in stderr:
        wrong.append(f"{case.expect!r} not in the error output")
    if not re.search(case.place, stderr):
        wrong.append(f"no place matching {case.place!r} in the error output")
    if len(stderr) > 20_000:
        wrong.append(f"the error output is {len(stderr)} characters long")
    return wrong
