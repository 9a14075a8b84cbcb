"""Rendering the real family: golden cards, determinism, render --check, and the CLI's docs."""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML

from pipeline.card import frontmatter
from pipeline.card.render import Selection, fingerprint, render_all
from pipeline.cli.commands import build_parser
from pipeline.cli.main import main
from pipeline.errors import TemplateError
from pipeline.manifest.model import load_manifest
from pipeline.manifest.sources import load_sources
from tests.golden_files import Golden

ROOT = Path(__file__).resolve().parent.parent

# One card of each kind: base, sft, instruct, NoTraM instruct, gguf.
GOLDEN_REPOS = (
    "NbAiLab/nb-llama-3.1-8B",
    "NbAiLab/nb-llama-3.1-70B-sft",
    "NbAiLab/nb-llama-3.2-1B-Instruct",
    "NbAiLab/nb-notram-llama-3.3-70b-instruct",
    "NbAiLab/nb-llama-3.2-1B-Q4_K_M-GGUF",
)


def _family() -> dict[str, str]:
    manifest = load_manifest(ROOT / "models.toml")
    return {c.repo_id: c.content for c in render_all(manifest, ROOT / "cards")}


@pytest.mark.parametrize("repo_id", GOLDEN_REPOS)
def test_golden_card(repo_id: str, golden: Golden) -> None:
    """Byte-for-byte with tests/golden/ (tests/golden_files.py)."""
    golden(repo_id.replace("/", "__") + ".md", _family()[repo_id])


def test_every_variant_renders_with_lf_and_one_trailing_newline() -> None:
    """The shipped manifest renders, one card per variant, however many it has (no fixed count:
    README.md "Adding a variant" adds one)."""
    cards = _family()
    assert len(cards) == len(load_manifest(ROOT / "models.toml").variants) > 0
    for repo_id, content in cards.items():
        assert "\r" not in content, repo_id
        assert content.endswith("\n") and not content.endswith("\n\n"), repo_id
        assert not re.search(r"[ \t]+\n", content.split("\n---\n", 1)[0]), repo_id


def test_card_facts() -> None:
    cards = _family()
    instruct = cards["NbAiLab/nb-llama-3.2-1B-Instruct"]
    assert "Direct Preference Optimization" in instruct
    assert "Magpie" not in cards["NbAiLab/nb-llama-3.1-8B"]
    gguf = cards["NbAiLab/nb-llama-3.1-8B-Instruct-Q4_K_M-GGUF"]
    assert "https://huggingface.co/NbAiLab/nb-notram-llama-3.1-8b-instruct" in gguf
    assert "nb-llama-3.1-8b-instruct-q4_k_m.gguf" in gguf
    assert "models/llama3_1/LICENSE" in cards["NbAiLab/nb-llama-3.1-8B"]
    assert "models/llama3.1/LICENSE" not in "".join(cards.values())
    sft70 = cards["NbAiLab/nb-llama-3.1-70B-sft"]
    assert "NbAiLab/nb-llama-3.1-70B" in sft70 and "NbAiLab/Llama-3.1-70B" not in sft70
    notram = yaml.safe_load(
        frontmatter.split(cards["NbAiLab/nb-notram-llama-3.2-3b-instruct"])[0] or ""
    )
    assert notram["language"] == ["no", "nb", "nn", "en"]
    assert notram["library_name"] == "transformers"
    assert {"llama", "notram", "conversational"} <= set(notram["tags"])
    assert "north/" not in "".join(cards.values())


def test_render_is_byte_identical_and_check_passes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    shutil.copytree(ROOT / "cards", tmp_path / "cards")
    shutil.copy(ROOT / "models.toml", tmp_path / "models.toml")
    monkeypatch.chdir(tmp_path)
    count = len(load_manifest(tmp_path / "models.toml").variants)
    assert main(["render", "--out", "a"]) == 0
    assert main(["render", "--out", "b"]) == 0
    files_a = sorted(p.relative_to(tmp_path / "a") for p in (tmp_path / "a").rglob("README.md"))
    assert len(files_a) == count
    for rel in files_a:
        assert (tmp_path / "a" / rel).read_bytes() == (tmp_path / "b" / rel).read_bytes()
    assert main(["render", "--out", "a", "--check"]) == 0

    edited = tmp_path / "a/NbAiLab/nb-llama-3.1-8B/README.md"
    edited.write_text(edited.read_text() + "hand edit\n")
    capsys.readouterr()
    assert main(["render", "--out", "a", "--check"]) == 1
    out = capsys.readouterr().out
    assert (
        f"1 of {count} cards differs from a fresh render:" in out
        and "nb-llama-3.1-8B/README.md" in out
    )
    assert edited.read_text().endswith("hand edit\n"), "--check writes nothing"


