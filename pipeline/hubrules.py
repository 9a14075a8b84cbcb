"""The Hub's rules for repo ids and card metadata, in one place.

Used by the manifest (repo ids, licenses, languages), the card metadata checks and the local Hub's
validate-yaml endpoint, so the three can never disagree. The Hub's lists (licenses, tasks,
libraries) are data, not code: hubsnapshot.py reads them from the checked-in snapshot.
"""

from __future__ import annotations

import functools
import json
import re

from pipeline import hubsnapshot

# Where a card's front matter is: the Hub's and huggingface_hub's own regex (huggingface_hub
# repocard.py), used with `search`, so it only matches at the start of the card (after optional
# whitespace). One copy, for nb-release's reader and the local Hub's.
FRONT_MATTER = re.compile(r"^(\s*---(?:\r\n|\r|\n))([\S\s]*?)((?:\r\n|\r|\n)---[ \t]*(\r\n|\n|$))")

# The Hub's lists, from the checked-in snapshot of its own sources (hubsnapshot.py): the
# `license:` ids of hub-docs' table, the `pipeline_tag:` ids and the `library_name:` ids of
# @huggingface/tasks (and the formats the Hub lists as libraries).
LICENSES: frozenset[str] = frozenset(hubsnapshot.current().licenses)
PIPELINE_TAGS: frozenset[str] = frozenset(hubsnapshot.current().pipeline_tags)
LIBRARIES: frozenset[str] = frozenset(hubsnapshot.current().libraries)

# The `base_model_relation:` values: how a model derives from its `base_model`.
BASE_MODEL_RELATIONS: frozenset[str] = frozenset({"adapter", "merge", "quantized", "finetune"})

# The Llama Community License id of each Llama version the family uses.
LLAMA_LICENSES: dict[str, str] = {
    "2": "llama2",
    "3": "llama3",
    "3.1": "llama3.1",
    "3.2": "llama3.2",
    "3.3": "llama3.3",
    "4": "llama4",
}

# Languages come from pycountry's ISO 639-3 tables (with the ISO 639-1 two-letter and ISO 639-2/B
# bibliographic codes), not a hand list: with a pattern alone, any three letters once passed.
# The Hub's `language:` takes ISO 639-1, 639-2 and 639-3 codes.
_LANGUAGE_FORM = re.compile(r"[a-z]{2,3}")

# The names the family's cards have always used where ISO's English name reads differently:
# "no" is the macrolanguage, shown beside "nb" and "nn" as generic Norwegian.
_HOUSE_LANGUAGE_NAMES: dict[str, str] = {"no": "Generic Norwegian"}


@functools.cache
def _language(code: str) -> dict[str, str] | None:
    """pycountry's entry of an ISO 639 code (its fields: name, alpha_3, ...), or None."""
    if not _LANGUAGE_FORM.fullmatch(code):
        return None
    by_code = _languages()
    if len(code) == 2:
        return by_code.get(("alpha_2", code))
    return by_code.get(("alpha_3", code)) or by_code.get(("bibliographic", code))


@functools.cache
def _languages() -> dict[tuple[str, str], dict[str, str]]:
    """pycountry's ISO 639-3 table read from its own data file, by (field, code): the same
    entries its `languages.get` finds, without making an object of each of the 7,900 (which
    costs twice as long, on every run that checks a language)."""
    import pycountry  # its tables are read on first use, not at import

    table = pycountry.languages
    with open(table.filename, "rb") as handle:
        entries = json.loads(handle.read())[table.root_key]
    out: dict[tuple[str, str], dict[str, str]] = {}
    for entry in entries:
        for field in ("alpha_2", "alpha_3", "bibliographic"):
            if field in entry:
                out.setdefault((field, entry[field]), entry)
    return out


def is_language_code(code: str) -> bool:
    """True for an ISO 639-1, 639-2/B or 639-3 code (lowercase) that ISO assigns."""
    return isinstance(code, str) and _language(code) is not None


def suggest_language_code(value: str) -> str | None:
    """The code a user likely meant: "NB" -> "nb", "Norwegian Bokmål" -> "nb"; or None."""
    text = value.strip()
    if not text or len(text) > 100:
        return None
    if is_language_code(text.lower()):
        return text.lower()
    import pycountry

    try:
        record = pycountry.languages.lookup(text)  # codes and English names, any case
    except LookupError:
        return None
    return str(getattr(record, "alpha_2", None) or record.alpha_3)


def language_name(code: str) -> str:
    """The English name of a language code, as the cards write it ("nb": "Norwegian Bokmål");
    the code itself when it is no ISO 639 code."""
    if code in _HOUSE_LANGUAGE_NAMES:
        return _HOUSE_LANGUAGE_NAMES[code]
    record = _language(code) if isinstance(code, str) else None
    if record is None:
        return code
    return str(record.get("common_name") or record["name"])


# Hub repo names: letters, digits, `-`, `_`, `.`; at most 96 characters; no `--` or `..`;
# no leading or trailing `-` or `.`; a name may not end in `.git` (the Hub serves every repo
# over git at `<id>.git`; huggingface_hub's validate_repo_id refuses it, and `release` failed
# there with a traceback before validate checked it). Namespaces follow the same character rules.
REPO_PART_MAX = 96
_REPO_PART = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9_])?")

# Library names and tags: tokens the Hub shows as chips; no spaces, commas, quotes or control
# characters (fullmatch: `$` would let a trailing newline through).
_TAG = re.compile(r"""[^\s,"'`\x00-\x1f\x7f-\x9f]{1,100}""")


def repo_part_problem(part: str, label: str = "name") -> str | None:
    """Why `part` cannot be a Hub repo's namespace or name (label), as "is empty", or None."""
    if not part:
        return "is empty"
    if len(part) > REPO_PART_MAX:
        return f"is longer than {REPO_PART_MAX} characters"
    if ".." in part or "--" in part:
        return "contains '..' or '--', which the Hub refuses"
    if not _REPO_PART.fullmatch(part):
        return (
            "may hold only letters, digits, '-', '_' and '.', "
            "and may not start or end with '-' or '.'"
        )
    if label == "name" and part.lower().endswith(".git"):
        return "ends in '.git', which the Hub refuses"
    return None


def repo_id_problem(repo_id: str) -> str | None:
    """Why `repo_id` is not a valid Hub model repo id, or None if it is."""
    if not isinstance(repo_id, str) or not repo_id:
        return "a repo id must be a non-empty string 'namespace/name'"
    parts = repo_id.split("/")
    if len(parts) != 2:
        return f"a repo id must be 'namespace/name' with exactly one '/', got {repo_id!r}"
    for label, part in zip(("namespace", "name"), parts, strict=True):
        problem = repo_part_problem(part, label)
        if problem:
            return f"the {label} of {repo_id!r} {problem}"
    return None


def is_tag(value: str) -> bool:
    """True for a Hub tag or library name: no spaces, commas or quotes, 1 to 100 characters."""
    return bool(_TAG.fullmatch(value))
