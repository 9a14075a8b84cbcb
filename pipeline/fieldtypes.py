"""The value types of models.toml: each carries the rule it checks, with a message that says
what is expected (used by pipeline.manifest at its Pydantic edge).
"""

from __future__ import annotations

import difflib
import re
from pathlib import Path
from typing import Annotated

from pydantic import BeforeValidator

from pipeline import hubrules

_VERSION_FORM = re.compile(r"^\d+(\.\d+)?$")
SIZE_FORM = re.compile(r"^(\d+(?:\.\d+)?)([MB])$")
_URL_FORM = re.compile(r"^https?://[^\s/$.?#][^\s]*$")


# --- field types that carry the rules -------------------------------------------------------


def _llama_version(value: object) -> str:
    if isinstance(value, float):
        # A TOML float cannot tell 3.1 from 3.10; refuse it rather than guess.
        raise ValueError(
            f'expected a string such as "3.1", got the TOML number {value!r}; '
            f'write it in quotes: "{value}"'
        )
    if not isinstance(value, str) or not _VERSION_FORM.match(value):
        raise ValueError(f'expected a Llama version string such as "3.1", got {value!r}')
    return value


def _repo_id(value: object) -> str:
    if not isinstance(value, str):
        raise ValueError(f"expected a repo id string 'namespace/name', got {value!r}")
    problem = hubrules.repo_id_problem(value)
    if problem:
        raise ValueError(problem)
    return value


def _repo_part(value: object) -> str:
    if not isinstance(value, str):
        raise ValueError(f"expected a string, got {value!r}")
    problem = hubrules.repo_id_problem(f"{value}/x" if value else "/x")
    if problem or "/" in value:
        raise ValueError(
            f"{value!r} is not a valid Hub name: use letters, digits, '-', '_' and '.', "
            "no '/', no '..' or '--', and no leading or trailing '-' or '.'"
        )
    return value


def _language(value: object) -> str:
    if not isinstance(value, str) or not hubrules.is_language_code(value):
        raise ValueError(f"expected an ISO 639 language code such as 'nb' or 'nob', got {value!r}")
    return value


def _license(value: object) -> str:
    if not isinstance(value, str) or value not in hubrules.LICENSES:
        near = difflib.get_close_matches(str(value), sorted(hubrules.LICENSES), n=1)
        hint = f" (did you mean {near[0]!r}?)" if near else ""
        raise ValueError(f"expected a Hub license id such as 'llama3.1', got {value!r}{hint}")
    return value


def _pipeline_tag(value: object) -> str:
    if not isinstance(value, str) or value not in hubrules.PIPELINE_TAGS:
        raise ValueError(f"expected a Hub task id such as 'text-generation', got {value!r}")
    return value


def _tag(value: object) -> str:
    if not isinstance(value, str) or not hubrules.is_tag(value):
        raise ValueError(f"expected a tag without spaces, commas or quotes, got {value!r}")
    return value


def _url(value: object) -> str:
    if not isinstance(value, str) or not _URL_FORM.match(value):
        raise ValueError(f"expected an http(s) URL, got {value!r}")
    return value


def _size(value: object) -> str:
    if not isinstance(value, str) or not SIZE_FORM.match(value):
        raise ValueError(f"expected a size such as '8B' or '500M', got {value!r}")
    return value


def _text(value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"expected a non-empty string, got {value!r}")
    return value


def _template(value: object) -> str:
    if (
        not isinstance(value, str)
        or not value.endswith(".j2")
        or value.startswith(("/", "\\"))
        or ".." in Path(value).parts
    ):
        raise ValueError(
            f"expected a template file name under cards/ ending in '.j2', got {value!r}"
        )
    return value


LlamaVersion = Annotated[str, BeforeValidator(_llama_version)]
RepoId = Annotated[str, BeforeValidator(_repo_id)]
RepoPart = Annotated[str, BeforeValidator(_repo_part)]
Language = Annotated[str, BeforeValidator(_language)]
License = Annotated[str, BeforeValidator(_license)]
PipelineTag = Annotated[str, BeforeValidator(_pipeline_tag)]
Tag = Annotated[str, BeforeValidator(_tag)]
Url = Annotated[str, BeforeValidator(_url)]
Size = Annotated[str, BeforeValidator(_size)]
Text = Annotated[str, BeforeValidator(_text)]
TemplateName = Annotated[str, BeforeValidator(_template)]
