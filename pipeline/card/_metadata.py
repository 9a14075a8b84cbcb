"""The Hub-form checks on a rendered card's metadata, and that huggingface_hub reads what we meant.

Two readings of the front matter are checked:

* the YAML 1.2 data (what the card says, as the Hub and ruamel.yaml read it) must have the Hub's
  form: a known `license`, a known `pipeline_tag`, `language` a list of language codes,
  `base_model` a repo id (or a list of them), a known `library_name`, `tags` valid tokens;
* the data as huggingface_hub's `ModelCard` reads it (PyYAML, YAML 1.1; `pipeline.card._carddata`,
  which reproduces ModelCard without importing huggingface_hub) must hold exactly the intended
  value of every key in `expected`, so that a `- no` read as False (the Norway problem) is
  caught end to end.

Both readings come from one `frontmatter.Reading` (each dialect parses the front matter once);
key lines are worked out only when there is a problem to place.

`expected` values are compared exactly (type included; tuples count as lists), except `tags`:
every expected tag must be there, and a kind's template may add its own (gguf, notram).
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from pipeline.card import _carddata as carddata
from pipeline.card import frontmatter
from pipeline.card._samedata import same_data
from pipeline.errors import CardError, Problem
from pipeline.hubrules import (
    BASE_MODEL_RELATIONS,
    LIBRARIES,
    LICENSES,
    PIPELINE_TAGS,
    is_language_code,
    is_tag,
    repo_id_problem,
)

# Keys every card must have (docs/nb-llama-family.md); base_model too when `expected` names it.
REQUIRED = ("language", "license", "pipeline_tag", "tags")

# How a repo derives from its base_model; the Hub files it under that base by this
# (https://huggingface.co/docs/hub/model-cards#specifying-a-base-model).

_MISSING = object()


def check_metadata(
    card: str,
    content: str,
    *,
    expected: Mapping[str, object],
    reading: frontmatter.Reading | None = None,
) -> list[Problem]:
    """Every problem of `content`'s metadata, each naming `card`, the key path and the line.

    `reading` is the front matter of `content` already read (`frontmatter.canonical_reading`);
    without it the front matter is read here.
    """
    if reading is None:
        try:
            reading = frontmatter.reading(content, card)
        except CardError as exc:
            return list(exc.problems)
    if reading is None:
        return [
            Problem(
                file=card,
                line=1,
                message="the card has no front matter (a `---` block at the top)",
                hint="start the template with `---`, the metadata, and `---`",
            )
        ]
    data = reading.data12
    if not isinstance(data, dict):
        return [
            Problem(
                file=card,
                line=reading.line_offset + 1,
                message=f"the front matter is a {type(data).__name__}, not a mapping of keys",
            )
        ]
    checker = _Checker(card, reading.lines)
    checker.form(data, expected)
    client: Mapping[str, Any] = {}
    failure = reading.error11
    if failure is None:
        try:
            client = carddata.client_view(reading.data11)
        except (ValueError, TypeError) as exc:  # what ModelCard raises is the finding itself
            failure = f"{type(exc).__name__}: {exc}"
    if failure is not None:
        checker.add(
            "",
            f"huggingface_hub cannot read the metadata: {failure}",
            hint="quote values and keep the front matter a mapping",
        )
    checker.expected(data, client, expected)
    return checker.problems


class _Checker:
    """Collects problems with the card's name and the line of each key path."""

    def __init__(self, card: str, lines: Callable[[], Mapping[str, int]]) -> None:
        self.card = card
        self._lines = lines
        self._known: Mapping[str, int] | None = None
        self.problems: list[Problem] = []

    @property
    def lines(self) -> Mapping[str, int]:
        # Worked out on the first problem only: most cards have none.
        if self._known is None:
            self._known = self._lines()
        return self._known

    def add(self, path: str, message: str, hint: str | None = None) -> None:
        top = path.split("[")[0].split(".")[0]
        lines = self.lines
        self.problems.append(
            Problem(
                file=self.card,
                line=lines.get(path, lines.get(top)),
                key_path=path or None,
                message=message,
                hint=hint,
            )
        )

    # --- the Hub's form ---------------------------------------------------------------------

    def form(self, data: Mapping[str, Any], expected: Mapping[str, object]) -> None:
        for key in REQUIRED:
            if key not in data and key not in expected:
                self.add(key, f"missing; every card needs `{key}`")
        if "license" in data:
            self.license(data)
        if "pipeline_tag" in data:
            self.choice("pipeline_tag", data["pipeline_tag"], PIPELINE_TAGS, "a Hub task id")
        if "language" in data:
            self.language(data["language"])
        if "base_model" in data:
            self.base_model(data["base_model"])
        if "base_model_relation" in data:
            self.choice(
                "base_model_relation",
                data["base_model_relation"],
                BASE_MODEL_RELATIONS,
                "one of " + ", ".join(sorted(BASE_MODEL_RELATIONS)),
            )
            if "base_model" not in data:
                self.add("base_model_relation", "set without `base_model`; name the base model")
        if "library_name" in data:
            self.choice("library_name", data["library_name"], LIBRARIES, "a Hub library id")
        if "tags" in data:
            self.tags(data["tags"])
        if "model-index" in data:
            self.model_index(data["model-index"])

    def model_index(self, value: Any) -> None:
        """The Hub's form of `model-index` (hub-docs' model card spec): a non-empty list of
        {name, results: [{task: {type}, dataset: {type, name}, metrics: [{type, value}]}]}."""
        for path, problem in _model_index_problems(value, "model-index", _INDEX_FORM):
            self.add(path, problem, "see https://huggingface.co/docs/hub/model-cards")

    def license(self, data: Mapping[str, Any]) -> None:
        self.choice("license", data["license"], LICENSES, "a Hub license id")
        if data["license"] == "other":
            for key in ("license_name", "license_link"):
                if not isinstance(data.get(key), str) or not data[key]:
                    self.add(
                        key, "missing; `license: other` needs `license_name` and `license_link`"
                    )

    def choice(self, key: str, value: Any, allowed: frozenset[str], what: str) -> None:
        if isinstance(value, str) and value in allowed:
            return
        hint = None
        if isinstance(value, str):
            near = difflib.get_close_matches(value, sorted(allowed), n=1)
            hint = f"did you mean {near[0]!r}?" if near else None
        self.add(key, f"found {_show(value)}; expected {what}", hint)

    def language(self, value: Any) -> None:
        if not isinstance(value, list) or not value:
            self.add("language", f"found {_show(value)}; expected a list of language codes")
            return
        seen: set[str] = set()
        for index, code in enumerate(value):
            path = f"language[{index}]"
            if not isinstance(code, str) or not is_language_code(code):
                self.add(
                    path,
                    f"found {_show(code)}; expected an ISO 639 language code such as 'nb'",
                    'quote codes YAML 1.1 reads otherwise: - "no"',
                )
            elif code in seen:
                self.add(path, f"{code!r} is listed twice")
            else:
                seen.add(code)

    def base_model(self, value: Any) -> None:
        items = value if isinstance(value, list) else [value]
        if not items:
            self.add("base_model", "found an empty list; expected a repo id 'namespace/name'")
        for index, repo_id in enumerate(items):
            path = f"base_model[{index}]" if isinstance(value, list) else "base_model"
            why = repo_id_problem(repo_id) if isinstance(repo_id, str) else None
            if not isinstance(repo_id, str):
                self.add(path, f"found {_show(repo_id)}; expected a repo id 'namespace/name'")
            elif why is not None:
                self.add(path, f"found {repo_id!r}; {why}")

    def tag_shaped(self, path: str, value: Any, what: str) -> None:
        """A tag or library name: one word as the Hub forms them."""
        if not isinstance(value, str) or not is_tag(value):
            self.add(
                path, f"found {_show(value)}; expected {what} without spaces, commas or quotes"
            )

    def tags(self, value: Any) -> None:
        if not isinstance(value, list):
            self.add("tags", f"found {_show(value)}; expected a list of tags")
            return
        for index, tag in enumerate(value):
            self.tag_shaped(f"tags[{index}]", tag, "a tag")

    # --- the intended values, as huggingface_hub reads them --------------------------------------

    def expected(
        self, data: Mapping[str, Any], client: Mapping[str, Any], expected: Mapping[str, object]
    ) -> None:
        for key, raw in expected.items():
            want = _plain(raw)
            said = data.get(key, _MISSING)
            read = client.get(key, _MISSING)
            if said is _MISSING:
                self.add(key, f"missing; expected {want!r}")
            elif key == "tags":
                self.expected_tags(said, read, want)
            elif diffs := list(_differences(said, want, key)):
                for path, found, wanted in diffs:
                    self.add(path, f"the card says {_show(found)}; expected {_show(wanted)}")
            else:
                for path, found, wanted in _differences(read, want, key):
                    self.add(
                        path,
                        f"huggingface_hub (PyYAML, YAML 1.1) reads {_show(found)}; "
                        f"expected {_show(wanted)}",
                        "quote the value (frontmatter.canonicalize does)",
                    )

    def expected_tags(self, said: Any, read: Any, want: Any) -> None:
        wanted = want if isinstance(want, list) else [want]
        said_list = said if isinstance(said, list) else [said]
        read_list = read if isinstance(read, list) else [read]
        for tag in wanted:
            if not _contains(said_list, tag):
                self.add("tags", f"the card lacks the tag {tag!r}")
            elif not _contains(read_list, tag):
                index = next(i for i, item in enumerate(said_list) if same_data(item, tag))
                self.add(
                    f"tags[{index}]" if isinstance(said, list) else "tags",
                    f"huggingface_hub (PyYAML, YAML 1.1) does not read the tag {tag!r}; "
                    f"it reads {_show(read)}",
                    "quote the value (frontmatter.canonicalize does)",
                )


