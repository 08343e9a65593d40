"""Reaching an HTTP endpoint the way an attacker would: httpx for whole requests, a raw socket
(framed and parsed by h11) for a body declared but never sent, or streamed past the limit."""

from __future__ import annotations

import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

import h11
import httpx

from tests.api._contract import Endpoint
from tests.security._attack import ANSWER_TIMEOUT_S, Answer, Probe

#: Bytes per chunk of a streamed body.
CHUNK = 16 * 1024


def probe_of(endpoint: Endpoint, headers: dict[str, str] | None = None) -> Probe:
    """The request ``endpoint`` stands for (query string, multipart files encoded), as bytes."""
    files = endpoint.files() if endpoint.files is not None else None
    request = httpx.Request(endpoint.method, f"http://hub{endpoint.path}", params=endpoint.params,
                            files=files, headers=headers or {})  # fmt: skip
    body = request.read()
    wanted = {
        k: v for k, v in request.headers.items() if k.lower() not in ("host", "content-length")
    }
    target = request.url.raw_path.decode()
    return Probe(endpoint.method, target, wanted, body)


@dataclass(frozen=True)
class HttpTarget:
    """An endpoint served at ``base_url`` (uvicorn on loopback)."""

    base_url: str

    def send(self, probe: Probe) -> Answer:
        try:
            answer = httpx.request(
                probe.method, f"{self.base_url}{probe.path}", headers=dict(probe.headers),
                content=probe.body or None, timeout=ANSWER_TIMEOUT_S,
            )  # fmt: skip
        except httpx.TimeoutException:
            return Answer(None, f"no answer within {ANSWER_TIMEOUT_S} s")
        return Answer(
            answer.status_code, answer.text, {k.lower(): v for k, v in answer.headers.items()}
        )

    def send_declared(self, probe: Probe) -> Answer:
        head = [*probe.headers.items(), ("Content-Length", str(len(probe.body)))]
        with self._connect() as sock:
            connection = h11.Connection(h11.CLIENT)
            sock.sendall(connection.send(self._request(probe, head)) or b"")
            return _read_answer(sock, connection)

    def send_streamed(self, probe: Probe, limit: int) -> Answer:
        head = [*probe.headers.items(), ("Transfer-Encoding", "chunked")]
        with self._connect() as sock:
            connection = h11.Connection(h11.CLIENT)
            sock.sendall(connection.send(self._request(probe, head)) or b"")
            sent = 0
            try:
                # One chunk past the limit and no end: the endpoint must refuse on what it has.
                while sent <= limit:
                    chunk = (probe.body[sent : sent + CHUNK] or b"x" * CHUNK)[:CHUNK]
                    sock.sendall(connection.send(h11.Data(data=chunk)) or b"")
                    sent += len(chunk)
            except (BrokenPipeError, ConnectionResetError):
                pass  # refused and closed while we were still sending: read the answer
            return _read_answer(sock, connection)

    def _request(self, probe: Probe, head: list[tuple[str, str]]) -> h11.Request:
        headers = [("Host", urlsplit(self.base_url).netloc), *head]
        return h11.Request(method=probe.method, target=probe.path, headers=headers)

    def _connect(self) -> socket.socket:
        parts = urlsplit(self.base_url)
        sock = socket.create_connection(
            (parts.hostname or "127.0.0.1", parts.port or 80), timeout=ANSWER_TIMEOUT_S
        )
        sock.settimeout(ANSWER_TIMEOUT_S)
        return sock


def _read_answer(sock: socket.socket, connection: h11.Connection) -> Answer:
    status: int | None = None
    headers: dict[str, str] = {}
    body = b""
    try:
        while True:
            event = connection.next_event()
            if event is h11.NEED_DATA:
                connection.receive_data(sock.recv(65536))
            elif isinstance(event, h11.Response):
                status = event.status_code
                headers = {bytes(k).decode().lower(): bytes(v).decode() for k, v in event.headers}
            elif isinstance(event, h11.Data):
                body += bytes(event.data)
            elif isinstance(event, h11.EndOfMessage | h11.ConnectionClosed):
                break
    except TimeoutError:
        return Answer(None, f"no answer within {ANSWER_TIMEOUT_S} s (status {status})")
    except ConnectionResetError:
        if status is None:
            return Answer(None, "connection reset before any answer")
    except h11.RemoteProtocolError as exc:
        return Answer(None, f"not HTTP: {exc}")
    return Answer(status, body.decode("utf-8", "replace"), headers)
