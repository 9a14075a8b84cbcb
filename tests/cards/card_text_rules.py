"""Rules a rendered card's text must keep, stated as checks: each card true to its own kind of
model (docs/nb-llama-family.md).

Each rule takes rendered cards (and what the manifest says of them) and returns its findings as
plain strings naming the card; an empty list means the rule holds. The rules read the prose only:
fenced code, link targets and the front matter are set aside where a rule is about prose.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml

from pipeline.card import frontmatter
from pipeline.quanttypes import quant_type, suffix_type

# The languages a card's prose can name, longest names first so that "Norwegian Bokmål" is not
# also read as the generic "Norwegian".
LANGUAGE_WORDS: tuple[tuple[str, frozenset[str]], ...] = (
    ("Norwegian Bokmål", frozenset({"nb"})),
    ("Norwegian Nynorsk", frozenset({"nn"})),
    ("Bokmål", frozenset({"nb"})),
    ("Nynorsk", frozenset({"nn"})),
    ("Norwegian", frozenset({"no", "nb", "nn"})),  # generic: any Norwegian code will do
    ("English", frozenset({"en"})),
    ("Swedish", frozenset({"sv"})),
    ("Danish", frozenset({"da"})),
)
_NEGATION = re.compile(r"\b(not|no|neither|nor|without)\b|n't\b", re.I)
_FENCE = re.compile(r"^```.*?^```[ \t]*$", re.M | re.S)
_LINK_TARGET = re.compile(r"\]\([^)]*\)")
_URL = re.compile(r"https?://\S+")
_SENTENCE_END = re.compile(r"(?<=[.!?;:])\s+")
# Chat input in a code sample: a `messages` list or a role/content turn.
_CHAT = re.compile(r"\bmessages\b|[\"']role[\"']\s*:")
MIN_REPEATED_WORDS = 6


@dataclass(frozen=True)
class Card:
    repo_id: str
    kind: str
    base_model: str
    content: str

    @property
    def data(self) -> dict[str, object]:
        yaml_text, _ = frontmatter.split(self.content)
        loaded = yaml.safe_load(yaml_text or "") or {}
        assert isinstance(loaded, dict)
        return loaded

    @property
    def body(self) -> str:
        return frontmatter.split(self.content)[1]

    @property
    def languages(self) -> list[str]:
        value = self.data.get("language", [])
        return [str(code) for code in value] if isinstance(value, list) else []


def code_blocks(body: str) -> list[str]:
    return _FENCE.findall(body)


def prose(body: str) -> str:
    """The body without fenced code, link targets and bare URLs."""
    text = _FENCE.sub("\n", body)
    text = _LINK_TARGET.sub("]", text)
    return _URL.sub("", text)


def sections(body: str) -> list[tuple[str, str]]:
    """(heading, text) for each `##`/`###` section of the prose."""
    out: list[tuple[str, str]] = []
    heading, lines = "(top)", list[str]()
    for line in prose(body).splitlines():
        if re.match(r"#{2,3} ", line):
            out.append((heading, "\n".join(lines)))
            heading, lines = line.lstrip("# ").strip(), []
        else:
            lines.append(line)
    out.append((heading, "\n".join(lines)))
    return out


def sentences(text: str) -> list[str]:
    """Sentences and list items of `text`, whitespace collapsed, bullets and emphasis removed."""
    out: list[str] = []
    for block in re.split(r"\n\s*\n|\n(?=\s*[-*] )", text):
        block = re.sub(r"^\s*[-*] ", "", block.strip())
        block = " ".join(block.replace("**", "").split())
        out.extend(s for s in _SENTENCE_END.split(block) if s and s != "---")
    return out


def named_languages(sentence: str) -> list[tuple[str, frozenset[str]]]:
    found: list[tuple[str, frozenset[str]]] = []
    rest = sentence
    for word, codes in LANGUAGE_WORDS:
        if re.search(rf"\b{word}\b", rest):
            found.append((word, codes))
            rest = re.sub(rf"\b{word}\b", " ", rest)
    return found


# --- the rules ---------------------------------------------------------------------------------


def chat_in_completion_models(cards: Iterable[Card]) -> list[str]:
    """A base or sft model has no chat template to speak of: its code shows text completion."""
    return [
        f"{card.repo_id}: a {card.kind} card passes chat messages in its code: {hit.group(0)!r}"
        for card in cards
        if card.kind in ("base", "sft")
        for block in code_blocks(card.body)
        if (hit := _CHAT.search(block))
    ]


def preference_claims_in_completion_models(cards: Iterable[Card]) -> list[str]:
    """A base or sft card says nowhere, except in a negation, that it was tuned with DPO or is
    meant for dialogue."""
    out: list[str] = []
    for card in cards:
        if card.kind not in ("base", "sft"):
            continue
        for sentence in sentences(prose(card.body)):
            claim = re.search(r"\bDPO\b|Direct Preference Optimization|[Dd]ialogue", sentence)
            if claim and not _NEGATION.search(sentence):
                out.append(f"{card.repo_id}: a {card.kind} card says {sentence!r}")
    return out


def languages_disagree(cards: Iterable[Card]) -> list[str]:
    """The languages the prose names must be the front matter's: a language named positively is
    listed, one named in a negation ("... are not targets") is not, and the Languages bullet
    lists exactly the front matter's codes (the generic "no" aside)."""
    out: list[str] = []
    for card in cards:
        listed = set(card.languages)
        for sentence in sentences(prose(card.body)):
            negated = bool(_NEGATION.search(sentence))
            for word, codes in named_languages(sentence):
                if negated and codes <= listed:
                    out.append(
                        f"{card.repo_id}: the text says {sentence!r}, but the front matter "
                        f"lists {word}"
                    )
                elif not negated and not codes & listed:
                    out.append(
                        f"{card.repo_id}: the text names {word} in {sentence!r}, but the front "
                        f"matter's languages are {sorted(listed)}"
                    )
        bullet = re.findall(r"(?:Full|Partial) support: (.*)", card.body)
        if bullet:
            said = set(re.findall(r"\((\w+)\)", " ".join(bullet)))
            if said != listed - {"no"}:
                out.append(
                    f"{card.repo_id}: the Languages bullet lists {sorted(said)}, the front "
                    f"matter {sorted(listed)}"
                )
    return out


