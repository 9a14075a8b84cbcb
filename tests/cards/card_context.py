"""The render context render.py provides, built by hand for the template tests."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

import jinja2

CARDS = Path(__file__).resolve().parents[2] / "cards"

from pipeline.manifest import load_manifest  # noqa: E402
from pipeline.render import LANGUAGE_NAMES  # noqa: E402  # the one list of names

# The named URLs of the shipped manifest ([defaults.links]), as render.py passes them.
LINKS = dict(load_manifest(CARDS.parent / "models.toml").links)

ALL_LANGUAGES = ("no", "nb", "nn", "en", "sv", "da")
FAMILY_TAGS = (
    "norwegian",
    "bokmål",
    "nynorsk",
    "swedish",
    "danish",
    "multilingual",
    "text-generation",
)


def variant(repo_id: str, kind: str, base_model: str, **changes: Any) -> SimpleNamespace:
    """A manifest variant with the attributes render.py promises; `changes` overrides them."""
    name = repo_id.split("/")[1]
    version = changes.pop("llama_version", "3.1")
    fields: dict[str, Any] = {
        "repo_id": repo_id,
        "name": name,
        "display_name": name,
        "kind": kind,
        "llama_version": version,
        "size": "8B",
        "parameters": "8 billion",
        "base_model": base_model,
        "languages": ALL_LANGUAGES,
        "tags": FAMILY_TAGS,
        "license": "llama" + version,
        "pipeline_tag": "text-generation",
        "library_name": None,
        "knowledge_cutoff": "May 2024",
        "developer": "National Library of Norway (NB-AiLab)",
        "author": "Per Egil Kummervold",
        "quantization": None,
        "gguf_file": None,
    }
    fields.update(changes)
    return SimpleNamespace(**fields)


BASE_8B = variant("NbAiLab/nb-llama-3.1-8B", "base", "meta-llama/Llama-3.1-8B")
BASE_1B = variant(
    "NbAiLab/nb-llama-3.2-1B",
    "base",
    "meta-llama/Llama-3.2-1B",
    llama_version="3.2",
    size="1B",
    parameters="1 billion",
)
# The tags and library models.toml gives the kinds ([kinds.notram], [kinds.gguf] extra_tags).
NOTRAM_TAGS = (
    "norwegian",
    "bokmål",
    "nynorsk",
    "multilingual",
    "text-generation",
    "llama",
    "notram",
    "conversational",
)
GGUF_EXTRA_TAGS = ("llama-cpp", "gguf", "quantization")

NOTRAM_8B = variant(
    "NbAiLab/nb-notram-llama-3.1-8b-instruct",
    "notram",
    "meta-llama/Llama-3.1-8B-Instruct",
    languages=("no", "nb", "nn", "en"),
    tags=NOTRAM_TAGS,
    library_name="transformers",
)

# (variant, parent): one of each kind, shaped like the real family (docs/nb-llama-family.md).
VARIANTS: dict[str, tuple[SimpleNamespace, SimpleNamespace | None]] = {
    "base": (BASE_8B, None),
    "sft": (variant("NbAiLab/nb-llama-3.1-8B-sft", "sft", "NbAiLab/nb-llama-3.1-8B"), BASE_8B),
    "instruct": (
        variant(
            "NbAiLab/nb-llama-3.2-1B-Instruct",
            "instruct",
            "meta-llama/Llama-3.2-1B-Instruct",
            llama_version="3.2",
            size="1B",
            parameters="1 billion",
        ),
        None,
    ),
    "notram": (NOTRAM_8B, None),
    "gguf": (
        variant(
            "NbAiLab/nb-llama-3.1-8B-Instruct-Q4_K_M-GGUF",
            "gguf",
            "NbAiLab/nb-notram-llama-3.1-8b-instruct",
            languages=NOTRAM_8B.languages,  # a quantisation speaks its parent's languages
            tags=NOTRAM_TAGS[:5] + GGUF_EXTRA_TAGS,  # its parent's tags, then its kind's
            library_name="gguf",
            quantization="Q4_K_M",
            gguf_file="nb-llama-3.1-8b-instruct-q4_k_m.gguf",
        ),
        NOTRAM_8B,
    ),
}
KINDS = tuple(VARIANTS)


def context(model: SimpleNamespace, parent: SimpleNamespace | None) -> dict[str, Any]:
    """The render context render.py builds (the names the seed template used included)."""
    flat = model.llama_version.replace(".", "_")
    return {
        "model": model,
        "parent": parent,
        "model_name": model.display_name,
        "model_id": model.repo_id,
        "version": model.llama_version,
        "base_model_name": parent.display_name if parent else model.base_model.split("/")[1],
        "base_model_link": f"https://huggingface.co/{model.base_model}",
        "parameter_count": model.parameters,
        "license_url": f"https://github.com/meta-llama/llama-models/blob/main/models/llama{flat}/LICENSE",
        "use_policy_url": f"https://llama.meta.com/llama{flat}/use-policy",
        "language_names": LANGUAGE_NAMES,
        "links": LINKS,
        "hub_url": "https://huggingface.co",
    }


def make_env() -> jinja2.Environment:
    from pipeline.templating import make_environment

    return make_environment(Path(CARDS))


def render_card(kind: str, template: str | None = None, **changes: Any) -> str:
    """The raw rendered card of the `kind` example; `changes` override context entries."""
    model, parent = VARIANTS[kind]
    ctx = context(model, parent)
    ctx.update(changes)
    return make_env().get_template(template or f"{kind}.md.j2").render(ctx)


def _family() -> dict[str, tuple[SimpleNamespace, SimpleNamespace | None]]:
    """The 16 repos of the release set (docs/nb-llama-family.md): repo id -> (variant, parent)."""
    rows = [
        ("nb-llama-3.2-1B", "base", "meta-llama/Llama-3.2-1B", None),
        ("nb-llama-3.2-3B", "base", "meta-llama/Llama-3.2-3B", None),
        ("nb-llama-3.1-8B", "base", "meta-llama/Llama-3.1-8B", None),
        ("nb-llama-3.1-70B", "base", "meta-llama/Llama-3.1-70B", None),
        ("nb-llama-3.1-8B-sft", "sft", "NbAiLab/nb-llama-3.1-8B", None),
        ("nb-llama-3.1-70B-sft", "sft", "NbAiLab/nb-llama-3.1-70B", None),
        ("nb-llama-3.2-1B-Instruct", "instruct", "meta-llama/Llama-3.2-1B-Instruct", None),
        ("nb-llama-3.1-70B-Instruct", "instruct", "meta-llama/Llama-3.1-70B-Instruct", None),
        ("nb-notram-llama-3.1-8b-instruct", "notram", "meta-llama/Llama-3.1-8B-Instruct", None),
        ("nb-notram-llama-3.2-3b-instruct", "notram", "meta-llama/Llama-3.2-3B-Instruct", None),
        ("nb-notram-llama-3.3-70b-instruct", "notram", "meta-llama/Llama-3.3-70B-Instruct", None),
        ("nb-llama-3.2-1B-Q4_K_M-GGUF", "gguf", "NbAiLab/nb-llama-3.2-1B",
         "nb-llama-3.2-1b_1200-q4_k_m.gguf"),
        ("nb-llama-3.2-3B-Q4_K_M-GGUF", "gguf", "NbAiLab/nb-llama-3.2-3B",
         "nb-llama-3.2-3b_1200-q4_k_m.gguf"),
        ("nb-llama-3.1-8B-Q4_K_M-GGUF", "gguf", "NbAiLab/nb-llama-3.1-8B",
         "nb-llama-3.1-8b-q4_k_m.gguf"),
        ("nb-llama-3.1-8B-Instruct-Q4_K_M-GGUF", "gguf", "NbAiLab/nb-notram-llama-3.1-8b-instruct",
         "nb-llama-3.1-8b-instruct-q4_k_m.gguf"),
        ("nb-llama-3.2-1B-Instruct-Q4_K_M-GGUF", "gguf", "NbAiLab/nb-llama-3.2-1B-Instruct",
         "nb-llama-3.2-1b-instruct-q4_k_m.gguf"),
    ]  # fmt: skip
    variants: dict[str, SimpleNamespace] = {}
    for name, kind, base_model, gguf_file in rows:
        version = name.lower().split("llama-")[1][:3]
        size = name.lower().split("llama-")[1].split("-")[1].upper()
        notram = kind == "notram"
        variants[f"NbAiLab/{name}"] = variant(
            f"NbAiLab/{name}",
            kind,
            base_model,
            llama_version=version,
            size=size,
            parameters=f"{size[:-1]} billion",
            languages=("no", "nb", "nn", "en") if notram else ALL_LANGUAGES,
            tags=NOTRAM_TAGS
            if notram
            else FAMILY_TAGS + GGUF_EXTRA_TAGS
            if gguf_file
            else FAMILY_TAGS,
            library_name="transformers" if notram else "gguf" if gguf_file else None,
            quantization="Q4_K_M" if gguf_file else None,
            gguf_file=gguf_file,
        )
    for model in variants.values():
        parent = variants.get(model.base_model)
        if model.kind == "gguf" and parent is not None:
            model.languages = parent.languages  # as manifest resolution does
            model.tags = tuple(t for t in parent.tags if t not in NOTRAM_TAGS[5:]) + GGUF_EXTRA_TAGS
    return {repo_id: (model, variants.get(model.base_model)) for repo_id, model in variants.items()}


FAMILY = _family()
