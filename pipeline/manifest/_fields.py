"""The value types of models.toml: each carries the rule it checks, with a message that says
what is expected (used by pipeline.manifest.model at its Pydantic edge).

Every pattern is applied with `fullmatch`: `re.match(r"...$")` lets a trailing newline through,
which is how `llama_version = "3.1\\n"` once passed and broke the one-line hint.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from decimal import Decimal, InvalidOperation
from typing import Annotated, TypeGuard

from pydantic import BeforeValidator

from pipeline import hubrules, quanttypes

_VERSION_FORM = re.compile(r"[0-9]{1,3}(\.[0-9]{1,3})?")
SIZE_FORM = re.compile(r"([0-9]+(?:\.[0-9]+)?)([MB])")
_URL_FORM = re.compile(r"https?://[^\s/$.?#][^\s]*")
# A GGUF file name goes into the card's `llama-cli --hf-file NAME` line and a Markdown code span:
# one plain file name, no path, nothing a shell or Markdown reads specially (a space, a line
# break or `<img>` once broke that line or rendered as HTML).
_GGUF_FILE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._+-]{0,200}\.gguf")
# llama.cpp's quantisation types: Q4_K_M, Q8_0, IQ2_XXS, F16, BF16, TQ1_0, MXFP4_MOE, ...
_QUANTIZATION = re.compile(r"[A-Z][A-Z0-9]{0,15}(?:_[A-Z0-9]{1,8}){0,5}")
# A file under cards/, by its path there: a template (`template`), or a data file a template
# reads with data_file() (a key such as `notes_file`); never `..`, so never outside cards/.
_CARDS_FILE = r"[A-Za-z0-9_][A-Za-z0-9._/-]{0,200}"
_TEMPLATE = re.compile(_CARDS_FILE + r"\.j2")
_DATA_FILE = re.compile(_CARDS_FILE)

# Sizes, in millions of parameters: from 1M to 10 trillion (10000B).
SIZE_MIN_MILLIONS = Decimal(1)
SIZE_MAX_MILLIONS = Decimal(10_000_000)
TEXT_MAX = 200
URL_MAX = 2000
# Bidirectional overrides and isolates reorder what a reader sees ("Trojan Source").
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def shown(value: object, limit: int = 60) -> str:
    """A bounded repr for messages: a 10 MB value must not become a 10 MB error."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


_CONTROL_NAMES = {"\0": "NUL", "\t": "tab", "\n": "line break", "\r": "carriage return"}


def control_character(value: str) -> str | None:
    """A description of the first control character in `value`, or None if it has none."""
    for position, char in enumerate(value, start=1):
        category = unicodedata.category(char)
        if category in ("Cc", "Zl", "Zp") or char in _BIDI_CONTROLS:
            name = _CONTROL_NAMES.get(char) or unicodedata.name(char, "control character").lower()
            return f"U+{ord(char):04X} ({name}) at character {position}"
    return None


# --- field types that carry the rules -------------------------------------------------------


def _llama_version(value: object) -> str:
    if isinstance(value, float):
        # A TOML float cannot tell 3.1 from 3.10; refuse it rather than guess.
        raise ValueError(
            f'expected a string such as "3.1", got the TOML number {value!r}; '
            f'write it in quotes: "{value}"'
        )
    if isinstance(value, str) and value != value.strip() and _VERSION_FORM.fullmatch(value.strip()):
        raise ValueError(
            f'expected a Llama version such as "3.1", got {shown(value)}: remove the '
            "spaces or line breaks around it"
        )
    if not isinstance(value, str) or not _VERSION_FORM.fullmatch(value):
        raise ValueError(f'expected a Llama version string such as "3.1", got {shown(value)}')
    return value


def _repo_id(value: object) -> str:
    if not isinstance(value, str):
        raise ValueError(f"expected a repo id string 'namespace/name', got {shown(value)}")
    problem = hubrules.repo_id_problem(value)
    if problem:
        raise ValueError(problem)
    return value


