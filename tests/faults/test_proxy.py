"""The fault suite's partner proxy, on loopback sockets (no broker): down refuses and cuts,
up listens again on the same port, slow holds a reply until the client gives up or it is
released."""

from __future__ import annotations

import socket
import socketserver
import threading
from collections.abc import Iterator

import pytest

from dvchub.simulate._faults_proxy import PartnerProxy

#: Seconds a client waits for a reply in these tests (the proxy holds it longer when slow).
CLIENT_TIMEOUT_S = 1.0


class _Echo(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        while data := self.request.recv(1024):
            self.server.seen.append(data)  # type: ignore[attr-defined]
            self.request.sendall(data.upper())


@pytest.fixture
def proxy() -> Iterator[tuple[PartnerProxy, list[bytes]]]:
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _Echo)
    server.daemon_threads = True
    server.seen = []  # type: ignore[attr-defined]
    threading.Thread(target=server.serve_forever, daemon=True).start()
    port = server.server_address[1]
    made, url = PartnerProxy.before("echo", f"http://127.0.0.1:{port}/path")
    assert url == f"http://127.0.0.1:{made.port}/path"
    try:
        yield made, server.seen  # type: ignore[attr-defined]
    finally:
        made.close()
        server.shutdown()
        server.server_close()


def _call(proxy: PartnerProxy, data: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", proxy.port), timeout=CLIENT_TIMEOUT_S) as sock:
        sock.sendall(data)
        return sock.recv(1024)


def test_it_forwards_then_refuses_while_down_then_forwards_again(
    proxy: tuple[PartnerProxy, list[bytes]],
) -> None:
    made, seen = proxy
    assert _call(made, b"one") == b"ONE"
    open_one = socket.create_connection(("127.0.0.1", made.port), timeout=CLIENT_TIMEOUT_S)
    made.down()
    with pytest.raises(ConnectionRefusedError):
        _call(made, b"two")
    # an open connection is cut too: a partner that went away
    try:
        open_one.sendall(b"late")
        answer = open_one.recv(1024)
    except ConnectionResetError:
        answer = b""
    finally:
        open_one.close()
    assert answer == b""
    made.up()
    assert _call(made, b"three") == b"THREE"
    assert b"two" not in seen


def test_slow_holds_the_reply_past_the_clients_timeout_the_partner_did_the_work(
    proxy: tuple[PartnerProxy, list[bytes]],
) -> None:
    made, seen = proxy
    made.slow()
    with pytest.raises(TimeoutError):
        _call(made, b"held")
    assert seen == [b"held"]  # applied at the partner: a retry must be deduplicated there
    with socket.create_connection(("127.0.0.1", made.port), timeout=CLIENT_TIMEOUT_S * 5) as sock:
        sock.sendall(b"released")
        threading.Timer(CLIENT_TIMEOUT_S / 2, made.fast).start()
        assert sock.recv(1024) == b"RELEASED"
