"""A partner as the hub's outbox sees it through the network, with two faults: down and slow.

``PartnerProxy`` forwards TCP between the outbox and a partner's simulator, whatever the
protocol (SOAP, JSON, over TLS or not: the bytes pass through). ``down()`` closes its listener
and every open connection, so the outbox's calls are refused as by a partner that is off;
``up()`` listens again on the same port. ``slow()`` lets the requests through (the partner
does the work) but holds the replies until the client gives up (its own timeout, whatever it
is) or ``fast()`` releases them: a partner slowed past the outbox's timeout, whose retries
must be deduplicated by the idempotency key, not applied twice.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from urllib.parse import urlsplit, urlunsplit

from hub.net import free_port

#: Bytes read from a socket at a time.
CHUNK = 65536
#: How long a pump waits on a held reply before it looks again whether the client left.
HOLD_POLL_S = 0.2


class PartnerProxy:
    """Listens on a loopback port of its own and forwards to ``upstream`` (host, port)."""

    def __init__(self, name: str, upstream: tuple[str, int]) -> None:
        self.name = name
        self.upstream = upstream
        self.port = free_port()
        self._lock = threading.Lock()
        self._open: set[socket.socket] = set()
        self._listener: socket.socket | None = None
        self._released = threading.Event()
        self._released.set()
        self._closed = False

    @classmethod
    def before(cls, name: str, url: str) -> tuple[PartnerProxy, str]:
        """A proxy in front of the partner at ``url`` (started), and ``url`` through it."""
        parts = urlsplit(url)
        host = parts.hostname or "127.0.0.1"
        default = 443 if parts.scheme == "https" else 80
        proxy = cls(name, (host, parts.port or default))
        proxy.up()
        return proxy, urlunsplit(parts._replace(netloc=f"{host}:{proxy.port}"))

    # -- the faults ------------------------------------------------------------------------------
    def up(self) -> None:
        with self._lock:
            if self._listener is not None or self._closed:
                return
            listener = socket.create_server(("127.0.0.1", self.port), reuse_port=False)
            self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), name=f"proxy-{self.name}",
                         daemon=True).start()  # fmt: skip

    def down(self) -> None:
        """Refuse every new connection and cut the open ones."""
        with self._lock:
            listener, self._listener = self._listener, None
            cut, self._open = self._open, set()
        for sock in ([listener] if listener is not None else []) + list(cut):
            _close(sock)

    def slow(self) -> None:
        self._released.clear()

    def fast(self) -> None:
        self._released.set()

    def close(self) -> None:
        with self._lock:
            self._closed = True
        self.fast()
        self.down()

    # -- forwarding ------------------------------------------------------------------------------
    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return  # down() closed the listener
            try:
                server = socket.create_connection(self.upstream, timeout=10)
                server.settimeout(None)
            except OSError:
                _close(client)
                continue
            with self._lock:
                if self._listener is not listener:  # went down meanwhile
                    _close(client)
                    _close(server)
                    continue
                self._open |= {client, server}
            for source, sink, held in ((client, server, False), (server, client, True)):
                threading.Thread(target=self._pump, args=(source, sink, held),
                                 name=f"proxy-{self.name}-pump", daemon=True).start()  # fmt: skip

    def _pump(self, source: socket.socket, sink: socket.socket, held: bool) -> None:
        """Copy ``source`` to ``sink``; a reply (``held``) waits while the partner is slow, and
        is dropped with its connection if the client gives up meanwhile."""
        try:
            while data := source.recv(CHUNK):
                while held and not self._released.wait(HOLD_POLL_S):
                    if _gone(sink):
                        return
                sink.sendall(data)
        except OSError:
            pass  # either side closed, or down() cut it
        finally:
            with self._lock:
                self._open -= {source, sink}
            _close(source)
            _close(sink)


def _gone(sock: socket.socket) -> bool:
    """Whether the peer closed ``sock`` (a timed-out client), without consuming its data."""
    try:
        return sock.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT) == b""
    except BlockingIOError:
        return False
    except OSError:
        return True


def _close(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    with contextlib.suppress(OSError):
        sock.close()