def _repo_part(value: object) -> str:
    if not isinstance(value, str):
        raise ValueError(f"expected a string, got {shown(value)}")
    problem = "contains '/'" if "/" in value else hubrules.repo_part_problem(value)
    if problem:
        raise ValueError(f"{shown(value)} is not a valid Hub name: it {problem}")
    return value


def _language(value: object) -> str:
    if not isinstance(value, str) or not hubrules.is_language_code(value):
        near = hubrules.suggest_language_code(value) if isinstance(value, str) else None
        hint = f" (did you mean {near!r}?)" if near else ""
        raise ValueError(
            f"expected an ISO 639 language code such as 'nb' or 'nob', got {shown(value)}{hint}"
        )
    return value


def _license(value: object) -> str:
    if not isinstance(value, str) or value not in hubrules.LICENSES:
        near = difflib.get_close_matches(str(value)[:100], sorted(hubrules.LICENSES), n=1)
        hint = f" (did you mean {near[0]!r}?)" if near else ""
        raise ValueError(f"expected a Hub license id such as 'llama3.1', got {shown(value)}{hint}")
    return value


def _pipeline_tag(value: object) -> str:
    if not isinstance(value, str) or value not in hubrules.PIPELINE_TAGS:
        raise ValueError(f"expected a Hub task id such as 'text-generation', got {shown(value)}")
    return value


def _library_name(value: object) -> str:
    if not isinstance(value, str) or value not in hubrules.LIBRARIES:
        near = difflib.get_close_matches(str(value)[:100], sorted(hubrules.LIBRARIES), n=1)
        hint = f" (did you mean {near[0]!r}?)" if near else ""
        raise ValueError(
            f"expected a Hub library id such as 'transformers', got {shown(value)}{hint}"
        )
    return value


def _tag(value: object) -> str:
    if not isinstance(value, str) or not hubrules.is_tag(value):
        raise ValueError(
            "expected a tag of 1 to 100 characters without spaces, commas, quotes or control "
            f"characters, got {shown(value)}"
        )
    return value


def _url(value: object) -> str:
    if not isinstance(value, str):
        raise ValueError(f"expected an http(s) URL, got {shown(value)}")
    control = control_character(value)
    if control:
        raise ValueError(f"expected an http(s) URL, got {shown(value)} with {control}")
    if len(value) > URL_MAX:
        raise ValueError(f"expected a URL of at most {URL_MAX} characters, got {len(value)}")
    if not _URL_FORM.fullmatch(value):
        raise ValueError(f"expected an http(s) URL, got {shown(value)}")
    return value


_LINK_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,63}")


def _link_name(value: object) -> str:
    # Templates read a link as `links.<name>`: a name must be a plain identifier.
    if not isinstance(value, str) or not _LINK_NAME.fullmatch(value):
        raise ValueError(
            "expected a link name of letters, digits and '_' (templates use it as "
            f"links.<name>), got {shown(value)}"
        )
    return value


def size_in_millions(size: str) -> Decimal:
    """The parameter count of a size such as '8B' or '500M', in millions."""
    match = SIZE_FORM.fullmatch(size)
    if match is None:
        raise ValueError(f"not a size: {size!r}")
    number, unit = match.groups()
    return Decimal(number) * (1000 if unit == "B" else 1)


def _size(value: object) -> str:
    if not isinstance(value, str) or not SIZE_FORM.fullmatch(value):
        raise ValueError(f"expected a size such as '8B' or '500M', got {shown(value)}")
    try:
        millions = size_in_millions(value)
    except (InvalidOperation, ValueError):  # pragma: no cover - the form admits only numbers
        millions = Decimal(-1)
    if not SIZE_MIN_MILLIONS <= millions <= SIZE_MAX_MILLIONS:
        raise ValueError(
            f"size {shown(value)} is out of range: expected from 1M to 10000B "
            "(1 million to 10 trillion parameters)"
        )
    return value


