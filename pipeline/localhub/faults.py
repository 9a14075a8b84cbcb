"""Latency, injected faults and request counters: what benchmarks and reliability tests turn.

Off by default. A fault is decided before the handler runs, so a faulted request never changes
the store (a 5xx here means "nothing happened", which is what the client's retries assume).
The fault stream is seeded, so a run with the same seed and the same requests fails the same way.
"""

from __future__ import annotations

import random
import threading
from collections import Counter
from dataclasses import asdict, dataclass, fields
from typing import Any

from pipeline.errors import PipelineError

FAULT_KINDS = ("500", "502", "503", "429", "drop", "slow")

# Route names, for FaultConfig.route and the counters. Writes are the routes that change the store.
ROUTES = (
    "whoami",
    "list_models",
    "model_info",
    "resolve",
    "preupload",
    "commit",
    "create_repo",
    "validate_yaml",
    "tags_by_type",
    "list_commits",
    "list_discussions",
    "create_discussion",
    "discussion",
    "comment_discussion",
    "rename_discussion",
    "discussion_status",
    "merge_pull_request",
    "list_refs",
    "tree",
    # refs and repo administration
    "create_branch",
    "delete_branch",
    "create_tag",
    "delete_tag",
    "repo_settings",
    "move_repo",
    "delete_repo",
    # files beyond resolve: raw, paths-info and LFS
    "raw",
    "paths_info",
    "lfs_batch",
    "lfs_upload",
    "lfs_download",
    # collections
    "create_collection",
    "list_collections",
    "get_collection",
    "update_collection_metadata",
    "delete_collection",
    "add_collection_item",
    "update_collection_item",
    "delete_collection_item",
    "unknown",
)
WRITE_ROUTES = frozenset(
    {
        "create_repo",
        "commit",
        "create_discussion",
        "comment_discussion",
        "rename_discussion",
        "discussion_status",
        "merge_pull_request",
        # refs and repo administration
        "create_branch",
        "delete_branch",
        "create_tag",
        "delete_tag",
        "repo_settings",
        "move_repo",
        "delete_repo",
        "lfs_upload",
        # collections
        "create_collection",
        "update_collection_metadata",
        "delete_collection",
        "add_collection_item",
        "update_collection_item",
        "delete_collection_item",
    }
)
# The routes whose answers are pages that link to the next one (a `Link: <...>; rel="next"`).
LISTING_ROUTES = frozenset({"list_models", "list_commits", "tree"})
WRONG_SHAPES = ("html", "json")


@dataclass(frozen=True)
class FaultConfig:
    """Latency for every request, and faults for a share of them (optionally one route, first N)."""

    latency_ms: float = 0
    jitter_ms: float = 0
    fault_rate: float = 0.0
    fault_seed: int = 0
    route: str | None = None
    first_n: int | None = None
    kinds: tuple[str, ...] = FAULT_KINDS
    # `Retry-After: 0` makes the client's backoff wait 1 s instead of 1, 2, 4, 8 s (http_backoff).
    retry_after: int = 0
    slow_ms: float = 3000
    # --- lying answers: a proxy or a broken Hub (see LYING below); not drawn, always on -------
    drop_headers: tuple[str, ...] = ()
    commit_answer: str | None = None
    frozen_listing: bool = False

    # --- Retry-After as an HTTP date ------------------------------------------------------------
    # RFC 9110 allows either form; when set, a 429 fault carries this date (e.g. "Thu, 01 Jan
    # 2099 00:00:00 GMT") instead of `retry_after` seconds: a wait days or decades away.
    retry_after_date: str | None = None
    # --- a lying Hub: answers that are 200 but hostile (every matching answer, not drawn from
    # the fault stream; only those of `route` when it is set) ---
    # README answers (GET resolve) sent one byte every `trickle_ms`.
    trickle_ms: float = 0
    # README answers (GET resolve) whose body never ends.
    endless_body: bool = False
    # Listing pages (LISTING_ROUTES) link their next page to themselves ("self") or to this URL.
    next_link: str | None = None
    # JSON answers replaced by an HTML page ("html") or JSON of the wrong shape ("json").
    wrong_shape: str | None = None

    def __post_init__(self) -> None:
        problems: list[str] = lying_problems(self)
        if self.latency_ms < 0 or self.jitter_ms < 0 or self.slow_ms < 0:
            problems.append("latency, jitter and slow times must be >= 0")
        if not 0.0 <= self.fault_rate <= 1.0:
            problems.append(f"fault_rate must be between 0 and 1, got {self.fault_rate}")
        if self.route is not None and self.route not in ROUTES:
            problems.append(f"unknown route {self.route!r}; routes: {', '.join(ROUTES)}")
        if self.first_n is not None and self.first_n < 0:
            problems.append("first_n must be >= 0")
        unknown = [kind for kind in self.kinds if kind not in FAULT_KINDS]
        if unknown or not self.kinds:
            problems.append(f"fault kinds must be among {', '.join(FAULT_KINDS)}, got {unknown}")
        if self.retry_after < 0:
            problems.append("retry_after must be >= 0")
        if self.retry_after_date is not None and not _is_http_date(self.retry_after_date):
            problems.append(f"retry_after_date is not an HTTP date: {self.retry_after_date!r}")
        problems += self._lying_problems()
        if problems:
            raise PipelineError("invalid fault configuration: " + "; ".join(problems))

    def _lying_problems(self) -> list[str]:
        problems: list[str] = []
        if self.trickle_ms < 0:
            problems.append("trickle_ms must be >= 0")
        link = self.next_link
        if link is not None and link != "self" and not link.startswith(("http://", "https://")):
            problems.append(f'next_link must be "self" or an http(s) URL, got {link!r}')
        if self.wrong_shape is not None and self.wrong_shape not in WRONG_SHAPES:
            problems.append(
                f"wrong_shape must be one of {', '.join(WRONG_SHAPES)}, got {self.wrong_shape!r}"
            )
        return problems

    @classmethod
    def from_json(cls, data: object) -> FaultConfig:
        """From the admin endpoint's JSON object; unknown keys and wrong types are refused."""
        if not isinstance(data, dict):
            raise PipelineError("a fault configuration must be a JSON object")
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise PipelineError(f"unknown fault setting(s): {', '.join(unknown)}")
        values = dict(data)
        if "kinds" in values:
            kinds = values["kinds"]
            if not isinstance(kinds, list) or not all(isinstance(k, str) for k in kinds):
                raise PipelineError("kinds must be a list of strings")
            values["kinds"] = tuple(kinds)
        for key in ("latency_ms", "jitter_ms", "fault_rate", "slow_ms"):
            if key in values and not _is_number(values[key]):
                raise PipelineError(f"{key} must be a number")
        for key in ("fault_seed", "first_n", "retry_after"):
            value = values.get(key, 0)
            if not (value is None and key == "first_n") and not _is_int(value):
                raise PipelineError(f"{key} must be an integer")
        if values.get("route") is not None and not isinstance(values["route"], str):
            raise PipelineError("route must be a string")
        date = values.get("retry_after_date")
        if date is not None and not isinstance(date, str):
            raise PipelineError("retry_after_date must be a string")
        lying_from_json(values)
        _check_lying_json(values)
        return cls(**values)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["kinds"] = list(self.kinds)
        data["drop_headers"] = list(self.drop_headers)
        return data