def test_render_removes_cards_of_variants_gone_and_check_reports_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    shutil.copytree(ROOT / "cards", tmp_path / "cards")
    shutil.copy(ROOT / "models.toml", tmp_path / "models.toml")
    monkeypatch.chdir(tmp_path)
    assert main(["render", "--out", "out"]) == 0
    gone = tmp_path / "out/NbAiLab/nb-llama-2-7B/README.md"  # a variant since removed
    gone.parent.mkdir()
    gone.write_text("---\nlicense: llama2\n---\nold card\n")
    kept = [
        tmp_path / "out/NbAiLab/notes.md",  # not a card folder
        tmp_path / "out/NbAiLab/drafts/ideas.txt",  # a folder without a README.md
        tmp_path / "out/SomeoneElse/model/README.md",  # a namespace the manifest does not own
    ]
    for path in kept:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("keep me\n")
    capsys.readouterr()

    assert main(["render", "--out", "out", "--check"]) == 1
    out = capsys.readouterr().out
    assert "1 card of a variant no longer in the manifest:" in out
    assert "out/NbAiLab/nb-llama-2-7B/README.md" in out
    assert gone.exists(), "--check writes nothing"

    assert main(["render", "--out", "out"]) == 0
    assert "; removed 1 card of a variant no longer in the manifest" in capsys.readouterr().out
    assert not gone.parent.exists()
    assert all(path.read_text() == "keep me\n" for path in kept)
    assert main(["render", "--out", "out", "--check"]) == 0


