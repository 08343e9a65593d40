"""The broker's ``server.properties``, rendered from ``infra/kafka/server.properties.template``.

One template and one rendering for both brokers the project runs: the local stack's
(``hub.stack._kafka``: every listener on loopback or ``DVC_KAFKA_HOST``, paths under the stack
home) and docker-compose's (``hub.stack._container``: listeners on the compose network, paths as
the broker container sees them). Only hosts, ports, paths and the node's place in its cluster
(``Quorum``) differ, so a security setting changed in the template reaches both. A single node
renders exactly as it did before clusters existed (a running broker is not restarted for it).
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
class Quorum:
    """This node's place in its cluster: its id, every voter of the KRaft metadata quorum as
    ``(node id, host, controller port)``, and the copies the cluster keeps. No voters: a single
    node, its own and only voter."""

    node_id: int = 1
    voters: tuple[tuple[int, str, int], ...] = ()
    replication_factor: int = 1
    min_insync_replicas: int = 1

    def lines(self, controller_port: int) -> dict[str, str]:
        if len(self.voters) <= 1:
            return {
                "node_note": "# One KRaft node in combined mode (broker + controller) for a "
                "single machine.",
                "node_id": str(self.node_id),
                "quorum_voters": f"{self.node_id}@127.0.0.1:{controller_port}",
                "replication_note": "# A single node: every internal topic has one replica.",
                "replication_factor": str(self.replication_factor),
                "min_insync_replicas": str(self.min_insync_replicas),
            }
        n, rf, isr = len(self.voters), self.replication_factor, self.min_insync_replicas
        return {
            "node_note": f"# Node {self.node_id} of {n} KRaft nodes in combined mode (broker + "
            f"controller), each a voter of the metadata quorum: losing one leaves a majority.",
            "node_id": str(self.node_id),
            "quorum_voters": ",".join(f"{i}@{host}:{port}" for i, host, port in self.voters),
            "replication_note": f"# {n} nodes: topics made without a replication factor (Kafka's "
            f"own, faust's) get {rf} replicas;\n# an acks=all write is refused "
            f"(NotEnoughReplicas) rather than kept on fewer than {isr} of them.\n"
            f"default.replication.factor={rf}\nmin.insync.replicas={isr}",
            "replication_factor": str(rf),
            "min_insync_replicas": str(isr),
        }


@dataclass(frozen=True)
class BrokerListeners:
    """Where each listener binds and what it advertises. CONTROLLER is on loopback unless the
    voters are on other machines (containers)."""

    client_bind: str
    client_advertised: str
    port: int
    internal_bind: str
    internal_advertised: str
    internal_port: int
    controller_port: int
    plaintext_port: int | None = None
    controller_bind: str = "127.0.0.1"

    def ports(self) -> list[tuple[str, int]]:
        """The (host, port) each listener accepts on, as a client on this machine reaches it."""
        ports = [
            (self._reachable(self.client_bind), self.port),
            (self._reachable(self.internal_bind), self.internal_port),
            (self._reachable(self.controller_bind), self.controller_port),
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
    listeners: BrokerListeners,
    secrets: BrokerSecrets,
    *,
    data_dir: PurePath,
    quorum: Quorum | None = None,
) -> str:
    """The broker's configuration (a single node without ``quorum``); it holds passwords:
    write it 0600, never log it."""
    return Template(TEMPLATE.read_text()).substitute(
        **(quorum or Quorum()).lines(listeners.controller_port),
        controller_bind=listeners.controller_bind,
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