def _check_lying_json(values: dict[str, Any]) -> None:
    """The types of the lying-Hub settings in a JSON fault configuration."""
    if "trickle_ms" in values and not _is_number(values["trickle_ms"]):
        raise PipelineError("trickle_ms must be a number")
    if not isinstance(values.get("endless_body", False), bool):
        raise PipelineError("endless_body must be true or false")
    for key in ("next_link", "wrong_shape"):
        if values.get(key) is not None and not isinstance(values[key], str):
            raise PipelineError(f"{key} must be a string or null")


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_http_date(value: str) -> bool:
    if not value.isprintable():
        return False  # a header value: no line breaks
    # Here, not at the top: every command's parser imports this module (`hub serve`'s options),
    # and the email package is a large share of `nb-release --help`'s start-up.
    from email.utils import parsedate_to_datetime

    try:
        return parsedate_to_datetime(value).tzinfo is not None
    except (TypeError, ValueError, IndexError):
        return False


@dataclass(frozen=True)
class Decision:
    """What to do with one request: sleep this long, then answer normally or with `fault`."""

    delay_s: float
    fault: str | None


class FaultPlan:
    """Draws latency and faults from a seeded stream; swapped whole by `set_faults`."""

    def __init__(self, config: FaultConfig | None) -> None:
        self.config = config or FaultConfig()
        # Two streams: turning jitter on must not change which requests fail.
        self._random = random.Random(self.config.fault_seed)
        self._jitter = random.Random(self.config.fault_seed + 1)
        self._seen = 0
        self._lock = threading.Lock()
        self.frozen = FrozenListing()

    def decide(self, route: str) -> Decision:
        config = self.config
        with self._lock:
            delay = config.latency_ms
            if config.jitter_ms:
                delay += self._jitter.uniform(0, config.jitter_ms)
            if config.fault_rate <= 0 or (config.route is not None and route != config.route):
                return Decision(delay / 1000, None)
            self._seen += 1
            if config.first_n is not None and self._seen > config.first_n:
                return Decision(delay / 1000, None)
            if self._random.random() >= config.fault_rate:
                return Decision(delay / 1000, None)
            kind = self._random.choice(config.kinds)
        if kind == "slow":
            return Decision((delay + config.slow_ms) / 1000, None)
        return Decision(delay / 1000, kind)


