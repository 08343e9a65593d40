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
    render_server_properties,
)
from hub.stack._tls import ensure_tls, write_private

SERVER_PROPERTIES = "server.properties"
BROKER_CLIENT = "broker.properties"
ADMIN_CLIENT = "admin.properties"
#: What the broker process reads (with the folder itself): handed to ``owner_uid``.
BROKER_READS = (SERVER_PROPERTIES, "broker.p12", "ca.pem", BROKER_CLIENT, ADMIN_CLIENT)
_CA_NAME = "dvc-hub compose CA"


@dataclass(frozen=True)
class ContainerBroker:
    """A single-node broker in a container. ``hosts[0]`` is the name the other containers use
    (advertised by the SASL_SSL and INTERNAL listeners); every host is in its certificate.
    Paths are the container's: where it mounts the secrets folder, where its log lives."""

    hosts: tuple[str, ...]
    port: int = 9092
    controller_port: int = 9093
    internal_port: int = 9094
    bind_host: str = "0.0.0.0"  # noqa: S104 (other containers connect: the compose network)
    secrets_mount: str = "/etc/kafka/secrets"
    data_dir: str = "/var/lib/kafka/data"

    def __post_init__(self) -> None:
        if not self.hosts:
            raise ValueError("a broker in a container needs a host name (--host)")

    @property
    def listeners(self) -> BrokerListeners:
        """Clients and INTERNAL on ``bind_host``, advertised as ``hosts[0]`` (the provisioning
        container logs in on INTERNAL); CONTROLLER on loopback."""
        host = self.hosts[0]
        return BrokerListeners(
            client_bind=self.bind_host,
            client_advertised=host,
            port=self.port,
            internal_bind=self.bind_host,
            internal_advertised=host,
            internal_port=self.internal_port,
            controller_port=self.controller_port,
        )


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
    server = render_server_properties(broker.listeners, secrets, data_dir=data_dir)
    _write_if_changed(folder / SERVER_PROPERTIES, server)
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
            for path in (folder, *(folder / name for name in BROKER_READS)):
                os.chown(path, owner_uid, -1)
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
