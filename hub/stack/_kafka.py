"""One Apache Kafka node in KRaft combined mode (broker + controller), run from Maven jars.

A stack of one node (``DVC_KAFKA_BROKERS`` = 1, the default) is ``kafka`` under the stack home,
as it always was. A stack of N is ``kafka-1`` .. ``kafka-N``: each its own data directory, log,
pid file and ports (the first node's + ``NODE_PORT_STEP`` * (k - 1)), all sharing the stack's
TLS files and passwords and one cluster id, every node a voter of the metadata quorum.
Combined mode on one machine: separate controller processes would add N JVMs to a machine whose
loss takes them all anyway; a cluster of machines runs dedicated controllers
(docs/production-kafka.md).
"""

from __future__ import annotations

import base64
import shutil
import subprocess
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from kafka.errors import KafkaError

from hub.settings import Settings
from hub.stack._exceptions import NotReady
from hub.stack._maven import copy_dependencies
from hub.stack._process import ManagedProcess, port_open
from hub.stack._security import (
    BrokerLogin,
    broker_admin,
    broker_passwords,
    ensure_passwords,
    ensure_tls_files,
    provision,
    scram_format_args,
)
from hub.stack._server_properties import (
    BROKER,
    CONTROLLER,
    INFRA,
    BrokerListeners,
    BrokerSecrets,
    Quorum,
    render_server_properties,
)
from hub.stack._tls import write_private

_JVM_OPTS = ["-Xms256m", "-Xmx1g", "-XX:+UseG1GC", "-Djava.awt.headless=true"]


def new_cluster_id() -> str:
    """A KRaft cluster id: a random UUID in URL-safe base64 without padding.

    Like Kafka's own ``Uuid.randomUuid()``, it never starts with '-': the storage tool's
    argument parser would take such an id for an option (about 1 start in 64).
    """
    while True:
        cluster_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        if not cluster_id.startswith("-"):
            return cluster_id


def node_name(node_id: int, nodes: int) -> str:
    """The node's process and folder name: ``kafka`` alone, ``kafka-<id>`` in a cluster."""
    return "kafka" if nodes == 1 else f"kafka-{node_id}"


