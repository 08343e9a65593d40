"""A national portal that answers what the attacker says: the hub's intake polls it.

Logins succeed; every service call gets the reply set with ``serve``: whole, declared (a
Content-Length and then no body, the connection held open: a client that waits for the body
before judging the length gets nothing) or streamed (chunked, one chunk past ``limit`` and no
end). A raw socket server framed by h11, so nothing is tidied up on the way.
"""

from __future__ import annotations

import json
import socket
import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import h11

from connectors.national._transport import LOGIN_PATH
from tests.security._attack import ANSWER_TIMEOUT_S, Probe

CHUNK = 16 * 1024
TOKEN_LIFETIME_S = 3600


@dataclass
class Reply:
    probe: Probe
    mode: str = "whole"  # whole | declared | streamed
    limit: int = 0


class HostilePortal:
    def __init__(self) -> None:
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self._listener.getsockname()[1]}"
        self.reply = Reply(Probe())
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._accept, name="hostile-portal", daemon=True)
        self._thread.start()

    def serve(self, probe: Probe, mode: str = "whole", limit: int = 0) -> None:
        self.reply = Reply(probe, mode, limit)

    def close(self) -> None:
        self._stop.set()
        self._listener.close()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                sock, _ = self._listener.accept()
            except OSError:
                return
            threading.Thread(target=self._handle, args=(sock,), daemon=True).start()

    def _handle(self, sock: socket.socket) -> None:
        sock.settimeout(ANSWER_TIMEOUT_S * 2)
        connection = h11.Connection(h11.SERVER)
        try:
            target = self._read_request(sock, connection)
            if target == LOGIN_PATH:
                self._send_whole(sock, connection, Probe(body=_login_reply()))
            elif self.reply.mode == "whole":
                self._send_whole(sock, connection, self.reply.probe)
            else:
                self._send_partial(sock, connection, self.reply)
        except (OSError, h11.ProtocolError):
            pass  # the client hung up: what a refusing client does
        finally:
            sock.close()

    def _read_request(self, sock: socket.socket, connection: h11.Connection) -> str:
        target = ""
        while True:
            event = connection.next_event()
            if event is h11.NEED_DATA:
                connection.receive_data(sock.recv(65536))
            elif isinstance(event, h11.Request):
                target = bytes(event.target).decode()
            elif isinstance(event, h11.EndOfMessage | h11.ConnectionClosed):
                return target

    def _send_whole(self, sock: socket.socket, connection: h11.Connection, probe: Probe) -> None:
        headers = [("Content-Type", "application/json"), ("Content-Length", str(len(probe.body))),
                   ("Connection", "close")]  # fmt: skip
        sock.sendall(connection.send(h11.Response(status_code=probe.status, headers=headers))
                     or b"")  # fmt: skip
        sock.sendall(connection.send(h11.Data(data=probe.body)) or b"")
        sock.sendall(connection.send(h11.EndOfMessage()) or b"")

    def _send_partial(self, sock: socket.socket, connection: h11.Connection, reply: Reply) -> None:
        probe = reply.probe
        framing = (("Content-Length", str(len(probe.body))) if reply.mode == "declared"
                   else ("Transfer-Encoding", "chunked"))  # fmt: skip
        headers = [("Content-Type", "application/json"), framing]
        sock.sendall(connection.send(h11.Response(status_code=probe.status, headers=headers))
                     or b"")  # fmt: skip
        sent = 0
        while reply.mode == "streamed" and sent <= reply.limit:
            sock.sendall(connection.send(h11.Data(data=b" " * CHUNK)) or b"")
            sent += CHUNK
        # Hold the connection, no end: the client must refuse on what it has.
        while not self._stop.is_set() and sock.recv(65536):
            pass


def _login_reply() -> bytes:
    expires = datetime.now(UTC) + timedelta(seconds=TOKEN_LIFETIME_S)
    return json.dumps({
        "error_code": "0", "message": "OK", "session_token": "hostile-token",
        "expires_in": TOKEN_LIFETIME_S, "expires_at": f"{expires:%Y%m%d%H%M%S}",
    }).encode()  # fmt: skip
