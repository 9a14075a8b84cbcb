"""Rate limits per bucket, answered as the Hub does: 429 with `Retry-After`, `RateLimit` and
`RateLimit-Policy`.

The Hub counts requests in fixed windows per bucket: "api" (every /api call), "resolvers" (file
downloads), per hour, commits ("You have exceeded our hourly quotas for action: commit"), and it
limits `whoami` on its own, strictly ("whoami" here, counted in "api" too).
huggingface_hub reads `RateLimit: "api";r=0;t=55` (remaining, seconds to the reset) and
`RateLimit-Policy: "fixed window";"api";q=500;w=300` (utils/_http.py parse_ratelimit_headers); the
Hub sends both on every answer, so a client can pace itself before it is refused.

Off by default. A refused request changes nothing and uses no quota.
"""

from __future__ import annotations

import math
import re
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from pipeline.errors import PipelineError

BUCKETS = ("api", "resolvers", "commits", "whoami")
_SPEC = re.compile(r"^(?P<bucket>[a-z]+)=(?P<limit>[0-9]{1,9})/(?P<window>[0-9]{1,7})$")

# The Hub's own text for the hourly commit quota.
COMMIT_QUOTA_MESSAGE = "You have exceeded our hourly quotas for action: commit"


@dataclass(frozen=True)
class Quota:
    """At most `limit` requests of `bucket` per fixed window of `window_s` seconds."""

    bucket: str
    limit: int
    window_s: int

    def __post_init__(self) -> None:
        if self.bucket not in BUCKETS:
            raise PipelineError(
                f"unknown quota bucket {self.bucket!r}; buckets: {', '.join(BUCKETS)}"
            )
        if self.limit < 0 or self.window_s < 1:
            raise PipelineError(
                f"quota {self.bucket}: the limit must be >= 0 and the window >= 1 s"
            )

    @classmethod
    def parse(cls, spec: str) -> Quota:
        """`BUCKET=LIMIT/WINDOW_SECONDS`, as `--quota api=1000/300` spells it."""
        found = _SPEC.match(spec.strip())
        if not found:
            raise PipelineError(
                f"invalid quota {spec!r}",
                hint="write BUCKET=LIMIT/WINDOW_SECONDS, e.g. api=1000/300 or commits=100/3600",
            )
        return cls(found["bucket"], int(found["limit"]), int(found["window"]))

    def spec(self) -> str:
        return f"{self.bucket}={self.limit}/{self.window_s}"


def quotas_from_json(data: object) -> tuple[Quota, ...]:
    """From the admin endpoint: {"api": "1000/300", "commits": {"limit": 5, "window_s": 3600}}."""
    if not isinstance(data, dict):
        raise PipelineError("quotas must be a JSON object of bucket: 'LIMIT/WINDOW_SECONDS'")
    found: list[Quota] = []
    for bucket, value in data.items():
        if isinstance(value, str):
            found.append(Quota.parse(f"{bucket}={value}"))
        elif (
            isinstance(value, dict)
            and set(value) == {"limit", "window_s"}
            and all(type(v) is int for v in value.values())
        ):
            found.append(Quota(str(bucket), value["limit"], value["window_s"]))
        else:
            raise PipelineError(
                f"quota {bucket!r} must be 'LIMIT/WINDOW_SECONDS' or"
                ' {"limit": int, "window_s": int}'
            )
    return tuple(found)


def buckets_of(route: str) -> tuple[str, ...]:
    """The buckets a request to `route` counts in (hub-docs rate-limits.md: APIs, resolvers)."""
    if route in ("resolve", "raw"):
        return ("resolvers",)
    if route in ("lfs_upload", "lfs_download"):
        return ()  # the Hub's storage links (pre-signed URLs elsewhere), not API calls
    if route == "commit":
        return ("api", "commits")
    if route == "whoami":
        return ("api", "whoami")
    if route == "unknown":
        return ()  # not an API call: the Hub's "pages", which the local Hub does not limit
    return ("api",)


@dataclass(frozen=True)
class Refusal:
    """A request over quota: the 429's message and headers."""

    message: str
    headers: dict[str, str]


class _Window:
    def __init__(self, quota: Quota) -> None:
        self.quota = quota
        self.start = -math.inf
        self.used = 0
        self.refused = 0

    def roll(self, now: float) -> None:
        if now >= self.start + self.quota.window_s:
            self.start, self.used = now, 0

    def remaining(self) -> int:
        return max(self.quota.limit - self.used, 0)

    def reset_s(self, now: float) -> int:
        if self.start == -math.inf:
            return self.quota.window_s
        return max(math.ceil(self.start + self.quota.window_s - now), 0)

    def headers(self, now: float) -> dict[str, str]:
        bucket, limit, window_s = self.quota.bucket, self.quota.limit, self.quota.window_s
        return {
            "RateLimit": f'"{bucket}";r={self.remaining()};t={self.reset_s(now)}',
            "RateLimit-Policy": f'"fixed window";"{bucket}";q={limit};w={window_s}',
        }


class QuotaBook:
    """The windows of every configured bucket; thread-safe; replaced whole by `set`."""

    def __init__(
        self, quotas: Iterable[Quota] = (), clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._windows: dict[str, _Window] = {}
        self.set(quotas)

    def set(self, quotas: Iterable[Quota]) -> None:
        with self._lock:
            self._windows = {quota.bucket: _Window(quota) for quota in quotas}

    def quotas(self) -> tuple[Quota, ...]:
        with self._lock:
            return tuple(window.quota for window in self._windows.values())

    def take(self, route: str) -> tuple[Refusal | None, dict[str, str]]:
        """Use one request of each of `route`'s buckets, or refuse it (using none).

        Returns the refusal, if any, and the RateLimit headers to send: those of the bucket that
        refused, else of the bucket with the fewest requests left.
        """
        with self._lock:
            now = self._clock()
            windows = [self._windows[b] for b in buckets_of(route) if b in self._windows]
            if not windows:
                return None, {}
            for window in windows:
                window.roll(now)
            full = next((w for w in windows if w.remaining() == 0), None)
            if full is not None:
                full.refused += 1
                quota, reset = full.quota, full.reset_s(now)
                if quota.bucket == "commits":
                    message = COMMIT_QUOTA_MESSAGE
                else:
                    message = (
                        f"Too many requests: the {quota.bucket!r} rate limit is {quota.limit}"
                        f" per {quota.window_s} s; retry in {reset} s"
                    )
                headers = {"Retry-After": str(reset), **full.headers(now)}
                return Refusal(message, headers), headers
            for window in windows:
                window.used += 1
            tightest = min(windows, key=lambda w: w.remaining())
            return None, tightest.headers(now)

    def to_json(self) -> dict[str, Any]:
        """Use per bucket, for GET /_admin/counters."""
        with self._lock:
            now = self._clock()
            result: dict[str, Any] = {}
            for bucket, window in self._windows.items():
                if window.start != -math.inf:  # a window starts with its first request
                    window.roll(now)
                result[bucket] = {
                    "limit": window.quota.limit,
                    "window_s": window.quota.window_s,
                    "used": window.used,
                    "remaining": window.remaining(),
                    "reset_s": window.reset_s(now),
                    "refused": window.refused,
                }
            return result
