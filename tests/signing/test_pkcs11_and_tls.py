"""A PKCS#11 signer and TLS in one thread: the signing processor signs with its token and then
reads Kafka over SASL_SSL (and asks a TSA) from the same thread.

While the demo moved to HTTPS, a TLS read on the thread that had provisioned a SoftHSM token and
signed with it failed once with an OpenSSL "no such engine" error left on that thread's error
queue (the demo now signs in a thread of its own). In isolation it does not happen: signing
with the token, a timestamp included, and then a TLS round trip in one fresh thread works, and
this test keeps it so for the processor's pattern."""

from __future__ import annotations

import socket
import ssl
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from hub.pki import CertificateAuthority, client_context
from signing import (
    LocalDocumentStore,
    SignatureLevel,
    Signed,
    SigningConfig,
    SigningService,
    SignRequest,
    TimestampConfig,
)
from signing.testing import SoftHSMToken, TestPKI


@pytest.fixture
def tls_echo(tmp_path: Path) -> Iterator[tuple[int, Path]]:
    """A TLS server on loopback that answers one line with the same line."""
    ca = CertificateAuthority.create(tmp_path, "echo")
    server_cert = ca.issue_server("echo-server")
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(server_cert.cert_file, server_cert.key_file)
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]

    def serve() -> None:
        with listener:
            connection, _ = listener.accept()
            with context.wrap_socket(connection, server_side=True) as tls:
                tls.sendall(tls.recv(1024))

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield port, ca.ca_file
    thread.join(timeout=10)


def test_a_tls_read_after_signing_with_the_token_in_the_same_thread(
    softhsm_token: SoftHSMToken,
    pki: TestPKI,
    store: LocalDocumentStore,
    pdf_bytes: bytes,
    tls_echo: tuple[int, Path],
) -> None:
    port, ca_file = tls_echo
    outcome: list[object] = []
    config = SigningConfig(
        softhsm_token.key_source(), pki.trust_config(), TimestampConfig(pki.tsa_url)
    )

    def sign_then_talk_tls() -> None:
        try:
            key = store.put(pdf_bytes)
            request = SignRequest("H12.34-0001", "doc-1", key, "application/pdf",
                                  SignatureLevel.PADES_B_T)  # fmt: skip
            signed = SigningService(config, store).sign_result(request)
            assert isinstance(signed, Signed), signed
            context = client_context(ca_file)
            with (
                socket.create_connection(("127.0.0.1", port), timeout=10) as raw,
                context.wrap_socket(raw, server_hostname="127.0.0.1") as tls,
            ):
                tls.sendall(b"ping\n")
                outcome.append(tls.recv(1024))
        except Exception as exc:  # the assertion below shows it
            outcome.append(exc)

    # A fresh thread: its error queue holds nothing but what opening the token leaves.
    thread = threading.Thread(target=sign_then_talk_tls)
    thread.start()
    thread.join(timeout=30)
    assert outcome == [b"ping\n"]
