"""A small Chrome DevTools Protocol client for the browser tests: Debian's headless chromium,
driven over its DevTools websocket (websocket-client). Nothing is downloaded: the browser is the
system's `chromium`."""

from __future__ import annotations

import base64
import itertools
import json
import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import websocket

# Flags that keep the browser from reaching the network on its own (updates, sync, first-run).
FLAGS = (
    "--headless",
    "--no-sandbox",  # CI runs as root, where chromium's sandbox cannot start
    "--disable-gpu",
    "--disable-dev-shm-usage",  # containers often have a small /dev/shm
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--disable-extensions",
    "--no-first-run",
    "--no-default-browser-check",
    "--mute-audio",
    "--remote-debugging-port=0",
)
STARTUP_SECONDS = 60  # a limit for the browser to answer, never an assertion


def chromium_path() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


@dataclass
class Page:
    """One browser tab attached over a flattened DevTools session; records what it sees."""

    socket: websocket.WebSocket
    session: str
    events: list[dict[str, Any]] = field(default_factory=list)
    _ids: Iterator[int] = field(default_factory=lambda: itertools.count(1000))

    def call(self, method: str, **params: Any) -> dict[str, Any]:
        return _call(self.socket, self.events, method, params, self.session, next(self._ids))

    def wait_for(self, method: str) -> dict[str, Any]:
        for event in self.events:
            if event.get("method") == method and event.get("sessionId") == self.session:
                return event
        while True:
            message: dict[str, Any] = json.loads(self.socket.recv())
            self.events.append(message)
            if message.get("method") == method and message.get("sessionId") == self.session:
                return message

    def evaluate(self, expression: str) -> Any:
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True)
        if "exceptionDetails" in result:
            raise AssertionError(f"evaluation failed: {result['exceptionDetails']}")
        return result["result"].get("value")

    def screenshot(self, clip: dict[str, float]) -> bytes:
        data = self.call(
            "Page.captureScreenshot",
            format="png",
            clip={**clip, "scale": 1},
            captureBeyondViewport=True,
        )["data"]
        return base64.b64decode(data)

    def of(self, method: str) -> list[dict[str, Any]]:
        return [e for e in self.events if e.get("method") == method]


def _call(
    socket: websocket.WebSocket,
    events: list[dict[str, Any]],
    method: str,
    params: dict[str, Any],
    session: str | None,
    ident: int,
) -> dict[str, Any]:
    message: dict[str, Any] = {"id": ident, "method": method, "params": params}
    if session is not None:
        message["sessionId"] = session
    socket.send(json.dumps(message))
    while True:
        answer = json.loads(socket.recv())
        if answer.get("id") == ident:
            if "error" in answer:
                raise AssertionError(f"{method}: {answer['error']}")
            return dict(answer.get("result", {}))
        events.append(answer)


@contextmanager
def open_page(profile: Path, width: int, height: int) -> Iterator[Page]:
    """Start chromium with a fresh profile in `profile`, open one tab of width x height."""
    binary = chromium_path()
    assert binary is not None, "chromium is not installed"
    process = subprocess.Popen(
        [binary, *FLAGS, f"--user-data-dir={profile}", f"--window-size={width},{height}"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "DBUS_SESSION_BUS_ADDRESS": "disabled:"},
    )
    try:
        port_file = profile / "DevToolsActivePort"
        deadline = time.monotonic() + STARTUP_SECONDS
        while not port_file.exists() or len(port_file.read_text().splitlines()) < 2:
            if process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"chromium did not start (status {process.poll()})")
            time.sleep(0.05)
        port, path = port_file.read_text().splitlines()[:2]
        socket = websocket.create_connection(
            f"ws://127.0.0.1:{port}{path}", timeout=STARTUP_SECONDS, suppress_origin=True
        )
        try:
            events: list[dict[str, Any]] = []
            target = _call(socket, events, "Target.createTarget", {"url": "about:blank"}, None, 1)
            attached = _call(
                socket,
                events,
                "Target.attachToTarget",
                {"targetId": target["targetId"], "flatten": True},
                None,
                2,
            )
            page = Page(socket, attached["sessionId"], events)
            for domain in ("Page", "Runtime", "Log", "Network"):
                page.call(f"{domain}.enable")
            page.call(
                "Emulation.setDeviceMetricsOverride",
                width=width,
                height=height,
                deviceScaleFactor=1,
                mobile=False,
            )
            yield page
        finally:
            socket.close()
    finally:
        process.terminate()
        try:
            process.wait(timeout=STARTUP_SECONDS)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
