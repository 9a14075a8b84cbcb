"""Choosing the Hub to talk to: `--hub` and the environment, and the URL checks (no client here)."""

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

    @property
    def local(self) -> bool:
        return self.local_root is not None

    @property
    def cache_key(self) -> str:
        """The Hub's identity for the cache: the URL, or the embedded Hub's store (its URL
        changes from run to run)."""
        return f"local:{self.local_root.resolve()}" if self.local_root else self.url

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
