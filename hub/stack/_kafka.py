"""One Apache Kafka node in KRaft combined mode (broker + controller), run from Maven jars."""

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
    broker_passwords,
    ensure_passwords,
    ensure_tls_files,
    management_admin,
    provision,
    scram_format_args,
)
from hub.stack._server_properties import (
    BROKER,
    CONTROLLER,
    INFRA,
    BrokerListeners,
    BrokerSecrets,
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


@dataclass(frozen=True)
class KafkaNode:
    settings: Settings

    @property
    def home(self) -> Path:
        return self.settings.stack_home / "kafka"

    @property
    def process(self) -> ManagedProcess:
        return ManagedProcess("kafka", self.home)

    @property
    def address(self) -> str:
        return f"{self.settings.kafka_host}:{self.settings.kafka_port}"

    def fetch(self) -> Path:
        return copy_dependencies(INFRA / "pom.xml", self.home / "libs", marker=".fetched-3.9.1")

    @property
    def listeners(self) -> BrokerListeners:
        """Clients on ``DVC_KAFKA_HOST``; the broker's own listeners on loopback."""
        s = self.settings
        return BrokerListeners(
            client_bind=s.kafka_host,
            client_advertised=s.kafka_host,
            port=s.kafka_port,
            internal_bind="127.0.0.1",
            internal_advertised="127.0.0.1",
            internal_port=s.kafka_internal_port,
            controller_port=s.kafka_controller_port,
            plaintext_port=s.kafka_plaintext_port,
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
        return render_server_properties(self.listeners, secrets, data_dir=self.home / "data")

    def _java(self, main_class: str, *args: str) -> list[str]:
        return [
            "java",
            *_JVM_OPTS,
            f"-Dlog4j.configuration=file:{INFRA / 'log4j.properties'}",
            "-cp",
            f"{self.home / 'libs'}/*",
            main_class,
            *args,
        ]

    def _format_storage(self, config: Path) -> None:
        """Format the log directory once; a formatted directory keeps its cluster id."""
        if (self.home / "data" / "meta.properties").exists():
            return
        cluster_id = new_cluster_id()
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

    def reset(self) -> bool:
        """Remove the log directory (the node must be stopped); whether there was one.

        Only for a log whose schema ids no registry database backs (see ``LocalStack.up``)."""
        data = self.home / "data"
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
        """The broker answers its own principal on the loopback INTERNAL listener."""
        if not port_open("127.0.0.1", self.settings.kafka_internal_port):
            return False
        try:
            with management_admin(self.settings) as admin:
                return bool(admin.describe_cluster().get("brokers"))
        except KafkaError:
            return False
