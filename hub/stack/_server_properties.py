"""The broker's ``server.properties``, rendered from ``infra/kafka/server.properties.template``.

One template and one rendering for both brokers the project runs: the local stack's
(``hub.stack._kafka``: every listener on loopback or ``DVC_KAFKA_HOST``, paths under the stack
home) and docker-compose's (``hub.stack._container``: listeners on the compose network, paths as
the broker container sees them). Only hosts, ports and paths differ, so a security setting
changed in the template reaches both.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import PurePath
from string import Template

from hub.settings import REPO_ROOT
from hub.stack._acls import ADMIN, principal

INFRA = REPO_ROOT / "infra" / "kafka"
TEMPLATE = INFRA / "server.properties.template"

#: The broker's own principals (SASL PLAIN on the INTERNAL and CONTROLLER listeners).
BROKER, CONTROLLER = "broker", "controller"
SUPER_USERS = (principal(ADMIN), principal(BROKER), principal(CONTROLLER))


@dataclass(frozen=True)
class BrokerListeners:
    """Where each listener binds and what it advertises. CONTROLLER is always on loopback: a
    single node in combined mode is its own and only voter."""

    client_bind: str
    client_advertised: str
    port: int
    internal_bind: str
    internal_advertised: str
    internal_port: int
    controller_port: int
    plaintext_port: int | None = None

    def ports(self) -> list[tuple[str, int]]:
        """The (host, port) each listener accepts on, as a client on this machine reaches it."""
        ports = [
            (self._reachable(self.client_bind), self.port),
            (self._reachable(self.internal_bind), self.internal_port),
            ("127.0.0.1", self.controller_port),
        ]
        if self.plaintext_port is not None:
            ports.append(("127.0.0.1", self.plaintext_port))
        return ports

    @staticmethod
    def _reachable(bind: str) -> str:
        return "127.0.0.1" if bind == "0.0.0.0" else bind  # noqa: S104 (a bind address read)

    def plaintext_lines(self) -> dict[str, str]:
        """The optional PLAINTEXT loopback listener's lines (``DVC_KAFKA_PLAINTEXT_PORT``)."""
        port = self.plaintext_port
        if port is None:
            return {"plaintext_listener": "", "plaintext_advertised": "",
                    "plaintext_listener_note": "No PLAINTEXT listener."}  # fmt: skip
        return {
            "plaintext_listener": f",PLAINTEXT://127.0.0.1:{port}",
            "plaintext_advertised": f",PLAINTEXT://127.0.0.1:{port}",
            "plaintext_listener_note": f"PLAINTEXT on 127.0.0.1:{port} (DVC_KAFKA_PLAINTEXT_PORT, "
            "the TLS+SASL cost benchmark): User:ANONYMOUS, granted nothing by default.",
        }


@dataclass(frozen=True)
class BrokerSecrets:
    """What ``server.properties`` holds besides addresses: the keystore (as a path the broker
    reads), its password and the broker's own two PLAIN passwords. ``repr`` shows no secret."""

    keystore: PurePath
    keystore_password: str
    broker_password: str
    controller_password: str

    def __repr__(self) -> str:
        return f"BrokerSecrets(keystore={str(self.keystore)!r}, passwords=[redacted])"


def render_server_properties(
    listeners: BrokerListeners, secrets: BrokerSecrets, *, data_dir: PurePath
) -> str:
    """The broker's configuration; it holds passwords: write it 0600, never log it."""
    return Template(TEMPLATE.read_text()).substitute(
        client_bind=listeners.client_bind,
        client_advertised=listeners.client_advertised,
        port=listeners.port,
        internal_bind=listeners.internal_bind,
        internal_advertised=listeners.internal_advertised,
        internal_port=listeners.internal_port,
        controller_port=listeners.controller_port,
        **listeners.plaintext_lines(),
        broker_password=secrets.broker_password,
        controller_password=secrets.controller_password,
        data_dir=data_dir,
        keystore=secrets.keystore,
        keystore_password=secrets.keystore_password,
        super_users=";".join(SUPER_USERS),
    )