# A form: a dict of key -> (required, form); a one-item list: a non-empty list of that form;
# "text": a string; "number": a number (not a boolean).
_INDEX_FORM: Any = [
    {
        "name": (True, "text"),
        "results": (
            True,
            [
                {
                    "task": (True, {"type": (True, "text"), "name": (False, "text")}),
                    "dataset": (
                        True,
                        {
                            "type": (True, "text"),
                            "name": (True, "text"),
                            "config": (False, "text"),
                            "split": (False, "text"),
                        },
                    ),
                    "metrics": (
                        True,
                        [
                            {
                                "type": (True, "text"),
                                "value": (True, "number"),
                                "name": (False, "text"),
                            }
                        ],
                    ),
                    "source": (False, {"url": (True, "text"), "name": (False, "text")}),
                }
            ],
        ),
    }
]


def _model_index_problems(value: Any, path: str, form: Any) -> Iterator[tuple[str, str]]:
    if isinstance(form, list):
        if not isinstance(value, list) or not value:
            yield path, f"found {_show(value)}; expected a non-empty list"
            return
        for index, item in enumerate(value):
            yield from _model_index_problems(item, f"{path}[{index}]", form[0])
    elif isinstance(form, dict):
        if not isinstance(value, dict):
            yield path, f"found {_show(value)}; expected a mapping"
            return
        for key, (required, inner) in form.items():
            if key in value:
                yield from _model_index_problems(value[key], f"{path}.{key}", inner)
            elif required:
                yield f"{path}.{key}", f"missing; the Hub's model-index needs `{key}` here"
    elif form == "text" and not (isinstance(value, str) and value):
        yield path, f"found {_show(value)}; expected a non-empty string"
    elif form == "number" and (isinstance(value, bool) or not isinstance(value, int | float)):
        yield path, f"found {_show(value)}; expected a number"