def gguf_languages_differ_from_parent(cards: Sequence[Card]) -> list[str]:
    by_id = {card.repo_id: card for card in cards}
    out: list[str] = []
    for card in cards:
        parent = by_id.get(card.base_model)
        if card.kind == "gguf" and parent is not None and card.languages != parent.languages:
            out.append(
                f"{card.repo_id}: languages {card.languages} differ from its parent "
                f"{parent.repo_id}'s {parent.languages}"
            )
    return out


def gguf_not_filed_as_quantization(cards: Iterable[Card]) -> list[str]:
    out: list[str] = []
    for card in cards:
        if card.kind != "gguf":
            continue
        data = card.data
        for key, want in (("base_model_relation", "quantized"), ("library_name", "gguf")):
            if data.get(key) != want:
                out.append(f"{card.repo_id}: {key} is {data.get(key)!r}, expected {want!r}")
    return out


def unused_links(
    links: Mapping[str, str], cards: Iterable[Card], templates: Iterable[Path]
) -> list[str]:
    """Every [defaults.links] entry is used by a template and shows in some card."""
    sources = "".join(path.read_text(encoding="utf-8") for path in templates)
    shown = "".join(card.content for card in cards)
    out: list[str] = []
    for name, url in links.items():
        if not re.search(rf"\blinks(\.{name}\b|\[[\"']{name}[\"']\])", sources):
            out.append(f"links.{name} ({url}) is used by no template under cards/")
        elif url not in shown:
            out.append(f"links.{name} ({url}) appears in no rendered card")
    return out


def repeated_sentences(cards: Iterable[Card]) -> list[str]:
    """A sentence of at least MIN_REPEATED_WORDS words is said once per card."""
    out: list[str] = []
    for card in cards:
        seen: dict[str, str] = {}
        for heading, text in sections(card.body):
            for sentence in sentences(text):
                if len(sentence.split()) < MIN_REPEATED_WORDS:
                    continue
                key = sentence.lower().rstrip(".")
                if key in seen:
                    out.append(
                        f"{card.repo_id}: {sentence!r} is in {seen[key]!r} and again in {heading!r}"
                    )
                else:
                    seen[key] = heading
    return out


def pretraining_pointers_outside_the_family(cards: Iterable[Card], namespace: str) -> list[str]:
    """A sentence about pre-training data links to the family (its own data), not to Meta."""
    out: list[str] = []
    for card in cards:
        for line in card.body.splitlines():
            if re.search(r"pre-?training data", line, re.I):
                for target in re.findall(r"\]\((https://huggingface\.co/[^)]+)\)", line):
                    owner = target.removeprefix("https://huggingface.co/").split("/")[0]
                    if owner not in (namespace, "datasets", "collections"):
                        out.append(f"{card.repo_id}: {line.strip()!r} points to {target}")
    return out