def text_problem(value: object, limit: int = TEXT_MAX) -> str | None:
    """Why `value` cannot be one line of free text in a card, or None if it can.

    Free text goes into Markdown and, through templates, near the YAML front matter: a line
    break could start a new `---` block or a heading, a NUL breaks tools, and HTML renders on the
    Hub (all three were once accepted). So: one line, no control characters, no `<` or `>`.
    """
    if not isinstance(value, str) or not value.strip():
        return f"expected a non-empty string, got {shown(value)}"
    control = control_character(value)
    if control:
        return f"expected one line of text without control characters, got {control}"
    if value != value.strip():
        return f"{shown(value)} has spaces at its start or end"
    if "<" in value or ">" in value:
        return f"{shown(value)} contains '<' or '>'; the Hub would read it as HTML"
    if len(value) > limit:
        return f"expected at most {limit} characters, got {len(value)}"
    return None


def _text(value: object) -> str:
    problem = text_problem(value)
    if problem:
        raise ValueError(problem)
    assert isinstance(value, str)  # text_problem refused anything else
    return value


def _gguf_file(value: object) -> str:
    if not isinstance(value, str) or not _GGUF_FILE.fullmatch(value):
        raise ValueError(
            "expected a plain file name ending in '.gguf' (letters, digits, '.', '_', '-' and "
            f"'+'; no folder, no spaces), got {shown(value)}"
        )
    return value


def _quantization(value: object) -> str:
    if not isinstance(value, str) or not _QUANTIZATION.fullmatch(value):
        raise ValueError(
            "expected a llama.cpp quantisation type such as 'Q4_K_M' or 'Q8_0' (capital "
            f"letters and digits joined by '_'), got {shown(value)}"
        )
    if quanttypes.quant_type(value) is None:
        near = difflib.get_close_matches(value, sorted(quanttypes.TYPES), n=1)
        hint = f"; did you mean {near[0]!r}?" if near else ""
        raise ValueError(
            f"{shown(value)} is not one of llama.cpp's quantization types "
            f"({quanttypes.SOURCE}){hint}"
        )
    return value


_DATA_SIZE = re.compile(r"[0-9]{1,6}(?:\.[0-9]{1,3})? (?:MB|GB|TB)")


def _data_size(value: object) -> str:
    if not isinstance(value, str) or not _DATA_SIZE.fullmatch(value):
        raise ValueError(
            f"expected a size such as '4.9 GB' (a number, a space, and MB, GB or TB), "
            f"got {shown(value)}"
        )
    return value


def _dataset_id(value: object) -> str:
    if not isinstance(value, str) or "/" not in value:
        raise ValueError(
            f"expected a Hub dataset id 'owner/name' such as 'uonlp/CulturaX', got {shown(value)}"
        )
    problem = hubrules.repo_id_problem(value)
    if problem:
        raise ValueError(f"{shown(value)} is not a Hub dataset id: {problem}")
    return value


