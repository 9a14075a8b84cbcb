"""The Hub's form of a card's `model-index` (its evaluation results), checked by validate-yaml.

The form is hub-docs' model card spec, as huggingface_hub's repocard_data.py
`model_index_to_eval_results` reads it: a non-empty list of {name, results}, each result a
{task: {type, name?}, dataset: {type, name, config?, split?, revision?, args?}, metrics: [{type,
value, name?, config?, args?, verified?, verifyToken?}], source?: {url, name?}}. Keys beyond
these are left alone, as the client leaves them. A missing required key is one error naming its
path (`"model-index[0].results" is required`), in validate-yaml's wording.
"""

from __future__ import annotations

from typing import Any

JSON = Any

# A field: (required, kind); kind is "string", "boolean", "value" (any non-null scalar, such as
# 71.2 or "70.1 ± 0.3"), "any", or a nested form: a dict (an object) or a one-item list (an
# array of that form).
Form = dict[str, tuple[bool, Any]]

_TASK: Form = {"type": (True, "string"), "name": (False, "string")}
_DATASET: Form = {
    "type": (True, "string"),
    "name": (True, "string"),
    "config": (False, "string"),
    "split": (False, "string"),
    "revision": (False, "string"),
    "args": (False, "any"),
}
_METRIC: Form = {
    "type": (True, "string"),
    "value": (True, "value"),
    "name": (False, "string"),
    "config": (False, "string"),
    "args": (False, "any"),
    "verified": (False, "boolean"),
    "verifyToken": (False, "string"),
}
_SOURCE: Form = {"url": (True, "string"), "name": (False, "string")}
_RESULT: Form = {
    "task": (True, _TASK),
    "dataset": (True, _DATASET),
    "metrics": (True, [_METRIC]),
    "source": (False, _SOURCE),
}
_ENTRY: Form = {"name": (True, "string"), "results": (True, [_RESULT])}


def problems(value: JSON) -> list[str]:
    """validate-yaml's errors for a card's `model-index` value (none when it has the form)."""
    if not isinstance(value, list):
        return ['"model-index" must be an array']
    if not value:
        return ['"model-index" must be a non-empty array']
    return _check(value, [_ENTRY], "model-index")


def _check(value: JSON, kind: Any, where: str) -> list[str]:
    if isinstance(kind, dict):
        if not isinstance(value, dict):
            return [f'"{where}" must be an object']
        found: list[str] = []
        for key, (required, inner) in kind.items():
            if value.get(key) is None:
                found += [f'"{where}.{key}" is required'] if required else []
            else:
                found += _check(value[key], inner, f"{where}.{key}")
        return found
    if isinstance(kind, list):
        if not isinstance(value, list):
            return [f'"{where}" must be an array']
        return [
            error
            for i, item in enumerate(value)
            for error in _check(item, kind[0], f"{where}[{i}]")
        ]
    if kind == "string" and not isinstance(value, str):
        return [f'"{where}" must be a string']
    if kind == "boolean" and not isinstance(value, bool):
        return [f'"{where}" must be a boolean']
    if kind == "value" and not isinstance(value, str | int | float):
        return [f'"{where}" must be a number or a string']
    return []
