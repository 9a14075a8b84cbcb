"""Unit tests open no socket: while `no_sockets` is active, connect and bind raise.

SocketInUnitTest derives from BaseException so that code under test catching `Exception` or
`OSError` (a retry loop, an "is the Hub reachable?" check) cannot turn the refusal into a pass.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

REFUSED = ("connect", "connect_ex", "bind")


class SocketInUnitTest(BaseException):
    """A unit test tried to open a socket."""


@contextmanager
def no_sockets(test: str) -> Iterator[None]:
    saved = {name: getattr(socket.socket, name) for name in REFUSED}

    def refuse(name: str) -> Any:
        def refused(sock: socket.socket, address: object, *args: object) -> None:
            raise SocketInUnitTest(
                f"{test}: socket.{name}({address!r}) in a unit test; a test that needs the"
                " network is an integration test: @pytest.mark.integration, or put it under"
                " tests/integration/"
            )

        return refused

    for name in REFUSED:
        setattr(socket.socket, name, refuse(name))
    try:
        yield
    finally:
        for name, method in saved.items():
            setattr(socket.socket, name, method)
