"""Choosing the Hub to talk to: `--hub` and the environment, and the URL checks (no client here).

The Hub's identity for the local cache (Target.cache_key) is what its data belongs to:

- a real Hub: its URL;
- the embedded local Hub: its store's folder (its URL is a new port every run);
- a served local Hub (`nb-release hub serve --root DIR`) reached at a loopback URL with
  `--hub-root DIR`: the same store's folder. Its port is whatever it was started on, so the URL
  would make every warm plan cold after a restart (a read per repo instead of the listing); the
  folder is the store itself, and the embedded Hub opened on it has the same key, since it is the
  same data. nb-release already trusts `--hub-root` with a loopback URL as that Hub's store (it
  reads its token file, made once per store); it is taken only when DIR holds a store (a token
  file). Without `--hub-root`, a loopback URL is keyed by its URL, as any Hub.

Why not an instance id the local Hub answers in a header: a plan reads the cache before its
first request (the renders' known-same heads, a commit's README), so the key must be known
before any answer; a header would cost a request of its own or reorder every cache read behind
the listing. And a wrong key cannot change an answer that is keyed by a commit sha (README,
files and history at a sha, nb-release's own commit, the heads known to hold the render): those
hold on any Hub that has that commit. Only the collection record is not per commit, and it is
kept per store.
"""

from __future__ import annotations

import ipaddress
import os
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from pipeline.errors import HubError

LOCAL = "local"


@dataclass(frozen=True)
class Target:
    """Where to read and publish: a Hub URL and its token (never shown: repr hides it)."""

    url: str
    token: str | None = field(default=None, repr=False)
    local_root: Path | None = None  # set for the embedded local Hub (its URL dies with the run)
    store: Path | None = None  # a served local Hub's store (--hub-root with a loopback URL)

    @property
    def local(self) -> bool:
        return self.local_root is not None

    @property
    def cache_key(self) -> str:
        """The Hub's identity for the cache: the URL, or the local Hub's store (its URL changes
        whenever it is started again); see the module docstring."""
        store = self.local_root or self.store
        return f"local:{store.resolve()}" if store else self.url

    @property
    def display(self) -> str:
        return f"the local Hub in {self.local_root}/" if self.local_root else self.url


def resolve_spec(spec: str | None) -> str:
    """--hub, else NB_RELEASE_HUB, else HF_ENDPOINT (as for every huggingface_hub user), else
    'local'; a URL that carries credentials is refused."""
    resolved = spec or os.environ.get("NB_RELEASE_HUB") or os.environ.get("HF_ENDPOINT") or LOCAL
    if resolved != LOCAL:
        check_hub_url(resolved)
    return resolved


def check_hub_url(url: str) -> None:
    """Refuse a Hub URL with user info, a query or a fragment: places a token could hide.

    The message never repeats the URL's secret parts: a token belongs in HF_TOKEN or the
    client's token store, where nb-release never prints it.
    """
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018  # raises ValueError for a port that is not a number
    except ValueError:
        raise HubError(
            "--hub is not a valid URL", hint="use --hub local, or --hub https://huggingface.co"
        ) from None
    where = [
        name
        for name, present in (
            ("user name or password (user:pass@)", "@" in parts.netloc),
            ("query (?...)", bool(parts.query) or url.rstrip().endswith("?")),
            ("fragment (#...)", bool(parts.fragment)),
        )
        if present
    ]
    if where:
        host = parts.netloc.rpartition("@")[2]
        raise HubError(
            f"--hub {parts.scheme}://{host}{parts.path}: the URL carries a "
            f"{' and a '.join(where)}; nb-release refuses URLs that could hold a token",
            hint="pass the Hub URL alone (e.g. https://huggingface.co) and the token in HF_TOKEN",
        )


def is_loopback(url: str) -> bool:
    """The URL's host is this machine (localhost, 127.0.0.0/8, ::1)."""
    host = (urlsplit(url).hostname or "").lower()
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