@pytest.mark.parametrize(("umask", "mode"), [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_cards_are_written_with_the_umask(
    umask: int, mode: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shutil.copytree(ROOT / "cards", tmp_path / "cards")
    shutil.copy(ROOT / "models.toml", tmp_path / "models.toml")
    monkeypatch.chdir(tmp_path)
    old = os.umask(umask)
    try:
        assert main(["render", "--out", "out", "--only", "nb-llama-3.1-8B"]) == 0
    finally:
        os.umask(old)
    card = tmp_path / "out/NbAiLab/nb-llama-3.1-8B/README.md"
    assert card.stat().st_mode & 0o777 == mode
    assert [p.name for p in card.parent.iterdir()] == ["README.md"], "no temporary file left"


def test_rendering_uses_the_bytes_read_once(tmp_path: Path) -> None:
    """What is rendered is what was read (and fingerprinted), not what the disk holds later."""
    shutil.copytree(ROOT / "cards", tmp_path / "cards")
    shutil.copy(ROOT / "models.toml", tmp_path / "models.toml")
    files, manifest = load_sources(tmp_path / "models.toml", tmp_path / "cards")
    before = files.fingerprint
    assert before == fingerprint(tmp_path / "models.toml", tmp_path / "cards")
    base = tmp_path / "cards/base.md.j2"
    base.write_text(base.read_text() + "EDITED AFTER READING\n")
    (tmp_path / "models.toml").write_text("broken = [")
    cards = render_all(manifest, files, Selection(only=("nb-llama-3.1-8B",)))
    assert "EDITED AFTER READING" not in cards[0].content
    assert files.fingerprint == before
    assert fingerprint(tmp_path / "models.toml", tmp_path / "cards") != before


def test_a_template_cannot_run_code(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    shutil.copytree(ROOT / "cards", tmp_path / "cards")
    (tmp_path / "cards/base.md.j2").write_text(
        '{% extends "_layout.md.j2" %}\n{% block overview %}'
        f"{{{{ cycler.__init__.__globals__.os.popen('touch {marker}').read() }}}}"
        "{% endblock %}\n"
    )
    manifest = load_manifest(ROOT / "models.toml")
    with pytest.raises(TemplateError) as info:
        render_all(manifest, tmp_path / "cards", Selection(only=("nb-llama-3.1-8B",)))
    assert not marker.exists()
    (problem,) = info.value.problems
    assert problem.line == 2 and "refused by the template sandbox" in problem.message


@pytest.mark.parametrize(
    "expression",
    [
        "links.get('collection') ~ links.clear()",  # a safe method, then a mutating one
        "language_names.update({'no': 'x'})",
        "model.name ~ model.__class__",
        "'nb'.upper() ~ 'nb'.__class__.__mro__",
        "cycler.__init__.__globals__",
    ],
)
def test_the_sandbox_refuses_internals_and_mutation(expression: str, tmp_path: Path) -> None:
    shutil.copytree(ROOT / "cards", tmp_path / "cards")
    (tmp_path / "cards/base.md.j2").write_text(
        '{% extends "_layout.md.j2" %}\n{% block overview %}\n'
        f"{{{{ {expression} }}}}\n{{% endblock %}}\n"
    )
    manifest = load_manifest(ROOT / "models.toml")
    with pytest.raises(TemplateError) as info:
        render_all(manifest, tmp_path / "cards", Selection(only=("nb-llama-3.*-8B",)))
    (problem,) = info.value.problems
    assert problem.line == 3
    assert problem.message.startswith("refused by the template sandbox: ")


def test_a_misspelt_name_is_reported_once_with_a_suggestion(tmp_path: Path) -> None:
    shutil.copytree(ROOT / "cards", tmp_path / "cards")
    layout = tmp_path / "cards/_layout.md.j2"
    layout.write_text(layout.read_text().replace("{{ model_name }}", "{{ model_nmae }}", 1))
    manifest = load_manifest(ROOT / "models.toml")
    with pytest.raises(TemplateError) as info:
        render_all(manifest, tmp_path / "cards")
    (problem,) = info.value.problems
    assert problem.file.endswith("cards/_layout.md.j2") and problem.line is not None
    assert problem.message == "undefined variable: 'model_nmae' is undefined"
    assert problem.hint is not None
    assert problem.hint.startswith("did you mean 'model_name'?")
    assert "while rendering 16 cards" in problem.hint
    assert "pipeline.manifest.model" not in str(info.value)


def test_only_and_exclude(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    manifest = load_manifest(ROOT / "models.toml")
    names = [v.name for v in manifest.variants]
    gguf = render_all(manifest, ROOT / "cards", Selection(only=("*-GGUF",)))
    assert len(gguf) == sum(n.endswith("-GGUF") for n in names) > 0
    rest = render_all(manifest, ROOT / "cards", Selection(exclude=("*-GGUF", "*sft")))
    assert len(rest) == sum(not n.endswith(("-GGUF", "sft")) for n in names) > 0


def test_only_matching_nothing_is_an_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert (
        main(
            [
                "validate",
                "--manifest",
                str(ROOT / "models.toml"),
                "--cards",
                str(ROOT / "cards"),
                "--only",
                "nothing-*",
            ]
        )
        == 1
    )
    assert "--only 'nothing-*' matches no variant of the manifest" in capsys.readouterr().err


# --- docs ------------------------------------------------------------------------------------


def _subcommands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    """A parser's subcommands (argparse keeps them in its one _SubParsersAction)."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def _commands() -> list[list[str]]:
    out: list[list[str]] = []
    for name, sub in _subcommands(build_parser()).items():
        out.append([name])
        out.extend([name, inner] for inner in _subcommands(sub))
    return out


@pytest.mark.parametrize("command", _commands(), ids=" ".join)
def test_every_command_has_help_and_is_in_the_readme(
    command: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main([*command, "--help"])
    assert exit_info.value.code == 0
    assert "usage: nb-release " + " ".join(command) in capsys.readouterr().out
    readme = (ROOT / "README.md").read_text()
    assert f"nb-release {' '.join(command)}" in readme


def test_every_flag_is_in_the_readme() -> None:
    readme = (ROOT / "README.md").read_text()
    parser = build_parser()
    flags: set[str] = set()
    for action in parser._subparsers._group_actions:  # type: ignore[union-attr]
        for sub in action.choices.values():  # type: ignore[union-attr]
            parsers = [sub] + (
                list(sub._subparsers._group_actions[0].choices.values()) if sub._subparsers else []
            )
            for p in parsers:
                for a in p._actions:
                    flags.update(
                        s for s in a.option_strings if s.startswith("--") and s != "--help"
                    )
    missing = sorted(f for f in flags if f not in readme)
    assert not missing, f"flags not documented in README.md: {missing}"


# --- properties ------------------------------------------------------------------------------

_names = st.from_regex(r"[a-z][a-z0-9]{0,10}(-[a-z0-9]{1,6}){0,2}", fullmatch=True)
_sizes = st.sampled_from(["1B", "3B", "8B", "70B", "500M"])
_versions = st.sampled_from(["3.1", "3.2", "3.3"])
_languages = st.lists(
    st.sampled_from(["no", "nb", "nn", "en", "sv", "da", "fi", "is", "se"]),
    min_size=1,
    max_size=6,
    unique=True,
)
_tags = st.lists(
    st.sampled_from(
        [
            "norwegian",
            "yes",
            "no",
            "on",
            "off",
            "true",
            "null",
            "1.0",
            "0o7",
            "text-generation",
            "bokmål",
        ]
    ),
    min_size=1,
    max_size=5,
    unique=True,
)


@st.composite
def _manifests(draw: st.DrawFn) -> str:
    names = draw(st.lists(_names, min_size=1, max_size=4, unique_by=str.lower))
    kinds = ["base", "sft", "instruct", "notram"]
    lines = [
        "[defaults]",
        'namespace = "NbAiLab"',
        'developer = "National Library of Norway (NB-AiLab)"',
        'author = "Per Egil Kummervold"',
        'knowledge_cutoff = "May 2024"',
        'pipeline_tag = "text-generation"',
        f"languages = {draw(_languages)!r}".replace("'", '"'),
        f"tags = {draw(_tags)!r}".replace("'", '"'),
        "[defaults.licenses]",
        '"3.1" = "llama3.1"',
        '"3.2" = "llama3.2"',
        '"3.3" = "llama3.3"',
    ]
    for index, name in enumerate(names):
        version = draw(_versions)
        size = draw(_sizes)
        kind = draw(st.sampled_from(kinds))
        base = f"meta-llama/Llama-{version}-{size}"
        lines += [
            "[[models]]",
            f'name = "{name}"',
            f'kind = "{kind}"',
            f'llama_version = "{version}"',
            f'size = "{size}"',
            f'base_model = "{base}"',
        ]
        if index and draw(st.booleans()):
            # A quantisation of the first variant.
            first = names[0]
            lines[-6:] = [
                "[[models]]",
                f'name = "{name}-gguf"',
                'kind = "gguf"',
                f'llama_version = "{_first_version(lines)}"',
                f'size = "{_first_size(lines)}"',
                f'base_model = "NbAiLab/{first}"',
                'quantization = "Q4_K_M"',
                f'gguf_file = "{name}-q4_k_m.gguf"',
            ]
    return "\n".join(lines) + "\n"


def _first_version(lines: list[str]) -> str:
    return next(line.split('"')[1] for line in lines if line.startswith("llama_version"))


def _first_size(lines: list[str]) -> str:
    return next(line.split('"')[1] for line in lines if line.startswith("size"))


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(text=_manifests())
def test_generated_manifests_render_deterministically_and_agree(text: str, tmp_path: Path) -> None:
    path = tmp_path / "models.toml"
    path.write_text(text, encoding="utf-8")
    manifest = load_manifest(path)
    first = render_all(manifest, ROOT / "cards")
    second = render_all(load_manifest(path), ROOT / "cards")
    assert [c.content for c in first] == [c.content for c in second]
    ruamel = YAML(typ="safe", pure=True)
    for card in first:
        yaml_text, _body = frontmatter.split(card.content)
        assert yaml_text is not None
        assert yaml.safe_load(yaml_text) == ruamel.load(yaml_text)


def test_range_still_behaves_as_a_range_under_the_step_budget() -> None:
    from pipeline.card._templating import make_environment, render_bounded

    env = make_environment(
        Path("cards"),
        {
            "t.j2": b"{{ range(3) | list }} {{ range(5) | length }} "
            b"{% for i in range(2, 8, 3) %}{{ i }}/{{ loop.length }} {% endfor %}"
        },
    )
    assert render_bounded(env.get_template("t.j2"), {}) == "[0, 1, 2] 5 2/2 5/2 "
    # The budget is per card: two renders of 600,000 steps each both pass.
    heavy = make_environment(
        Path("cards"),
        {"t.j2": b"{% for i in range(600) %}{% for j in range(999) %}{% endfor %}{% endfor %}"},
    )
    for _ in range(2):
        assert render_bounded(heavy.get_template("t.j2"), {}) == ""


@pytest.mark.parametrize("command", [["validate"], ["render", "--out", "out"]])
def test_validate_and_render_never_import_the_hub_client(
    command: list[str], tmp_path: Path
) -> None:
    shutil.copytree(ROOT / "cards", tmp_path / "cards")
    shutil.copy(ROOT / "models.toml", tmp_path / "models.toml")
    code = (
        "import sys\n"
        "from pipeline.cli.main import main\n"
        f"assert main({command!r}) == 0\n"
        "clients = ('huggingface_hub', 'httpx', 'httpx2')\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in clients\n"
        "             or m in ('pipeline.hub.client', 'pipeline.plan.publish',\n"
        "                      'pipeline.localhub.server')))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, check=True
    )
    assert result.stdout.strip().splitlines()[-1] == "[]"
