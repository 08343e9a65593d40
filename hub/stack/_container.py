"""A broker in a container (docker-compose): the secrets folder ``dvchub kafka secrets`` writes,
and the provisioning ``dvchub kafka provision`` runs against it.

Both reuse the local stack's code (``_tls``, ``_security``, ``_server_properties``): the same
CA and keystore, the same password files, the same ``server.properties`` template and the same
user and ACL provisioning; only the hosts, ports and paths are the container's. Layout of the
folder (0700 with ``users/`` 0700, every secret 0600, none ever printed)::

    ca.pem, ca.key, broker.p12, broker.p12.password   as the local stack's
    users/<name>.password   every principal of the ACL table, and ``broker`` and ``controller``
    server.properties       the broker's configuration
    broker.properties       ``broker``'s login on INTERNAL for Kafka's own tools: the compose
                            healthcheck, which must pass before any SCRAM user exists
    admin.properties        ``admin``'s login on the SASL_SSL listener for Kafka's own tools

The broker's image (apache/kafka) runs as uid 1000, not as whoever writes the folder (root, in
the one-shot compose service): with ``owner_uid`` the folder and what the broker reads become
that uid's. The CA key and ``users/`` stay the writer's: the broker reads neither (its own two
passwords are in ``server.properties``), and the hub's containers, which read ``users/``, run as
root.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from hub.kafka import java_login_properties
from hub.settings import replication_for
from hub.stack._acls import ADMIN, PRINCIPALS
from hub.stack._exceptions import SecretsFolderError
from hub.stack._security import (
    MECHANISM,
    BrokerLogin,
    Provisioned,
    ensure_password_files,
    provision_broker,
    read_password_files,
)
from hub.stack._server_properties import (
    BROKER,
    CONTROLLER,
    BrokerListeners,
    BrokerSecrets,
    Quorum,
    render_server_properties,
)
from hub.stack._tls import ensure_tls, write_private

SERVER_PROPERTIES = "server.properties"
#: A cluster's other nodes' configurations: ``nodes/<host>/server.properties`` (node 1's is
#: ``server.properties``, as a single broker's).
NODES = "nodes"
BROKER_CLIENT = "broker.properties"
ADMIN_CLIENT = "admin.properties"
#: What the broker process reads (with the folder itself): handed to ``owner_uid``.
BROKER_READS = (SERVER_PROPERTIES, "broker.p12", "ca.pem", BROKER_CLIENT, ADMIN_CLIENT)
_CA_NAME = "dvc-hub compose CA"


@dataclass(frozen=True)
class ContainerBroker:
    """A broker in a container. ``hosts[0]`` is the name the other containers use (advertised
    by the SASL_SSL and INTERNAL listeners); every host is in its certificate. Paths are the
    container's: where it mounts the secrets folder, where its log lives.

    ``voters``: the host names of a cluster's nodes, node 1 first (``hosts[0]``), each a voter
    of the metadata quorum with its CONTROLLER listener on the compose network; empty: a single
    node, its own voter on loopback. Every node uses the same ports, each in its container."""

    hosts: tuple[str, ...]
    port: int = 9092
    controller_port: int = 9093
    internal_port: int = 9094
    bind_host: str = "0.0.0.0"  # noqa: S104 (other containers connect: the compose network)
    secrets_mount: str = "/etc/kafka/secrets"
    data_dir: str = "/var/lib/kafka/data"
    voters: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not self.hosts:
            raise ValueError("a broker in a container needs a host name (--host)")
        if self.voters and self.voters[0] != self.hosts[0]:
            raise ValueError("the first voter is the broker itself: its first --host")
        if set(self.voters) - set(self.hosts):  # its certificate must name every node
            raise ValueError("every --voter must be a --host too")

    @property
    def listeners(self) -> BrokerListeners:
        return self.node_listeners(1)

    def node_listeners(self, node_id: int) -> BrokerListeners:
        """Clients and INTERNAL on ``bind_host``, advertised as the node's host (the
        provisioning container logs in on INTERNAL); CONTROLLER on loopback for a single node,
        beside them for a cluster's."""
        host = self.voters[node_id - 1] if self.voters else self.hosts[0]
        return BrokerListeners(
            client_bind=self.bind_host,
            client_advertised=host,
            port=self.port,
            internal_bind=self.bind_host,
            internal_advertised=host,
            internal_port=self.internal_port,
            controller_port=self.controller_port,
            controller_bind=self.bind_host if self.voters else "127.0.0.1",
        )

    def quorum(self, node_id: int = 1) -> Quorum:
        factor, in_sync = replication_for(len(self.voters) or 1)
        voters = tuple((n, host, self.controller_port) for n, host in enumerate(self.voters, 1))
        return Quorum(node_id, voters, factor, in_sync)

    def configurations(self) -> dict[str, int]:
        """Where (relative to the secrets folder) each node's ``server.properties`` goes."""
        others = {f"{NODES}/{host}/{SERVER_PROPERTIES}": n
                  for n, host in enumerate(self.voters, 1) if n > 1}  # fmt: skip
        return {SERVER_PROPERTIES: 1, **others}


