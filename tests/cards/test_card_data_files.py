"""The files a render reads, and the fingerprint over them.

A render reads the manifest and files under cards/ only, from the bytes read once at the start
(`sources.SourceFiles`): the templates, and the data files a template reads with `data_file()`,
often by a path a manifest value names. The fingerprint hashes all of those bytes, so the render
cache and apply's check cannot take a card rendered from an older data file for a current one.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest
from pydantic import TypeAdapter, ValidationError

from pipeline.card.render import Selection, render_all
from pipeline.errors import TemplateError
from pipeline.hub.cache import Cache
from pipeline.manifest._fields import DataFile
from pipeline.manifest.sources import SourceFiles, load_sources
from pipeline.plan.planning import render_cards
from tests.cards.card_context import NOTED_REPO, NOTED_TEMPLATE, ROOT, add_notes

ONE = Selection(only=(NOTED_REPO,))


def _project(tmp_path: Path, template: str = NOTED_TEMPLATE) -> Path:
    shutil.copytree(ROOT / "cards", tmp_path / "cards")
    shutil.copy(ROOT / "models.toml", tmp_path / "models.toml")
    add_notes(tmp_path, template)
    return tmp_path


def _render(project: Path) -> tuple[SourceFiles, str]:
    files, manifest = load_sources(project / "models.toml", project / "cards")
    (card,) = render_all(manifest, files, ONE)
    return files, card.content


def test_a_template_reads_a_data_file_and_the_fingerprint_covers_it(tmp_path: Path) -> None:
    project = _project(tmp_path)
    files, content = _render(project)
    assert "It is not instruction-tuned.\n\nNotes: the first.\n" in content
    (project / "cards/notes/nb-llama-3.1-8B.md").write_text("Notes: the second.\n")
    edited, content = _render(project)
    assert "Notes: the second." in content and "the first" not in content
    assert edited.fingerprint != files.fingerprint


def test_the_render_cache_does_not_serve_a_card_of_an_older_data_file(tmp_path: Path) -> None:
    project = _project(tmp_path)
    cache = Cache(tmp_path / "cache")
    files, manifest = load_sources(project / "models.toml", project / "cards")
    (first,) = render_cards(files, manifest, ONE, cache)
    assert cache.rendered(files.fingerprint, ONE) is not None  # the next run would take it
    (project / "cards/notes/nb-llama-3.1-8B.md").write_text("Notes: the second.\n")
    files, manifest = load_sources(project / "models.toml", project / "cards")
    (second,) = render_cards(files, manifest, ONE, cache)
    assert "Notes: the first." in first.content
    assert "Notes: the second." in second.content


class _Recording(Mapping[str, bytes]):
    """The files of cards/, noting each one a render asks for."""

    def __init__(self, files: Mapping[str, bytes]) -> None:
        self.files = files
        self.read: set[str] = set()

    def __getitem__(self, name: str) -> bytes:
        self.read.add(name)
        return self.files[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self.files)

    def __len__(self) -> int:
        return len(self.files)


def test_every_file_a_render_reads_is_in_the_fingerprint(tmp_path: Path) -> None:
    """Each file a render asks for, changed by one byte, changes the fingerprint; and with the
    project gone from the disk, the render is the same: nothing else was read."""
    project = _project(tmp_path)
    files, manifest = load_sources(project / "models.toml", project / "cards")
    recording = _Recording(files.templates)
    watched = SourceFiles(files.manifest_path, files.manifest_bytes, files.cards_dir, recording)
    (card,) = render_all(manifest, watched, ONE)
    assert {"noted.md.j2", "base.md.j2", "_layout.md.j2", "notes/nb-llama-3.1-8B.md"} <= (
        recording.read
    )
    for name in sorted(recording.read):
        changed = {**files.templates, name: files.templates[name] + b" "}
        other = SourceFiles(files.manifest_path, files.manifest_bytes, files.cards_dir, changed)
        assert other.fingerprint != files.fingerprint, name
    other = SourceFiles(files.manifest_path, files.manifest_bytes + b"\n", files.cards_dir, {})
    assert other.fingerprint != files.fingerprint
    shutil.rmtree(project)
    (again,) = render_all(manifest, files, ONE)
    assert again == card


def test_a_data_file_a_manifest_value_names_that_is_missing_is_placed_at_that_key(
    tmp_path: Path,
) -> None:
    # gguf_file stands for a key naming a data file (a `notes_file`): the template reads the file
    # the value names, and there is none under cards/.
    project = _project(tmp_path)
    gguf = project / "cards/gguf.md.j2"
    overview = "{%- block overview -%}\n"
    gguf.write_text(
        gguf.read_text().replace(overview, overview + "{{ data_file(model.gguf_file) }}")
    )
    files, manifest = load_sources(project / "models.toml", project / "cards")
    with pytest.raises(TemplateError) as caught:
        render_all(manifest, files, Selection(only=("nb-llama-3.1-8B-Q4_K_M-GGUF",)))
    (problem,) = caught.value.problems
    variant = manifest.by_repo_id("NbAiLab/nb-llama-3.1-8B-Q4_K_M-GGUF")
    assert variant is not None
    assert (problem.file, problem.line) == (str(project / "models.toml"), variant.line)
    assert problem.key_path == f"models[{variant.index}].gguf_file"
    assert problem.message == (
        "gguf_file names 'nb-llama-3.1-8b-q4_k_m.gguf', which is not a file under "
        f"{project / 'cards'}/"
    )
    assert problem.hint is not None and "notes/nb-llama-3.1-8B.md" in problem.hint


def test_a_data_file_a_template_names_that_is_missing_is_placed_at_its_line(
    tmp_path: Path,
) -> None:
    project = _project(tmp_path, NOTED_TEMPLATE.replace('"notes/"', '"notez/"'))
    files, manifest = load_sources(project / "models.toml", project / "cards")
    with pytest.raises(TemplateError) as caught:
        render_all(manifest, files, ONE)
    (problem,) = caught.value.problems
    assert problem.file.endswith("cards/noted.md.j2") and problem.line == 3
    assert problem.message == (
        f"data file 'notez/nb-llama-3.1-8B.md' not found under {project / 'cards'}/"
    )


def test_a_data_file_of_an_unset_key_is_placed_at_the_template_line(tmp_path: Path) -> None:
    # library_name is unset (None) for a base variant, as an optional data-file key would be.
    template = NOTED_TEMPLATE.replace('"notes/" ~ model.name ~ ".md"', "model.library_name")
    project = _project(tmp_path, template)
    files, manifest = load_sources(project / "models.toml", project / "cards")
    with pytest.raises(TemplateError) as caught:
        render_all(manifest, files, ONE)
    (problem,) = caught.value.problems
    assert problem.file.endswith("cards/noted.md.j2") and problem.line == 3
    assert problem.key_path is None
    assert problem.message == (
        f"data_file() takes the path of a file under {project / 'cards'}/, got None"
    )


@pytest.mark.parametrize("value", ["notes/x.md", "x", "a/b_c-d.1.txt"])
def test_a_data_file_key_takes_a_path_under_cards(value: str) -> None:
    assert TypeAdapter(DataFile).validate_python(value) == value


@pytest.mark.parametrize(
    "value", ["../secret", "notes/../../x", "/etc/passwd", "", ".hidden", "a b", 7, None]
)
def test_a_data_file_key_refuses_a_path_that_leaves_cards(value: object) -> None:
    with pytest.raises(ValidationError, match="a file under cards/"):
        TypeAdapter(DataFile).validate_python(value)