class Counters:
    """Requests per (route, method) and faults injected per kind, and how many requests were
    being answered at once (from arrival, through any injected latency, to the answer sent):
    what shows that a client's reads overlap, without timing them; thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._requests: Counter[tuple[str, str]] = Counter()
        self._faults: Counter[str] = Counter()
        self._flying: Counter[str] = Counter()  # route: requests of it being answered now
        self._max_flying = 0
        self._together: set[str] = set()  # routes seen in flight beside another request

    def count(self, route: str, method: str) -> None:
        with self._lock:
            self._requests[(route, method)] += 1

    def enter(self, route: str) -> None:
        """A request of `route` is being answered (until `leave`)."""
        with self._lock:
            self._flying[route] += 1
            now = self._flying.total()
            self._max_flying = max(self._max_flying, now)
            if now > 1:
                self._together.update(r for r, n in self._flying.items() if n > 0)

    def leave(self, route: str) -> None:
        with self._lock:
            self._flying[route] -= 1

    def in_flight(self) -> int:
        """The requests being answered now."""
        with self._lock:
            return self._flying.total()

    def max_in_flight(self) -> int:
        """The most requests answered at once since the last reset."""
        with self._lock:
            return self._max_flying

    def overlapped(self) -> frozenset[str]:
        """The routes of the requests that were answered while another one was."""
        with self._lock:
            return frozenset(self._together)

    def count_fault(self, kind: str) -> None:
        with self._lock:
            self._faults[kind] += 1

    def snapshot(self) -> dict[tuple[str, str], int]:
        """{(route, method): count}, e.g. {("commit", "POST"): 3, ("resolve", "HEAD"): 2}."""
        with self._lock:
            return dict(sorted(self._requests.items()))

    def by_route(self) -> dict[str, dict[str, int]]:
        """{route: {method: count}}: the snapshot as JSON can hold it (GET /_admin/counters)."""
        result: dict[str, dict[str, int]] = {}
        for (route, method), count in self.snapshot().items():
            result.setdefault(route, {})[method] = count
        return result

    def get(self, route: str, method: str | None = None) -> int:
        with self._lock:
            return sum(
                n for (r, m), n in self._requests.items() if r == route and method in (None, m)
            )

    def writes(self) -> int:
        """Requests to the routes that can change the store: create_repo, commit, discussions."""
        with self._lock:
            return sum(n for (route, _), n in self._requests.items() if route in WRITE_ROUTES)

    def total(self) -> int:
        with self._lock:
            return sum(self._requests.values())

    def faults(self) -> dict[str, int]:
        with self._lock:
            return dict(sorted(self._faults.items()))

    def reset(self) -> None:
        with self._lock:
            self._requests.clear()
            self._faults.clear()
            self._max_flying = self._flying.total()
            self._together.clear()

    def to_json(self) -> dict[str, Any]:
        return {
            "requests": self.by_route(),
            "writes": self.writes(),
            "total": self.total(),
            "faults": self.faults(),
            "max_in_flight": self.max_in_flight(),
        }


# --- lying answers ----------------------------------------------------------------------------
# What a proxy, a CDN or a broken Hub may do to an answer that is otherwise right; applied by the
# server (HubServer.lie_*), never drawn from the fault stream:
#
# - `drop_headers`: these headers are removed from every README (resolve) answer, as a proxy
#   that strips X-Repo-Commit would.
# - `commit_answer`: "parent": commit nothing and answer 200 naming the branch's current head
#   (the parent) as the new commit; "html": commit, then answer 200 with an HTML page.
# - `frozen_listing`: the listing (GET /api/models) shows, for each repo, the sha of its first
#   listing answer after the option was set: a listing that lags behind the repos.

COMMIT_ANSWERS = ("parent", "html")


def lying_problems(config: FaultConfig) -> list[str]:
    problems: list[str] = []
    if config.commit_answer is not None and config.commit_answer not in COMMIT_ANSWERS:
        problems.append(
            f"commit_answer must be one of {', '.join(COMMIT_ANSWERS)} or null, "
            f"got {config.commit_answer!r}"
        )
    if any(not name or not name.isascii() or ":" in name for name in config.drop_headers):
        problems.append("drop_headers must be header names")
    return problems


def lying_from_json(values: dict[str, Any]) -> None:
    """Check and convert the lying answers' settings of a JSON fault configuration in place."""
    if "drop_headers" in values:
        names = values["drop_headers"]
        if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
            raise PipelineError("drop_headers must be a list of strings")
        values["drop_headers"] = tuple(names)
    if values.get("commit_answer") is not None and not isinstance(values["commit_answer"], str):
        raise PipelineError("commit_answer must be a string or null")
    if "frozen_listing" in values and not isinstance(values["frozen_listing"], bool):
        raise PipelineError("frozen_listing must be true or false")


class FrozenListing:
    """The sha a frozen listing shows per repo: the first one it was asked to show."""

    def __init__(self) -> None:
        self._shas: dict[str, str] = {}
        self._lock = threading.Lock()

    def sha(self, repo_id: str, live: str) -> str:
        with self._lock:
            return self._shas.setdefault(repo_id, live)
