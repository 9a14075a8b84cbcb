"""The TLS context of the client's session, trusting the system's certificates from its first
handshake rather than from the moment the session is made.

Loading the certificate store costs 15 to 40 ms of CPU, and every command makes its session
before its first request: against the embedded local Hub (plain HTTP on loopback) no handshake
ever comes, and against the Hub it comes on a request's own thread. What is trusted is what
httpcore trusts by default (`SSL_CERT_FILE` / `SSL_CERT_DIR`, else OpenSSL's own paths, else a
known system bundle); certificates and host names are checked as ever.
"""

from __future__ import annotations

import os
import ssl
import threading
from typing import Any

_CA_FILES = (  # where the usual systems keep their bundle, when OpenSSL's own path has none
    "/etc/ssl/certs/ca-certificates.crt",
    "/etc/pki/tls/certs/ca-bundle.crt",
    "/etc/ssl/ca-bundle.pem",
    "/etc/pki/tls/cacert.pem",
    "/etc/ssl/cert.pem",
)


class DeferredTrust(ssl.SSLContext):
    """A TLS client context (certificates required, host names checked) that loads the trusted
    certificates before its first handshake, once."""

    def __new__(cls) -> DeferredTrust:
        return super().__new__(cls, ssl.PROTOCOL_TLS_CLIENT)

    def __init__(self) -> None:
        super().__init__()
        self._trust_lock = threading.Lock()
        self._trusted = False

    def trust(self) -> None:
        """Load the trusted certificates, if not done yet."""
        with self._trust_lock:
            if self._trusted:
                return
            cafile = os.environ.get("SSL_CERT_FILE")
            capath = os.environ.get("SSL_CERT_DIR")
            if not cafile and not capath:
                paths = ssl.get_default_verify_paths()
                cafile = paths.openssl_cafile if os.path.isfile(paths.openssl_cafile) else None
                capath = paths.openssl_capath if os.path.isdir(paths.openssl_capath) else None
                if not cafile and not capath:
                    cafile = next(filter(os.path.isfile, _CA_FILES), None)
            if cafile or capath:
                self.load_verify_locations(cafile, capath)
            self._trusted = True

    def wrap_socket(self, *args: Any, **kwargs: Any) -> ssl.SSLSocket:
        self.trust()
        return super().wrap_socket(*args, **kwargs)

    def wrap_bio(self, *args: Any, **kwargs: Any) -> ssl.SSLObject:
        self.trust()
        return super().wrap_bio(*args, **kwargs)