# --- sentences true of their card ----------------------------------------------------------------

_CHAT_KINDS = ("instruct", "notram")
_BUILD_BIN = "./build/bin/"


def _is_chat(card: Card, by_id: Mapping[str, Card]) -> bool:
    """An instruct or NoTraM model, or a quantisation of one."""
    if card.kind == "gguf":
        parent = by_id.get(card.base_model)
        return parent is not None and parent.kind in _CHAT_KINDS
    return card.kind in _CHAT_KINDS


def base_claims_tasks(cards: Iterable[Card]) -> list[str]:
    """A base model is not instruction-tuned: question-answering is named only as what
    fine-tuning may make of it."""
    return [
        f"{card.repo_id}: a base card says {sentence!r}"
        for card in cards
        if card.kind == "base"
        for sentence in sentences(prose(card.body))
        if re.search(r"question-answering", sentence, re.I) and "fine-tun" not in sentence.lower()
    ]


def quantized_versions_untrue(cards: Sequence[Card]) -> list[str]:
    """A full-size card links each of its own GGUF variants, or says that none exists; no card
    promises quantized models in general."""
    out: list[str] = []
    for card in cards:
        if card.kind == "gguf":
            continue
        if re.search(r"quantized models with close to the same accuracy", card.body):
            out.append(f"{card.repo_id}: promises quantized models in general")
        own = [c.repo_id for c in cards if c.kind == "gguf" and c.base_model == card.repo_id]
        for repo_id in own:
            if f"](https://huggingface.co/{repo_id})" not in card.body:
                out.append(f"{card.repo_id}: does not link its GGUF variant {repo_id}")
        if not own and "No quantized (GGUF) version of this model exists" not in card.body:
            out.append(f"{card.repo_id}: has no GGUF variant and does not say so")
    return out


def instruct_recommends_instruct(cards: Iterable[Card]) -> list[str]:
    """The reader of an instruction-tuned model is not told to use the instruction-tuned
    models."""
    return [
        f"{card.repo_id}: an instruction-tuned card says {sentence!r}"
        for card in cards
        if card.kind in _CHAT_KINDS
        for sentence in sentences(prose(card.body))
        if re.search(r"recommend using the instruction-tuned models", sentence)
    ]


def instruct_points_to_base_pretraining(cards: Iterable[Card]) -> list[str]:
    """A model built on Meta's instruct model names the NB-Llama pre-training data only to say
    that it is not part of its training."""
    return [
        f"{card.repo_id}: a card built on {card.base_model} says {sentence!r}"
        for card in cards
        if card.kind in _CHAT_KINDS and not card.base_model.startswith("NbAiLab/")
        for sentence in sentences(prose(card.body))
        if re.search(r"pre-?training data", sentence, re.I) and not _NEGATION.search(sentence)
    ]


def chat_tags_inconsistent(cards: Sequence[Card]) -> list[str]:
    """A chat model (instruct, NoTraM, and their quantisations) carries `conversational`; a
    base or sft model does not."""
    by_id = {card.repo_id: card for card in cards}
    out: list[str] = []
    for card in cards:
        found = card.data.get("tags")
        tags = [str(t) for t in found] if isinstance(found, list) else []
        chat = _is_chat(card, by_id)
        if chat and "conversational" not in tags:
            out.append(f"{card.repo_id}: a chat model without the tag 'conversational'")
        if not chat and "conversational" in tags:
            out.append(f"{card.repo_id}: not a chat model, but tagged 'conversational'")
    return out


def details_promised_not_given(cards: Iterable[Card]) -> list[str]:
    """ "Additional details are provided below" only where the Training Data section lists data."""
    out: list[str] = []
    for card in cards:
        if "provided below" not in card.body:
            continue
        training = dict(sections(card.body)).get("Training Data", "")
        if not re.search(r"^- ", training, re.M):
            out.append(f"{card.repo_id}: promises details below, and its Training Data lists none")
    return out


def notram_unexplained(cards: Iterable[Card]) -> list[str]:
    return [
        f"{card.repo_id}: names NoTraM without saying what it stands for"
        for card in cards
        if "NoTraM" in card.body and "Norwegian Transformer Model" not in card.body
    ]


