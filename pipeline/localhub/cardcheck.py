"""README front matter as the Hub reads it: `cardData` and validate-yaml's checks.

YAML semantics: YAML 1.2 (ruamel.yaml's pure-Python safe loader). The Hub's server side parses
front matter with js-yaml, a YAML 1.2 loader, so `no` is the string "no" in `cardData` and in the
validator, exactly as here. The huggingface_hub client parses the same text with PyYAML (YAML 1.1),
where `no` is False: that disagreement is the client's, and the project checks for it before
publishing. Duplicate keys are an error (both js-yaml and ruamel refuse them).
"""

from __future__ import annotations

import base64
import datetime as dt
import math
import re
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from pipeline import hubrules
from pipeline.localhub import modelindex

JSON = Any  # a value json.dumps accepts: dict, list, str, int, float, bool or None

FRONT_MATTER = hubrules.FRONT_MATTER

EMPTY_METADATA = "empty or missing yaml metadata in repo card"
INVALID_METADATA = "Invalid metadata in README.md."

# Cards are a few levels deep and a few hundred values; the bounds stop a nesting or alias bomb
# (`a: &a [*b, *b, ...]`: a few lines that expand to billions of values) from exhausting the stack,
# the CPU or the memory of the server that reads it.
MAX_DEPTH = 64
MAX_VALUES = 100_000
# ruamel's pure-Python parser reads about 100 kB of YAML a second: a bigger front matter would hold
# a request for minutes. Real cards' metadata is a few kB.
MAX_YAML_BYTES = 1024 * 1024


class MetadataError(ValueError):
    """The front matter is not YAML, or not a mapping."""


def front_matter(text: str) -> str | None:
    """The YAML text between the `---` lines, or None when there is no front matter."""
    match = FRONT_MATTER.match(text)
    return match.group(2) if match else None