@dataclass(frozen=True)
class KafkaNode:
    """Node ``node_id`` (1-based) of the ``settings.kafka_brokers`` nodes of the local stack."""

    settings: Settings
    node_id: int = 1

    @property
    def name(self) -> str:
        return node_name(self.node_id, self.settings.kafka_brokers)

    @property
    def home(self) -> Path:
        return self.settings.stack_home / self.name

    @property
    def process(self) -> ManagedProcess:
        return ManagedProcess(self.name, self.home)

    def _port(self, port: int) -> int:
        return self.settings.kafka_node_port(port, self.node_id)

    @property
    def address(self) -> str:
        return f"{self.settings.kafka_host}:{self._port(self.settings.kafka_port)}"

    @property
    def internal_address(self) -> str:
        return f"127.0.0.1:{self._port(self.settings.kafka_internal_port)}"

    @property
    def quorum(self) -> Quorum:
        s = self.settings
        voters = tuple(
            (n, "127.0.0.1", s.kafka_node_port(s.kafka_controller_port, n))
            for n in range(1, s.kafka_brokers + 1)
        )
        return Quorum(self.node_id, voters, s.replication_factor, s.min_insync_replicas)

    @property
    def libs(self) -> Path:
        """The jars, one copy for every node: the single node's folder holds them."""
        return self.settings.stack_home / node_name(1, 1) / "libs"

    def fetch(self) -> Path:
        return copy_dependencies(INFRA / "pom.xml", self.libs, marker=".fetched-3.9.1")

    @property
    def listeners(self) -> BrokerListeners:
        """Clients on ``DVC_KAFKA_HOST``; the broker's own listeners on loopback."""
        s = self.settings
        plaintext = s.kafka_plaintext_port
        return BrokerListeners(
            client_bind=s.kafka_host,
            client_advertised=s.kafka_host,
            port=self._port(s.kafka_port),
            internal_bind="127.0.0.1",
            internal_advertised="127.0.0.1",
            internal_port=self._port(s.kafka_internal_port),
            controller_port=self._port(s.kafka_controller_port),
            plaintext_port=None if plaintext is None else self._port(plaintext),
        )

    def config_current(self) -> bool:
        """Whether the running broker's ``server.properties`` is what these settings make."""
        config = self.home / "server.properties"
        return config.is_file() and config.read_text() == self._config_text()

    def _write_config(self) -> Path:
        config = self.home / "server.properties"
        write_private(config, self._config_text().encode())  # it holds passwords
        return config

    def _config_text(self) -> str:
        tls = ensure_tls_files(self.settings)
        internal = broker_passwords(self.settings)
        secrets = BrokerSecrets(
            keystore=tls.keystore,
            keystore_password=tls.keystore_password(),
            broker_password=internal[BROKER],
            controller_password=internal[CONTROLLER],
        )
        return render_server_properties(
            self.listeners, secrets, data_dir=self.home / "data", quorum=self.quorum
        )

    def _java(self, main_class: str, *args: str) -> list[str]:
        return [
            "java",
            *_JVM_OPTS,
            f"-Dlog4j.configuration=file:{INFRA / 'log4j.properties'}",
            "-cp",
            f"{self.libs}/*",
            main_class,
            *args,
        ]

    def _format_storage(self, config: Path) -> None:
        """Format the log directory once; a formatted directory keeps its cluster id."""
        if (self.home / "data" / "meta.properties").exists():
            return
        cluster_id = self._cluster_id()
        # Every principal exists from the first start (the admin must, to create the ACLs).
        users = scram_format_args(ensure_passwords(self.settings))
        result = subprocess.run(
            self._java(
                "kafka.tools.StorageTool", "format", "-t", cluster_id, "-c", str(config), *users
            ),
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0:
            output = result.stdout + result.stderr
            for credential in users[1::2]:  # should the tool echo one, it stays out of errors
                output = output.replace(credential, "--add-scram [redacted]")
            raise NotReady(f"kafka storage format failed:\n{output[-2000:]}")

    def _cluster_id(self) -> str:
        """A new id for a single node; a cluster's nodes share one, kept beside them."""
        if self.settings.kafka_brokers == 1:
            return new_cluster_id()
        path = self.settings.stack_home / "kafka-cluster.id"
        if not path.is_file():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(new_cluster_id())
        return path.read_text().strip()

    def reset(self) -> bool:
        """Remove the log directory (the node must be stopped); whether there was one.

        Only for a log whose schema ids no registry database backs (see ``LocalStack.up``)."""
        data = self.home / "data"
        if self.node_id == 1:  # the cluster is made anew: the others are reset with it
            (self.settings.stack_home / "kafka-cluster.id").unlink(missing_ok=True)
        if not data.exists():
            return False
        shutil.rmtree(data)
        return True

    def start(self) -> None:
        self.fetch()
        config = self._write_config()
        self._format_storage(config)
        self.process.start(
            self._java("kafka.Kafka", str(config)),
            cwd=self.home,
            ports=self.listeners.ports(),
        )

    def provision(self, on_progress: Callable[[str], None] = lambda _: None) -> None:
        """Bring the SCRAM users and ACLs of the running broker up to date."""
        provision(self.settings, on_progress)

    def is_ready(self) -> bool:
        """The node answers its own principal on its loopback INTERNAL listener, and counts
        itself among the cluster's unfenced brokers."""
        host, _, port = self.internal_address.partition(":")
        if not port_open(host, int(port)):
            return False
        login = BrokerLogin(self.internal_address, broker_passwords(self.settings)[BROKER])
        try:
            with broker_admin(login) as admin:
                brokers = admin.describe_cluster().get("brokers") or []
        except KafkaError:
            return False
        # Fenced: registered but not yet caught up with the metadata log, so not serving.
        return any(b.get("broker_id") == self.node_id and not b.get("is_fenced") for b in brokers)
