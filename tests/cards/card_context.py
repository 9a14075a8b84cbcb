"""The production render context for the template tests: the shipped manifest's variants
(`manifest.Variant`, as `load_manifest` resolves them) and `render.context_for`.

Nothing here restates a field or a context entry, so a manifest field a template can use
reaches these tests with no edit to them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pipeline.card._templating import CardEnvironment, make_environment
from pipeline.card.render import context_for
from pipeline.manifest.model import Manifest, Variant, load_manifest

ROOT = Path(__file__).resolve().parents[2]
CARDS = ROOT / "cards"
MANIFEST: Manifest = load_manifest(ROOT / "models.toml")

# One variant of each kind: the shipped manifest's, chosen to cover a family parent (sft, gguf)
# and an outside base (base, instruct, notram).
EXAMPLES = {
    "base": "NbAiLab/nb-llama-3.1-8B",
    "sft": "NbAiLab/nb-llama-3.1-8B-sft",
    "instruct": "NbAiLab/nb-llama-3.2-1B-Instruct",
    "notram": "NbAiLab/nb-notram-llama-3.1-8b-instruct",
    "gguf": "NbAiLab/nb-llama-3.1-8B-Instruct-Q4_K_M-GGUF",
}
KINDS = tuple(EXAMPLES)


def variant(repo_id: str) -> Variant:
    """The shipped manifest's variant of `repo_id`."""
    found = MANIFEST.by_repo_id(repo_id)
    assert found is not None, f"{repo_id} is not in models.toml"
    return found


def example(kind: str) -> Variant:
    """The example variant of `kind` (EXAMPLES)."""
    return variant(EXAMPLES[kind])


def parent_of(model: Variant) -> Variant | None:
    """The variant of the manifest that `model` names as its base, as context_for finds it."""
    parent = context_for(MANIFEST, model)["parent"]
    assert parent is None or isinstance(parent, Variant)
    return parent


def context(model: Variant) -> dict[str, Any]:
    """The context render_all gives `model`'s template."""
    return context_for(MANIFEST, model)


def make_env() -> CardEnvironment:
    return make_environment(CARDS)


def render_card(
    kind: str, template: str | None = None, model: Variant | None = None, **changes: Any
) -> str:
    """The raw card of the `kind` example, or of `model` (a changed variant) in its place;
    `changes` then override entries of the context."""
    model = model or example(kind)
    ctx = context(model)
    ctx.update(changes)
    return make_env().get_template(template or model.template).render(ctx)


# A template of the tests' own, for one variant (named by the manifest's `template` key): the base
# card, with the text of a data file named after the variant below its kind paragraph.
NOTED_TEMPLATE = """{% extends "base.md.j2" %}
{%- block kind_paragraph -%}
{{ super() }}{{ data_file("notes/" ~ model.name ~ ".md") }}
{% endblock %}"""
NOTED_REPO = "NbAiLab/nb-llama-3.1-8B"


def add_notes(project: Path, template: str = NOTED_TEMPLATE) -> Path:
    """Give NOTED_REPO of the project's models.toml the template `template` (as noted.md.j2) and
    the data file cards/notes/nb-llama-3.1-8B.md it reads; return that file."""
    (project / "cards/noted.md.j2").write_text(template, encoding="utf-8")
    notes = project / "cards/notes/nb-llama-3.1-8B.md"
    notes.parent.mkdir()
    notes.write_text("Notes: the first.\n", encoding="utf-8")
    manifest = project / "models.toml"
    text = manifest.read_text(encoding="utf-8")
    entry = f'name = "{NOTED_REPO.split("/")[1]}"\n'
    assert entry in text
    manifest.write_text(text.replace(entry, entry + 'template = "noted.md.j2"\n'), "utf-8")
    return notes
