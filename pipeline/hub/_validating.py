"""The Hub's own check of a card's metadata (`POST /api/validate-yaml`), asked before any write.

huggingface_hub asks the same endpoint inside `create_commit` when a commit adds README.md, so a
card the Hub refuses fails there, one repo at a time, after other repos were already written.
Asked for every card first, a refusal stops the run before its first write. The body is the one
the client sends (`{"content": <README>, "repoType": "model"}`, docs/hub-http-api.md 4.6); the
request goes through the client's session (the pacing and token hooks) under the retry policy.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

import httpx2
from huggingface_hub.utils import build_hf_headers, get_session, hf_raise_for_status

from pipeline.hub import _answers as answers
from pipeline.hub._calls import HubCalls
from pipeline.hub._gather import gather
from pipeline.safetext import printable

# The Hub names the key a message is about in quotes at its start: `"license" must be one of
# [...]`, `"language[2]" must be an ISO 639-1 ... code`.
_KEY = re.compile(r'^"([A-Za-z0-9_.\-]+(?:\[\d+\])?)"')
# A refusal quotes the Hub's whole allowed list ("must be one of [apache-2.0, ...]"): kept short.
_MESSAGE_LIMIT = 300


@dataclass(frozen=True)
class Refusal:
    """One error the Hub's validate-yaml gives a card: the key it names (if any), its words."""

    key: str | None
    message: str


def refusal(message: str) -> Refusal:
    """A message of the Hub's, made printable and short, with the key it names."""
    text = printable(" ".join(message.split()))
    if len(text) > _MESSAGE_LIMIT:
        text = text[: _MESSAGE_LIMIT - 3] + "..."
    match = _KEY.match(text)
    return Refusal(key=match.group(1) if match else None, message=text)


def validate_card(calls: HubCalls, repo_id: str, content: str) -> list[Refusal]:
    """The Hub's errors for `content` as README.md of a model repo (none: it accepts it).

    400 with `{"errors": [{"message": ...}]}` is a refusal; any other failure is a HubError
    naming the request (the retry policy retries 429, 5xx and network errors first).
    """
    url = f"{calls.target.url}/api/validate-yaml"
    headers = build_hf_headers(token=calls.target.token or False)
    doing = f"asking the Hub to validate the card of {repo_id}"

    def post() -> list[Refusal]:
        response = get_session().post(
            url, json={"content": content, "repoType": "model"}, headers=headers
        )
        if response.status_code == 400:
            return _refusals(response)
        hf_raise_for_status(response)
        return []

    return calls.ask(post, doing)


def validate_cards(
    calls: HubCalls,
    contents: Mapping[str, str],
    known: dict[tuple[str, str], list[Refusal]],
    workers: int,
) -> dict[str, list[Refusal]]:
    """validate_card of each card (repo id: README text) that `known` lacks, concurrently
    (bounded), noted in `known` (a card is asked once a run); the repos refused, with why."""
    asked = [repo_id for repo_id in contents if (repo_id, contents[repo_id]) not in known]
    verdicts = gather(lambda r: validate_card(calls, r, contents[r]), asked, workers)
    for repo_id, found in zip(asked, verdicts, strict=True):
        known[(repo_id, contents[repo_id])] = found
    return {r: found for r in contents if (found := known[(r, contents[r])])}


def _refusals(response: httpx2.Response) -> list[Refusal]:
    body = response.json()
    errors = body.get("errors") if isinstance(body, dict) else None
    if not isinstance(errors, list):
        # A 400 without the Hub's error list (a proxy's page): its message, as the client reads it.
        return [refusal(response.headers.get("X-Error-Message") or response.text)]
    found = [
        refusal(answers.as_str(error.get("message"), "message"))
        for error in errors
        if isinstance(error, dict)
    ]
    return found or [refusal("the Hub refused the card without saying why")]
