"""One Apache Kafka node in KRaft combined mode (broker + controller), run from Maven jars."""

from __future__ import annotations

import base64
import shutil
import subprocess
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from string import Template

from kafka import KafkaAdminClient
from kafka.errors import KafkaError

from hub.settings import REPO_ROOT, Settings
from hub.stack._exceptions import NotReady
from hub.stack._maven import copy_dependencies
from hub.stack._process import ManagedProcess, port_open
from hub.stack._security import (
    SUPER_USERS,
    ensure_passwords,
    ensure_tls_files,
    provision,
    scram_format_args,
)
from hub.stack._tls import write_private

INFRA = REPO_ROOT / "infra" / "kafka"
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
    def secure_address(self) -> str:
        return f"{self.settings.kafka_host}:{self.settings.kafka_secure_port}"

    def _write_config(self) -> Path:
        config = self.home / "server.properties"
        tls = ensure_tls_files(self.settings)
        text = Template((INFRA / "server.properties.template").read_text()).substitute(
            host=self.settings.kafka_host,
            port=self.settings.kafka_port,
            secure_port=self.settings.kafka_secure_port,
            controller_port=self.settings.kafka_controller_port,
            data_dir=self.home / "data",
            keystore=tls.keystore,
            keystore_password=tls.keystore_password(),
            super_users=";".join(SUPER_USERS),
        )
        write_private(config, text.encode())  # it holds the keystore password
        return config

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
            ports=[
                (self.settings.kafka_host, self.settings.kafka_port),
                (self.settings.kafka_host, self.settings.kafka_secure_port),
                ("127.0.0.1", self.settings.kafka_controller_port),
            ],
        )

    def provision(
        self, on_progress: Callable[[str], None] = lambda _: None, *, wait_s: float = 0.0
    ) -> bool:
        """Bring the SCRAM users and ACLs of the running broker up to date, waiting up to
        ``wait_s`` for its secured listener; False (nothing done) when it has none (a broker
        started by an older version of this module keeps running as it was)."""
        deadline = time.monotonic() + wait_s
        while not port_open(self.settings.kafka_host, self.settings.kafka_secure_port):
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.25)
        provision(self.settings, on_progress)
        return True

    def is_ready(self) -> bool:
        if not port_open(self.settings.kafka_host, self.settings.kafka_port):
            return False
        try:
            admin = KafkaAdminClient(
                bootstrap_servers=self.address, request_timeout_ms=3000, client_id="dvchub-stack"
            )
        except KafkaError:
            return False
        try:
            return bool(admin.describe_cluster().get("brokers"))
        except KafkaError:
            return False
        finally:
            admin.close()