def sft_template_unnamed(cards: Iterable[Card]) -> list[str]:
    """An sft card that says the model understands a chat template says which one."""
    return [
        f"{card.repo_id}: mentions a chat template without naming it"
        for card in cards
        if card.kind == "sft"
        and "chat template" in card.body
        and "apply_chat_template" not in card.body
    ]


def gguf_usage_does_not_run(cards: Sequence[Card]) -> list[str]:
    """The GGUF commands run as written after the build shown (binaries in build/bin), Ollama is
    shown, a completion model is not offered a chat interface, and a step suffix is explained."""
    out: list[str] = []
    for card in cards:
        if card.kind != "gguf":
            continue
        code = "\n".join(code_blocks(card.body))
        if "cmake --build build" in code:
            for line in code.splitlines():
                if re.match(r"\s*llama-(cli|server)\b", line):
                    out.append(f"{card.repo_id}: {line.strip()!r} is not in build/bin")
        quant = suffix_type(card.repo_id.split("/")[1])
        if f"ollama run hf.co/{card.repo_id}:{quant}" not in code:
            out.append(f"{card.repo_id}: no `ollama run hf.co/{card.repo_id}:{quant}`")
        said = prose(card.body)
        if "not a chat model" in said and "chat interface" in said:
            out.append(f"{card.repo_id}: not a chat model, but offered a chat interface")
        for step in re.findall(r"`[^`]*_(\d+)-[^`]*\.gguf`", card.body):
            if f"training step {step}" not in said:
                out.append(f"{card.repo_id}: the file name's _{step} is not explained")
    return out


def quantization_described_otherwise(cards: Iterable[Card]) -> list[str]:
    """A GGUF card's bits per weight are llama.cpp's figure for its own quantization."""
    out: list[str] = []
    for card in cards:
        if card.kind != "gguf":
            continue
        declared = suffix_type(card.repo_id.split("/")[1])
        quant = quant_type(declared) if declared else None
        said = re.findall(r"about ([0-9.]+) bits", card.body)
        if quant is None or not said:
            out.append(f"{card.repo_id}: says nothing of its bits per weight from the table")
            continue
        for bits in said:
            if float(bits) != round(quant.bits_per_weight, 1):
                out.append(f"{card.repo_id}: says {bits} bits; {declared} has {quant}")
    return out


_DATASET_LINK = re.compile(r"\]\(https://huggingface\.co/datasets/([^)\s]+)\)")


def datasets_disagree(cards: Iterable[Card]) -> list[str]:
    """Every id of `datasets:` is linked in the body, and every dataset linked as an item of the
    training data is in `datasets:`."""
    out: list[str] = []
    for card in cards:
        listed = [str(d) for d in card.data.get("datasets") or []]  # type: ignore[attr-defined]
        linked = set(_DATASET_LINK.findall(card.body))
        for dataset in listed:
            if dataset not in linked:
                out.append(f"{card.repo_id}: datasets lists {dataset} but the card never links it")
        items = [line for line in card.body.splitlines() if re.match(r"\s*- \[", line)]
        for dataset in _DATASET_LINK.findall("\n".join(items)):
            if dataset not in listed:
                out.append(f"{card.repo_id}: names the dataset {dataset}, not in `datasets:`")
    return out


def citation_missing(cards: Iterable[Card]) -> list[str]:
    """A BibTeX entry with the author and the year."""
    out: list[str] = []
    for card in cards:
        blocks = [b for b in code_blocks(card.body) if b.startswith("```bibtex")]
        if (
            not blocks
            or not re.search(r"author\s*=", blocks[0])
            or not re.search(r"year\s*=\s*\{\d{4}\}", blocks[0])
        ):
            out.append(f"{card.repo_id}: no BibTeX citation with author and year")
    return out


def results_disagree(cards: Iterable[Card]) -> list[str]:
    """The results table and `model-index` carry the same numbers, in the same order."""
    out: list[str] = []
    for card in cards:
        index = card.data.get("model-index") or []
        meant = [
            float(metric["value"])
            for entry in index  # type: ignore[attr-defined]
            for result in entry["results"]
            for metric in result["metrics"]
        ]
        table = dict(sections(card.body)).get("Evaluation Results")
        shown: list[float] = []
        if table is not None:
            for row in table.splitlines():
                cells = [c.strip() for c in row.strip().strip("|").split("|")]
                if len(cells) == 8 and re.fullmatch(r"-?[0-9.]+", cells[5]):
                    shown.append(float(cells[5]))
        if meant != shown:
            out.append(f"{card.repo_id}: model-index says {meant}, the table {shown}")
    return out