def _digests(folder: Path) -> dict[str, str]:
    if not folder.is_dir():
        return {}
    return {
        str(path.relative_to(folder)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def _write_if_changed(path: Path, text: str) -> None:
    """Rewrite only a file whose content changes, so a second run leaves every file as it was."""
    data = text.encode()
    if path.is_file() and path.read_bytes() == data:
        path.chmod(0o600)
    else:
        write_private(path, data)


def _write(folder: Path, broker: ContainerBroker) -> None:
    tls = ensure_tls(folder, broker.hosts, ca_name=_CA_NAME)
    passwords = ensure_password_files(folder, (*PRINCIPALS, BROKER, CONTROLLER))
    mount = PurePosixPath(broker.secrets_mount)
    secrets = BrokerSecrets(
        keystore=mount / tls.keystore.name,
        keystore_password=tls.keystore_password(),
        broker_password=passwords[BROKER],
        controller_password=passwords[CONTROLLER],
    )
    data_dir = PurePosixPath(broker.data_dir)
    for path, node in broker.configurations().items():
        server = render_server_properties(
            broker.node_listeners(node), secrets, data_dir=data_dir, quorum=broker.quorum(node)
        )
        (folder / path).parent.mkdir(parents=True, exist_ok=True)
        _write_if_changed(folder / path, server)
    broker_login = java_login_properties("SASL_PLAINTEXT", "PLAIN", BROKER, passwords[BROKER], None)
    _write_if_changed(folder / BROKER_CLIENT, broker_login)
    ca = mount / tls.ca_file.name
    admin_login = java_login_properties("SASL_SSL", MECHANISM, ADMIN, passwords[ADMIN], ca)
    _write_if_changed(folder / ADMIN_CLIENT, admin_login)


def write_broker_secrets(
    folder: Path, broker: ContainerBroker, *, owner_uid: int | None = None
) -> list[str]:
    """Make what ``folder`` lacks for ``broker`` and keep what it has (a certificate that no
    longer names every host is reissued, ``server.properties`` follows the options); the files
    whose content changed, relative to ``folder`` (none on a second identical run)."""
    try:
        before = _digests(folder)
        _write(folder, broker)
        if owner_uid is not None:
            nodes = [folder / path for path in broker.configurations()]
            for path in (folder, *(folder / name for name in BROKER_READS), *nodes):
                os.chown(path, owner_uid, -1)
            for path in nodes:  # their folders too: each node's container mounts its own
                for parent in path.relative_to(folder).parents:
                    if parent != Path():
                        os.chown(folder / parent, owner_uid, -1)
        after = _digests(folder)
    except OSError as exc:
        raise SecretsFolderError(f"{folder}: {exc.strerror or exc} ({exc.filename})") from exc
    return [name for name, digest in after.items() if before.get(name) != digest]


def provision_from_secrets(internal: str, folder: Path, prefix: str) -> Provisioned:
    """Provision the broker whose INTERNAL listener is ``internal`` (``host:port``) from a
    secrets folder: every principal's SCRAM user from its password file, the ACL table under
    ``prefix``, logged in as ``broker``. The folder is only read: a missing password is an
    error, never made up (the services' containers could not know it)."""
    passwords = read_password_files(folder, (*PRINCIPALS, BROKER))
    login = BrokerLogin(internal, passwords.pop(BROKER))
    return provision_broker(login, passwords, prefix)
