"""LocalHub (a server in a background thread, for tests and nb-release's embedded default) and
serve_forever (the foreground server of `nb-release hub serve`)."""

from __future__ import annotations

import ipaddress
import signal
import threading
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from types import FrameType, TracebackType
from typing import Any

from pipeline.errors import PipelineError
from pipeline.localhub.auth import Tokens, ensure_token_file
from pipeline.localhub.faults import Counters, FaultConfig, FaultPlan
from pipeline.localhub.quotas import Quota
from pipeline.localhub.server import HubServer
from pipeline.localhub.store import Store
from pipeline.localhub.views import Context


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


class LocalHub:
    """The local Hub on `host:port` (0: a free port), storing under `root`; a context manager."""

    def __init__(
        self,
        root: Path,
        host: str = "127.0.0.1",
        port: int = 0,
        faults: FaultConfig | None = None,
        allow_non_loopback: bool = False,
        *,
        page_size: int | None = None,
        quotas: Iterable[Quota] = (),
    ) -> None:
        if not is_loopback(host) and not allow_non_loopback:
            raise PipelineError(
                f"the local Hub binds to loopback only, not {host!r}",
                hint="use 127.0.0.1, or pass --allow-non-loopback if you mean it",
            )
        if page_size is not None and page_size < 1:
            raise PipelineError(f"page_size must be at least 1, got {page_size}")
        self.root = Path(root)
        self.host, self.port = host, port
        self.page_size = page_size
        self.token_file = ensure_token_file(self.root)
        self._tokens = Tokens(self.token_file)
        self._faults = faults
        self._quotas = tuple(quotas)
        self._counters = Counters()
        self._server: HubServer | None = None
        self._thread: threading.Thread | None = None
        self._store: Store | None = None

    @property
    def token(self) -> str:
        """The first token of the token file (for in-process callers; never print it)."""
        return self._tokens.first()

    @property
    def url(self) -> str:
        return self._running().base_url

    @property
    def counters(self) -> Counters:
        return self._server.counters if self._server else self._counters

    @property
    def store(self) -> Store:
        if self._store is None:
            raise PipelineError("the local Hub is not started")
        return self._store

    def _running(self) -> HubServer:
        if self._server is None:
            raise PipelineError("the local Hub is not started")
        return self._server

    def set_faults(self, faults: FaultConfig | None) -> None:
        """Replace latency and faults on the running server (None: all off)."""
        self._faults = faults
        if self._server is not None:
            self._server.fault_plan = FaultPlan(faults)

    def set_quotas(self, quotas: Iterable[Quota]) -> None:
        """Replace the rate limits on the running server (empty: none); windows start afresh."""
        self._quotas = tuple(quotas)
        if self._server is not None:
            self._server.quotas.set(self._quotas)

    def quota_use(self) -> dict[str, Any]:
        """Per bucket: limit, window_s, used, remaining, reset_s, refused (as /_admin/counters)."""
        return self._running().quotas.to_json()

    def start(self) -> LocalHub:
        if self._server is not None:
            return self
        self._store = Store(self.root)
        ctx = Context(self._store, self._tokens, self.page_size)
        try:
            server = HubServer(
                (self.host.strip("[]"), self.port),
                ctx,
                self._faults,
                ":" in self.host,
                self._quotas,
            )
        except OSError as error:
            self._store.close()
            self._store = None
            raise PipelineError(f"cannot listen on {self.host}:{self.port}: {error}") from None
        server.counters = self._counters
        self._server = server
        # stop()'s shutdown() waits for the serving loop's next poll: 10 ms, not 100 ms, per stop.
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.01},
            name="localhub",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        server, thread, store = self._server, self._thread, self._store
        if server is None:
            return
        server.shutdown()  # stop accepting
        server.end_idle_connections()
        server.server_close()  # waits for requests in flight
        if thread is not None:
            thread.join()
        if store is not None:
            store.close()
        self._server = self._thread = self._store = None

    def seed(
        self,
        repo_id: str,
        files: Mapping[str, bytes | str],
        *,
        private: bool = False,
        message: str = "Seed files",
    ) -> str:
        """Create a repo (if needed) and commit `files` to main, bypassing HTTP (test setup)."""
        return self.store.seed(repo_id, files, private=private, message=message)

    def __enter__(self) -> LocalHub:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def serve_forever(
    root: Path,
    host: str,
    port: int,
    faults: FaultConfig | None,
    allow_non_loopback: bool,
    announce: Callable[[str], None],
    quotas: Iterable[Quota] = (),
) -> None:
    """Serve in the foreground until Ctrl-C (or SIGTERM); announce the URL and the token file."""
    hub = LocalHub(root, host, port, faults, allow_non_loopback, quotas=quotas)
    stop = threading.Event()
    previous = None
    if threading.current_thread() is threading.main_thread():

        def on_term(signum: int, frame: FrameType | None) -> None:
            stop.set()

        previous = signal.signal(signal.SIGTERM, on_term)
    try:
        with hub:
            announce(f"Local Hub serving at {hub.url}")
            announce(f"Token file: {hub.token_file} (use its token as HF_TOKEN for writes)")
            while not stop.wait(0.5):
                pass
    except KeyboardInterrupt:
        pass  # Ctrl-C is the normal way out; the `with` has stopped the server and closed the DB
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
