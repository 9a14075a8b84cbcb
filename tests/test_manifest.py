"""Unit tests of pipeline.manifest.model on small manifests of their own, never the shipped one."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.errors import ManifestError
from pipeline.manifest._file import MAX_BYTES, MAX_DEPTH
from pipeline.manifest.model import load_manifest

FAMILY = """\
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


def _write(tmp_path: Path, text: str | bytes) -> Path:
    path = tmp_path / "models.toml"
    if isinstance(text, str):
        text = text.encode()
    path.write_bytes(text)
    return path


def _problems(path: Path) -> list[str]:
    with pytest.raises(ManifestError) as caught:
        load_manifest(path)
    return [p.format() for p in caught.value.problems]


def test_a_family_loads(tmp_path: Path) -> None:
    manifest = load_manifest(_write(tmp_path, FAMILY))
    assert [v.name for v in manifest.variants] == [
        "nb-llama-3.1-8B",
        "nb-llama-3.1-8B-sft",
        "nb-llama-3.1-8B-Q4_K_M-GGUF",
    ]
    gguf = manifest.variants[2]
    assert gguf.base_model_variant == "nb-llama-3.1-8B"
    assert (gguf.quantization, gguf.gguf_file) == ("Q4_K_M", "nb-llama-3.1-8b-q4_k_m.gguf")
    assert manifest.variants[0].parameters == "8 billion"
    assert [v.line for v in manifest.variants] == [13, 20, 27]


@pytest.mark.parametrize(
    ("head", "shift"),
    [
        ('author = "P"\n', 0),
        ('# [[models]] in a comment\nauthor = "P"\n', 1),
        # In a string, not a header (a string's first line break, or one escaped, is not text).
        ('author = """\\\n[[models]]"""\n', 1),
        ("author = '''\n[[models]]'''\n", 1),
    ],
)
@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"])
@pytest.mark.parametrize("quoted", [False, True])
def test_each_variant_has_the_line_of_its_header(
    tmp_path: Path, head: str, shift: int, newline: str, quoted: bool
) -> None:
    text = FAMILY.replace('author = "Per Egil Kummervold"\n', head, 1)
    if quoted:  # `[[ "models" ]]` is a header too
        text = text.replace(
            '[[models]]\nname = "nb-llama-3.1-8B-sft"',
            '[[ "models" ]]\nname = "nb-llama-3.1-8B-sft"',
        )
    manifest = load_manifest(_write(tmp_path, text.replace("\n", newline)))
    assert [v.line for v in manifest.variants] == [13 + shift, 20 + shift, 27 + shift]


def test_a_byte_order_mark_is_accepted(tmp_path: Path) -> None:
    """A BOM once gave "Invalid statement" at 1:1; it carries no meaning."""
    plain = load_manifest(_write(tmp_path, FAMILY))
    marked = load_manifest(_write(tmp_path, b"\xef\xbb\xbf" + FAMILY.encode()))
    assert marked.variants == plain.variants


@pytest.mark.parametrize(
    ("old", "new", "where"),
    [
        ('size = "8B"\nbase_model = "meta', 'size = "8B"\nlicence = "x"\nbase_model = "meta', 18),
        ('kind = "base"', 'kind = "base"\ndisplay_name = "a\\nb"', 16),
        ('size = "8B"', "size = 8", 17),
        ('kind = "base"', 'kind = "base"\nlanguages = ["zzz"]', 16),
        ('llama_version = "3.1"', 'llama_version = "3.1"\nauthor = "<x>"', 17),
    ],
)
def test_one_typo_in_a_parent_gives_one_problem(
    tmp_path: Path, old: str, new: str, where: int
) -> None:
    """A variant that fails validation keeps its identity for the family checks, so
    its sft child and its quantisation get no "not a variant of the manifest" errors."""
    assert FAMILY.count(old) >= 1
    problems = _problems(_write(tmp_path, FAMILY.replace(old, new, 1)))
    assert len(problems) == 1, problems
    assert problems[0].startswith(f"{tmp_path / 'models.toml'}:{where}:")