def _year(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1900 <= value <= 2999:
        raise ValueError(f"expected a year such as 2024 (a TOML integer), got {shown(value)}")
    return value


def _step(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value < 10**9:
        raise ValueError(f"expected a training step such as 1200, got {shown(value)}")
    return value


def _under_cards(value: object, form: re.Pattern[str]) -> TypeGuard[str]:
    return isinstance(value, str) and bool(form.fullmatch(value)) and ".." not in value.split("/")


def _template(value: object) -> str:
    if not _under_cards(value, _TEMPLATE):
        raise ValueError(
            f"expected a template file name under cards/ ending in '.j2', got {shown(value)}"
        )
    return value


def _data_file(value: object) -> str:
    if not _under_cards(value, _DATA_FILE):
        raise ValueError(
            f"expected the path of a file under cards/ such as 'notes/x.md', got {shown(value)}"
        )
    return value


LlamaVersion = Annotated[str, BeforeValidator(_llama_version)]
RepoId = Annotated[str, BeforeValidator(_repo_id)]
# A glob on repo names (`nb-llama-*`): the characters of a Hub name and the glob's own.
_NAME_GLOB = re.compile(r"[A-Za-z0-9._*?\[\]!-]{1,96}")


def _name_glob(value: object) -> str:
    if not isinstance(value, str):
        raise ValueError(f"expected a string, got {shown(value)}")
    if not _NAME_GLOB.fullmatch(value):
        raise ValueError(
            f"expected a glob on repo names such as \"nb-llama-*\" (letters, digits, '-', "
            f"'_', '.', and '*', '?', '[...]'; no '/'), got {shown(value)}"
        )
    return value


RepoPart = Annotated[str, BeforeValidator(_repo_part)]
NameGlob = Annotated[str, BeforeValidator(_name_glob)]
Language = Annotated[str, BeforeValidator(_language)]
License = Annotated[str, BeforeValidator(_license)]
PipelineTag = Annotated[str, BeforeValidator(_pipeline_tag)]
LibraryName = Annotated[str, BeforeValidator(_library_name)]
Tag = Annotated[str, BeforeValidator(_tag)]
Url = Annotated[str, BeforeValidator(_url)]
LinkName = Annotated[str, BeforeValidator(_link_name)]
Size = Annotated[str, BeforeValidator(_size)]
Text = Annotated[str, BeforeValidator(_text)]
GgufFile = Annotated[str, BeforeValidator(_gguf_file)]
Quantization = Annotated[str, BeforeValidator(_quantization)]
DataSize = Annotated[str, BeforeValidator(_data_size)]
DatasetId = Annotated[str, BeforeValidator(_dataset_id)]
Year = Annotated[int, BeforeValidator(_year)]
Step = Annotated[int, BeforeValidator(_step)]
TemplateName = Annotated[str, BeforeValidator(_template)]
DataFile = Annotated[str, BeforeValidator(_data_file)]


# A file nb-release keeps in a repo besides its card: a plain relative path in the repo (letters,
# digits, '.', '_', '-', '/'), never README.md (the card), never absolute, never `..` or `.git/`.
_REPO_PART = r"[A-Za-z0-9_][A-Za-z0-9._-]{0,100}"
_REPO_FILE = re.compile(_REPO_PART + r"(/" + _REPO_PART + r"){0,7}")


def _repo_file(value: object) -> str:
    if not isinstance(value, str):
        raise ValueError(f"expected a path in the repo such as 'NOTICE', got {shown(value)}")
    if value.startswith("/"):
        raise ValueError(f"{shown(value)} is absolute; a repo path is relative, such as 'NOTICE'")
    if ".." in value.split("/"):
        raise ValueError(f"{shown(value)} contains '..'; a repo path stays inside the repo")
    if value.lower() == "readme.md":
        raise ValueError(
            "README.md is the card itself: it is rendered from the variant's `template`, "
            "not declared under `files`"
        )
    if not _REPO_FILE.fullmatch(value) or value.split("/")[0] == ".git":
        raise ValueError(
            "expected a path in the repo of letters, digits, '.', '_', '-' and '/' "
            f"(such as 'NOTICE' or 'docs/USE.md'), got {shown(value)}"
        )
    return value


def _project_file(value: object) -> str:
    if not isinstance(value, str) or not value:
        raise ValueError(f"expected the path of a project file, got {shown(value)}")
    control = control_character(value)
    if control:
        raise ValueError(f"expected the path of a project file, got {shown(value)} with {control}")
    if value.startswith("/") or (len(value) > 1 and value[1] == ":"):
        raise ValueError(
            f"{shown(value)} is absolute; `copy` takes a path relative to the manifest's folder"
        )
    if ".." in value.replace("\\", "/").split("/"):
        raise ValueError(
            f"{shown(value)} leads outside the project; `copy` takes a path inside the "
            "manifest's folder"
        )
    return value


RepoFile = Annotated[str, BeforeValidator(_repo_file)]
ProjectFile = Annotated[str, BeforeValidator(_project_file)]
