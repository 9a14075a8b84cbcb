"""Manifest -> RenderedCard[]: one Jinja2 environment, StrictUndefined, canonical front matter.

Everything is rendered and checked before anything is written: `render_all` raises one error
listing every template, front-matter and metadata problem of every card.
"""

from __future__ import annotations

import contextlib
import fnmatch
import hashlib
import json
import os
import tempfile
import traceback
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2

from pipeline import frontmatter, metadata
from pipeline.errors import CardError, PipelineError, Problem, TemplateError
from pipeline.manifest import Manifest, Variant
from pipeline.records import RenderedCard

HUB_URL = "https://huggingface.co"

# The English names written as comments beside the language codes of the front matter.
LANGUAGE_NAMES: dict[str, str] = {
    "no": "Generic Norwegian",
    "nb": "Norwegian Bokmål",
    "nn": "Norwegian Nynorsk",
    "en": "English",
    "sv": "Swedish",
    "da": "Danish",
}


@dataclass(frozen=True)
class Selection:
    """Which variants a command works on: --only and --exclude globs on repo id or name."""

    only: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()

    def matches(self, variant: Variant) -> bool:
        def hit(patterns: Iterable[str]) -> bool:
            return any(
                fnmatch.fnmatchcase(variant.repo_id, p) or fnmatch.fnmatchcase(variant.name, p)
                for p in patterns
            )

        return (not self.only or hit(self.only)) and not hit(self.exclude)


def select(manifest: Manifest, selection: Selection) -> list[Variant]:
    chosen = [v for v in manifest.variants if selection.matches(v)]
    if not chosen:
        raise PipelineError(
            "no variant of the manifest matches the selection"
            + (f" --only {' '.join(selection.only)}" if selection.only else "")
            + (f" --exclude {' '.join(selection.exclude)}" if selection.exclude else ""),
            hint="patterns are shell globs matched against the repo id or the name, "
            "e.g. --only 'NbAiLab/*-GGUF' or --only nb-llama-3.1-8B",
        )
    return chosen