def test_a_broken_parent_still_has_its_family_checked(tmp_path: Path) -> None:
    """The readable parts of a broken variant are still checked: a real second mistake shows."""
    text = FAMILY.replace('kind = "base"', 'kind = "base"\nlicence = "x"', 1).replace(
        'size = "8B"\nbase_model = "NbAiLab/nb-llama-3.1-8B"\nquantization',
        'size = "70B"\nbase_model = "NbAiLab/nb-llama-3.1-8B"\nquantization',
    )
    problems = _problems(_write(tmp_path, text))
    assert len(problems) == 2, problems
    assert "size '70B' differs from its parent 'NbAiLab/nb-llama-3.1-8B' ('8B')" in problems[1]


def test_a_broken_namespace_leaves_its_children_unjudged(tmp_path: Path) -> None:
    """A variant whose own namespace is wrong has no repo id; its children may name it, so they
    are not told their base is missing: one problem."""
    text = FAMILY.replace('kind = "base"', 'kind = "base"\nnamespace = "Nb AiLab"', 1)
    problems = _problems(_write(tmp_path, text))
    assert len(problems) == 1, problems
    assert "is not a valid Hub name" in problems[0]


@pytest.mark.parametrize(
    "deep",
    [
        "x = " + "[" * 5000 + "]" * 5000,
        "x = " + "{a = " * 2000 + "1" + "}" * 2000,
        "x = " + "[" * (MAX_DEPTH + 5) + "]" * (MAX_DEPTH + 5),
        "[kinds.base." + ".".join(["t"] * 300) + "]",
    ],
    ids=["arrays-5000", "inline-tables-2000", "arrays-just-too-deep", "table-300"],
)
def test_deep_nesting_is_a_located_error(tmp_path: Path, deep: str) -> None:
    """Deep nesting once gave a RecursionError traceback; now one located problem."""
    text = FAMILY + "\n[kinds.sft]\n" + deep + "\n"
    line = text.count("\n")
    problems = _problems(_write(tmp_path, text))
    assert len(problems) == 1
    assert problems[0].startswith(f"{tmp_path / 'models.toml'}:{line}:")
    assert f"a manifest may nest at most {MAX_DEPTH}" in problems[0]


def test_nesting_within_the_bound_is_read(tmp_path: Path) -> None:
    """Nesting below the bound is not refused for depth (the schema then says what is wrong)."""
    text = FAMILY + "\n[kinds.sft]\nx = " + "[" * 10 + "]" * 10 + "\n"
    line = text.count("\n")
    problems = _problems(_write(tmp_path, text))
    assert len(problems) == 1
    assert problems[0].startswith(  # the keys a [kinds.X] table takes follow
        f"{tmp_path / 'models.toml'}:{line}:1: kinds.sft.x: unknown key 'x'\n"
        "    hint: allowed keys: namespace, languages, tags, "
    )


def test_an_oversize_file_is_refused_unread(tmp_path: Path) -> None:
    path = _write(tmp_path, FAMILY + "#" * MAX_BYTES)
    problems = _problems(path)
    assert problems == [
        f"{path}: the file is larger than {MAX_BYTES} bytes, the most a manifest may have"
    ]


def test_an_endless_file_is_refused(tmp_path: Path) -> None:
    """/dev/zero has no size to check, and no manifest is a device: refused before a read."""
    problems = _problems(Path("/dev/zero"))
    assert problems == ["/dev/zero: the file is a device, not a regular file"]


def test_a_folder_is_no_manifest(tmp_path: Path) -> None:
    assert _problems(tmp_path) == [f"{tmp_path}: Is a directory"]


def test_the_readme_example_adds_one_variant(tmp_path: Path) -> None:
    """Following the README's "Adding a variant" once broke tests expecting 16."""
    root = Path(__file__).resolve().parent.parent
    readme = (root / "README.md").read_text(encoding="utf-8")
    section = readme.split("### Adding a variant", 1)[1]
    example = section.split("```toml\n", 1)[1].split("```", 1)[0]
    shipped = load_manifest(root / "models.toml")
    grown = load_manifest(_write(tmp_path, (root / "models.toml").read_text() + "\n" + example))
    assert len(grown.variants) == len(shipped.variants) + 1
    assert grown.variants[-1].base_model_variant is not None


