"""The session's TLS context: nothing loaded when it is made (a plain-HTTP local Hub never
needs it), and at its first handshake the very certificates httpcore trusts by default, with
certificates required and host names checked."""

from __future__ import annotations

import ssl

import httpcore2

from pipeline.hub._tls import DeferredTrust


def test_nothing_is_loaded_before_a_handshake() -> None:
    context = DeferredTrust()
    assert context.cert_store_stats()["x509_ca"] == 0
    assert context.verify_mode == ssl.CERT_REQUIRED
    assert context.check_hostname is True


def test_the_first_handshake_trusts_what_httpcore_trusts() -> None:
    context = DeferredTrust()
    context.wrap_bio(ssl.MemoryBIO(), ssl.MemoryBIO(), server_hostname="huggingface.co")
    expected = httpcore2.default_ssl_context()
    assert context.cert_store_stats() == expected.cert_store_stats()
    assert context.get_ca_certs() == expected.get_ca_certs()
    context.wrap_bio(ssl.MemoryBIO(), ssl.MemoryBIO(), server_hostname="huggingface.co")
    assert context.cert_store_stats() == expected.cert_store_stats()  # loaded once