def make_environment(cards_dir: Path) -> jinja2.Environment:
    """The one Jinja2 environment: cards/ as loader root, StrictUndefined, trailing newline kept."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(cards_dir)),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        autoescape=False,  # Markdown, not HTML
        auto_reload=False,
    )
    env.filters["yaml_string"] = yaml_string
    return env


def yaml_string(value: object) -> str:
    """A front-matter value as a YAML string, whatever it looks like (`true`, `no`, `1.0`).

    A JSON string is a valid YAML double-quoted scalar in both YAML 1.1 and 1.2; the front-matter
    canonicalisation then drops the quotes that are not needed.
    """
    return json.dumps(str(value), ensure_ascii=False)


def _llama_slug(version: str) -> str:
    # Meta keeps the license at models/llama3_1/LICENSE, not models/llama3.1/ (a known defect).
    return "llama" + version.replace(".", "_")


def context_for(manifest: Manifest, variant: Variant) -> dict[str, Any]:
    """The template context; names of the seed template are kept (model_name, version, ...)."""
    parent = (
        manifest.by_repo_id(variant.base_model) if variant.base_model_variant is not None else None
    )
    base_model_name = (
        parent.display_name if parent is not None else variant.base_model.split("/", 1)[1]
    )
    slug = _llama_slug(variant.llama_version)
    return {
        "model": variant,
        "parent": parent,
        "model_name": variant.display_name,
        "model_id": variant.repo_id,
        "version": variant.llama_version,
        "base_model_name": base_model_name,
        "base_model_link": f"{HUB_URL}/{variant.base_model}",
        "parameter_count": variant.parameters,
        "license_url": f"https://github.com/meta-llama/llama-models/blob/main/models/{slug}/LICENSE",
        "use_policy_url": f"https://llama.meta.com/{slug}/use-policy",
        "language_names": LANGUAGE_NAMES,
        "links": dict(manifest.links),
        "hub_url": HUB_URL,
    }


def _template_problem(exc: Exception, variant: Variant, cards_dir: Path) -> Problem:
    """Locate a Jinja2 failure: the template file and line, and the variable if undefined."""
    if isinstance(exc, jinja2.TemplateSyntaxError):
        name = exc.name or exc.filename or variant.template
        return Problem(
            str(cards_dir / name),
            f"template syntax error: {exc.message}",
            exc.lineno,
            hint=f"while rendering {variant.repo_id}",
        )
    if isinstance(exc, jinja2.TemplateNotFound):
        return Problem(
            str(cards_dir / variant.template),
            f"template {exc.name!r} not found",
            hint=f"{variant.repo_id} (models[{variant.index}]) uses it; "
            f"templates available: {', '.join(_templates(cards_dir)) or 'none'}",
        )
    # UndefinedError and other runtime errors: find the innermost template frame.
    place, line = str(cards_dir / variant.template), None
    for frame in traceback.extract_tb(exc.__traceback__):
        if frame.filename.endswith(".j2"):
            place, line = frame.filename, frame.lineno
    with contextlib.suppress(ValueError):  # outside the working folder: keep it absolute
        place = str(Path(place).resolve().relative_to(Path.cwd()))
    message = str(exc)
    if isinstance(exc, jinja2.UndefinedError):
        message = f"undefined variable: {message}"
    return Problem(
        place,
        message,
        line,
        hint=f"while rendering {variant.repo_id}; the variables a card template receives are "
        "listed in the README (Templates)",
    )


def _templates(cards_dir: Path) -> list[str]:
    return sorted(p.name for p in cards_dir.glob("*.j2") if not p.name.startswith("_"))


def _expected_metadata(variant: Variant) -> dict[str, object]:
    expected: dict[str, object] = {
        "license": variant.license,
        "language": list(variant.languages),
        "pipeline_tag": variant.pipeline_tag,
        "tags": list(variant.tags),
        "base_model": variant.base_model,
    }
    if variant.library_name:
        expected["library_name"] = variant.library_name
    return expected


def render_all(
    manifest: Manifest, cards_dir: Path, selection: Selection = Selection()
) -> list[RenderedCard]:
    """Render every selected variant; raise one error listing every problem of every card."""
    env = make_environment(cards_dir)
    template_problems: list[Problem] = []
    card_problems: list[Problem] = []
    cards: list[RenderedCard] = []
    for variant in select(manifest, selection):
        try:
            text = env.get_template(variant.template).render(context_for(manifest, variant))
        except (jinja2.TemplateError, TypeError, ValueError, AttributeError) as exc:
            template_problems.append(_template_problem(exc, variant, cards_dir))
            continue
        card = f"{variant.repo_id}/README.md"
        try:
            content = frontmatter.canonicalize(text, card)
        except CardError as exc:
            card_problems.extend(exc.problems)
            continue
        problems = metadata.check_metadata(card, content, expected=_expected_metadata(variant))
        if problems:
            card_problems.extend(problems)
            continue
        cards.append(
            RenderedCard(
                repo_id=variant.repo_id,
                variant=variant.name,
                template=variant.template,
                content=content,
                allow_create=variant.allow_create,
            )
        )
    if template_problems:
        raise TemplateError("the card templates cannot be rendered", template_problems)
    if card_problems:
        raise CardError("the rendered cards are not valid", card_problems)
    return cards


def fingerprint(manifest_path: Path, cards_dir: Path) -> str:
    """sha256 of the manifest and every file under cards/: what a plan was made from."""
    digest = hashlib.sha256()
    files = [("models.toml", manifest_path)] + [
        (p.relative_to(cards_dir).as_posix(), p)
        for p in sorted(cards_dir.rglob("*"))
        if p.is_file()
    ]
    for name, path in files:
        data = path.read_bytes()
        digest.update(f"{name}\0{len(data)}\0".encode())
        digest.update(data)
    return "sha256:" + digest.hexdigest()


def card_path(out_dir: Path, repo_id: str) -> Path:
    namespace, name = repo_id.split("/", 1)
    return out_dir / namespace / name / "README.md"


def differing_files(cards: Sequence[RenderedCard], out_dir: Path) -> list[Path]:
    """The card files under out_dir that are missing or differ from a fresh render."""
    out: list[Path] = []
    for card in cards:
        path = card_path(out_dir, card.repo_id)
        try:
            if path.read_bytes() != card.content.encode("utf-8"):
                out.append(path)
        except FileNotFoundError:
            out.append(path)
    return out


def write_cards(cards: Sequence[RenderedCard], out_dir: Path) -> list[Path]:
    """Write each card as DIR/<namespace>/<name>/README.md (LF, UTF-8), atomically per file."""
    written: list[Path] = []
    for card in cards:
        path = card_path(out_dir, card.repo_id)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".README.", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(card.content.encode("utf-8"))
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        written.append(path)
    return written