def test_a_parent_missing_a_value_keeps_its_identity(tmp_path: Path) -> None:
    """A variant with no value anywhere for a key is reported once; its children still find it."""
    text = FAMILY.replace('author = "Per Egil Kummervold"\n', "")
    text = text.replace('kind = "sft"', 'kind = "sft"\nauthor = "A"').replace(
        'kind = "gguf"', 'kind = "gguf"\nauthor = "A"'
    )
    problems = _problems(_write(tmp_path, text))
    assert len(problems) == 1, problems
    assert "models[0].author: no value for 'author'" in problems[0]


def test_a_message_lists_the_first_hundred_problems(tmp_path: Path) -> None:
    extra = "".join(
        f'\n[[models]]\nname = "v{i}"\nkind = "sft"\nllama_version = "3.1"\nsize = "8B"\n'
        'base_model = "NbAiLab/missing"\n'
        for i in range(150)
    )
    with pytest.raises(ManifestError) as caught:
        load_manifest(_write(tmp_path, FAMILY + extra))
    assert len(caught.value.problems) == 150
    message = str(caught.value)
    assert message.startswith("the manifest is invalid (150 problems):\n")
    assert message.count("is not a variant of the manifest") == 100
    assert message.endswith("\n  ... and 50 more")
    # "did you mean" is worked out for the first problems only (it is quadratic otherwise).
    assert message.count("did you mean") == 20


def test_unknown_keys_by_the_thousand_get_hints_for_the_first_only(tmp_path: Path) -> None:
    keys = "".join(f"licence{i} = 1\n" for i in range(30))
    text = FAMILY.replace("[defaults.licenses]", keys + "[defaults.licenses]")
    with pytest.raises(ManifestError) as caught:
        load_manifest(_write(tmp_path, text))
    hints = [p.hint for p in caught.value.problems]
    assert len(hints) == 30
    assert all(hints[:20]) and not any(hints[20:])


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ('languages = ["no", "nb", "nn", "en"]', 'languages = ["no", "nb", "nn", "zzz"]'),
        ('"3.1" = "llama3.1"', '"3.1" = "llama3.9"'),
        ('namespace = "NbAiLab"', 'namespace = "Nb AiLab"'),
        ('tags = ["norwegian", "text-generation"]', 'tags = ["a b"]'),
        ('author = "Per Egil Kummervold"', 'author = "Per Egil Kummervold"\nauthr = "x"'),
    ],
)
def test_one_mistake_in_defaults_gives_one_problem(tmp_path: Path, old: str, new: str) -> None:
    """A bad key of [defaults] is reported once, not again as a missing value in each variant."""
    problems = _problems(_write(tmp_path, FAMILY.replace(old, new, 1)))
    assert len(problems) == 1, problems


def test_a_mistake_in_defaults_does_not_hide_the_family_checks(tmp_path: Path) -> None:
    text = FAMILY.replace('author = "Per', 'authr = "x"\nauthor = "Per', 1).replace(
        'name = "nb-llama-3.1-8B-sft"', 'name = "nb-llama-3.1-8B"'
    )
    problems = _problems(_write(tmp_path, text))
    assert len(problems) == 2, problems
    assert "unknown key 'authr'" in problems[0]
    assert "is the same repo id as models[0]" in problems[1]


def test_a_mistake_in_a_kind_table_gives_one_problem(tmp_path: Path) -> None:
    """[kinds.gguf] alone sets the quantisations' tags; a typo beside them costs one problem."""
    text = FAMILY.replace(
        "[[models]]", '[kinds.gguf]\ntags = ["gguf"]\ntmplate = "x.md.j2"\n\n[[models]]', 1
    )
    problems = _problems(_write(tmp_path, text))
    assert len(problems) == 1, problems
    assert "kinds.gguf.tmplate: unknown key 'tmplate'" in problems[0]


def test_cycles_are_found_once_each_at_their_first_member(tmp_path: Path) -> None:
    def entry(name: str, base: str) -> str:
        return (
            f'\n[[models]]\nname = "{name}"\nkind = "sft"\nllama_version = "3.1"\nsize = "8B"\n'
            f'base_model = "NbAiLab/{base}"\n'
        )

    # c -> a -> b -> c, and a tail d -> c that reaches the cycle without being in it.
    text = FAMILY + entry("c", "a") + entry("a", "b") + entry("b", "c") + entry("d", "c")
    problems = _problems(_write(tmp_path, text))
    assert len(problems) == 1, problems
    assert problems[0].endswith(
        "models[3].base_model: base models form a cycle: "
        "NbAiLab/c -> NbAiLab/a -> NbAiLab/b -> NbAiLab/c"
    )