def load(text: str) -> dict[str, JSON]:
    """Parse front matter (YAML 1.2) into JSON-able data; raise MetadataError if it is not a map."""
    if len(text) > MAX_YAML_BYTES:
        raise MetadataError(
            f"README.md metadata is over {MAX_YAML_BYTES // 1024} KiB (the local Hub's limit)"
        )
    if _nests_deeper_than(text, MAX_DEPTH):
        raise MetadataError(f"README.md metadata is nested too deeply (over {MAX_DEPTH} levels)")
    try:
        # pure=True: ruamel's C loader is libyaml, which resolves YAML 1.1 (`no` -> False).
        data = YAML(typ="safe", pure=True).load(text)
    except YAMLError as error:
        raise MetadataError(f"Invalid YAML in README.md metadata: {_one_line(error)}") from error
    except RecursionError:
        raise MetadataError("README.md metadata is nested too deeply") from None
    except ValueError as error:  # e.g. an integer of more digits than Python reads (4,300)
        raise MetadataError(f"Invalid YAML in README.md metadata: {_one_line(error)}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise MetadataError("README.md metadata must be a YAML mapping (key: value)")
    safe = json_safe(data, _Budget())
    assert isinstance(safe, dict)
    return safe


_DASHES = re.compile(r"^(?:-[ \t]+)+")


def _nests_deeper_than(text: str, limit: int) -> bool:
    """A quick scan before parsing: ruamel's pure-Python parser takes seconds on a few thousand
    nested levels (quadratic), so a deep text is refused before it reaches the parser.

    An estimate: block levels by indentation (and `- - -` runs), flow levels by brackets outside
    quotes (a quote ends with its line). A literal block's indented lines may count as levels;
    the limit is far above any real card's depth.
    """
    indents = [-1]
    flow = 0
    for line in text.splitlines():
        stripped = line.lstrip(" ")
        if stripped and not stripped.startswith("#"):
            indent = len(line) - len(stripped)
            while indent < indents[-1]:
                indents.pop()
            if indent > indents[-1]:
                indents.append(indent)
            dashes = _DASHES.match(stripped)
            items = dashes.group(0).count("-") if dashes else 0
            if len(indents) - 1 + items + flow > limit:
                return True
        quote = None
        for char in line:
            if quote:
                quote = None if char == quote else quote
            elif char in "\"'":
                quote = char
            elif char in "[{":
                flow += 1
                if flow > limit:
                    return True
            elif char in "]}" and flow:
                flow -= 1
    return False


def card_data(readme: bytes) -> dict[str, JSON] | None:
    """`cardData` of a README, or None when it has no usable front matter (the Hub omits it)."""
    yaml_text = front_matter(readme.decode("utf-8", errors="replace"))
    if yaml_text is None:
        return None
    try:
        return load(yaml_text)
    except MetadataError:
        return None


class _Budget:
    """How many more values json_safe may produce (aliases make a small text expand hugely)."""

    def __init__(self) -> None:
        self.left = MAX_VALUES

    def spend(self, depth: int) -> None:
        self.left -= 1
        if depth > MAX_DEPTH:
            raise MetadataError(
                f"README.md metadata is nested too deeply (over {MAX_DEPTH} levels)"
            )
        if self.left < 0:
            raise MetadataError(
                f"README.md metadata expands to over {MAX_VALUES} values (YAML aliases?)"
            )


def json_safe(value: object, budget: _Budget | None = None, depth: int = 0) -> JSON:
    """What JSON.stringify makes of a js-yaml value: dates as ISO strings, NaN as null."""
    budget = budget or _Budget()
    budget.spend(depth)
    if isinstance(value, dict):
        return {_key(k): json_safe(v, budget, depth + 1) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [json_safe(v, budget, depth + 1) for v in value]
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(dt.UTC).replace(tzinfo=None)
        return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"
    if isinstance(value, dt.date):
        return value.strftime("%Y-%m-%dT00:00:00.000Z")
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


def _key(key: object) -> str:
    if isinstance(key, str):
        return key
    if isinstance(key, tuple):
        return ",".join(_key(k) for k in key)
    return str(json_safe(key, _Budget()))


def _one_line(error: Exception) -> str:
    return " ".join(str(error).split())


# -- validate-yaml -------------------------------------------------------------------------------


def validate(content: str) -> tuple[list[str], list[str]]:
    """(errors, warnings) for a whole README, in the Hub's validate-yaml wording where known."""
    yaml_text = front_matter(content)
    if yaml_text is None:
        return [], [EMPTY_METADATA]
    try:
        data = load(yaml_text)
    except MetadataError as error:
        return [str(error)], []
    if not data:
        return [], [EMPTY_METADATA]
    errors: list[str] = []
    if "license" in data:
        errors += _one_of("license", data["license"], hubrules.LICENSES)
        if data["license"] == "other":
            errors += [
                f'"{key}" is required when "license" is "other"'
                for key in ("license_name", "license_link")
                if not (isinstance(data.get(key), str) and data[key])
            ]
    if "pipeline_tag" in data:
        errors += _one_of("pipeline_tag", data["pipeline_tag"], hubrules.PIPELINE_TAGS)
    if "language" in data:
        errors += _languages(data["language"])
    for key in ("tags", "datasets", "metrics"):
        if key in data:
            errors += _strings(key, data[key], single_ok=key != "tags")
    if "base_model" in data:
        errors += _base_models(data["base_model"])
    if "base_model_relation" in data:
        errors += _one_of(
            "base_model_relation", data["base_model_relation"], hubrules.BASE_MODEL_RELATIONS
        )
        if "base_model" not in data:
            errors.append('"base_model_relation" needs "base_model" (the model it derives from)')
    for key in ("library_name", "license_name", "license_link", "thumbnail", "new_version"):
        if key in data and not isinstance(data[key], str):
            errors.append(f'"{key}" must be a string')
    library = data.get("library_name")
    if isinstance(library, str):
        errors += _one_of("library_name", library, hubrules.LIBRARIES)
    if "model-index" in data:
        errors += modelindex.problems(data["model-index"])
    if "widget" in data and not isinstance(data["widget"], list):
        errors.append('"widget" must be an array')
    return errors, []


def _one_of(key: str, value: JSON, allowed: frozenset[str]) -> list[str]:
    if isinstance(value, str) and value in allowed:
        return []
    return [f'"{key}" must be one of [{", ".join(sorted(allowed))}]']


def _languages(value: JSON) -> list[str]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list):
        return ['"language" must be a string or an array of strings']
    return [
        f'"language[{i}]" must be an ISO 639-1, 639-2 or 639-3 code, got {code!r}'
        for i, code in enumerate(value)
        if not (isinstance(code, str) and hubrules.is_language_code(code))
    ]


def _strings(key: str, value: JSON, *, single_ok: bool) -> list[str]:
    if single_ok and isinstance(value, str):
        return []
    if not isinstance(value, list):
        return [f'"{key}" must be an array of strings']
    return [f'"{key}[{i}]" must be a string' for i, v in enumerate(value) if not isinstance(v, str)]


def _base_models(value: JSON) -> list[str]:
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list):
        return ['"base_model" must be a string or an array of strings']
    errors: list[str] = []
    for i, item in enumerate(items):
        where = "base_model" if isinstance(value, str) else f"base_model[{i}]"
        if not isinstance(item, str):
            errors.append(f'"{where}" must be a string')
        elif hubrules.repo_id_problem(item):
            errors.append(f'"{where}" is not a valid model id: {item!r}')
    return errors