def _differences(found: Any, want: Any, path: str) -> Iterator[tuple[str, Any, Any]]:
    """(key path, found, wanted) for each place where `found` is not exactly `want`."""
    if found is _MISSING:
        yield path, found, want
    elif isinstance(found, list) and isinstance(want, list) and len(found) == len(want):
        for index, (item, wanted) in enumerate(zip(found, want, strict=True)):
            yield from _differences(item, wanted, f"{path}[{index}]")
    elif isinstance(found, dict) and isinstance(want, dict) and found.keys() == want.keys():
        for key, wanted in want.items():
            yield from _differences(found[key], wanted, f"{path}.{key}")
    elif not same_data(found, want):
        yield path, found, want


def _contains(items: list[Any], wanted: Any) -> bool:
    return any(same_data(item, wanted) for item in items)


def _plain(value: object) -> Any:
    """`value` with tuples as lists, as YAML gives them back."""
    if isinstance(value, tuple | list):
        return [_plain(item) for item in value]
    if isinstance(value, Mapping):
        return {key: _plain(item) for key, item in value.items()}
    return value


def _show(value: Any) -> str:
    """A value in a message, with its type when the type is the surprise (False, 7, None)."""
    if value is _MISSING:
        return "nothing"
    if isinstance(value, str) or value is None:
        return repr(value)
    if isinstance(value, list | dict):
        return repr(value)
    return f"{value!r} ({type(value).__name__})"