def test_by_repo_id_ignores_case(tmp_path: Path) -> None:
    manifest = load_manifest(_write(tmp_path, FAMILY))
    sft = manifest.variants[1]
    assert manifest.by_repo_id("nbailab/NB-LLAMA-3.1-8B-SFT") is sft
    assert manifest.by_repo_id("NbAiLab/nope") is None


def test_the_managed_scope_is_read_and_matches_names_ignoring_case(tmp_path: Path) -> None:
    declared = FAMILY.replace(
        'namespace = "NbAiLab"\n',
        'namespace = "NbAiLab"\nmanage = { namespace = "NbAiLab", patterns = ["nb-llama-*"] }\n',
        1,
    )
    scope = load_manifest(_write(tmp_path, declared)).manage
    assert scope is not None
    assert scope.matches("nbailab/NB-LLAMA-4-1B")
    assert not scope.matches("NbAiLab/nb-bert-base")
    assert not scope.matches("Other/nb-llama-4-1B")


@pytest.mark.parametrize(
    ("manage", "message"),
    [
        (
            '{ namespace = "NbAiLab", patterns = ["NbAiLab/nb-llama-*"] }',
            "defaults.manage.patterns[0]: expected a glob on repo names",
        ),
        ('{ namespace = "NbAiLab" }', "defaults.manage.patterns: "),
        (
            '{ namespace = "NbAiLab", patterns = ["a"], pattern = "b" }',
            "defaults.manage.pattern: unknown key 'pattern'",
        ),
    ],
)
def test_a_wrong_managed_scope_is_a_located_error(
    tmp_path: Path, manage: str, message: str
) -> None:
    declared = FAMILY.replace(
        'namespace = "NbAiLab"\n', f'namespace = "NbAiLab"\nmanage = {manage}\n', 1
    )
    problems = _problems(_write(tmp_path, declared))
    assert len(problems) == 1
    assert problems[0].startswith(f"{tmp_path / 'models.toml'}:3:")
    assert message in problems[0]


LAYERED = (
    FAMILY.replace(
        "[defaults.licenses]",
        """extra_tags = ["d"]
files = { "NOTICE" = { template = "NOTICE.j2" }, "A" = { copy = "A" } }

[kinds.base]
extra_tags = ["kb"]

[kinds.gguf]
extra_tags = ["k"]
template = "quant.md.j2"
allow_create = true
files = { "A" = { copy = "B" } }

[defaults.licenses]""",
    )
    .replace(
        'base_model = "meta-llama/Llama-3.1-8B"',
        'base_model = "meta-llama/Llama-3.1-8B"\nextra_tags = ["b"]',
    )
    .replace(
        'quantization = "Q4_K_M"',
        'quantization = "Q4_K_M"\nextra_tags = ["v", "d"]\nfiles = { "C" = { copy = "C" } }',
    )
)


def test_each_value_comes_from_the_variant_then_its_kind_then_the_defaults(
    tmp_path: Path,
) -> None:
    base, _, gguf = load_manifest(_write(tmp_path, LAYERED)).variants
    assert base.tags == ("norwegian", "text-generation", "d", "kb", "b")
    assert (base.template, base.allow_create) == ("base.md.j2", False)
    assert [(f.path, f.template, f.copy) for f in base.files] == [
        ("A", None, "A"),
        ("NOTICE", "NOTICE.j2", None),
    ]
    # A child's tags are its parent's, then the extra_tags of [defaults], its own, its kind's.
    assert gguf.tags == ("norwegian", "text-generation", "d", "kb", "b", "v", "k")
    assert (gguf.template, gguf.allow_create) == ("quant.md.j2", True)
    assert [(f.path, f.template, f.copy) for f in gguf.files] == [
        ("A", None, "B"),
        ("C", None, "C"),
        ("NOTICE", "NOTICE.j2", None),
    ]
