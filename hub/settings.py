"""Typed configuration, read once from ``DVC_``-prefixed environment variables.

Defaults point at the local stack that ``dvchub stack up`` starts, so ``make run`` needs no
configuration. Partner secrets never appear in ``repr`` (``SecretStr``).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parent.parent
#: The ports of the local stack's node k are the first node's + NODE_PORT_STEP * (k - 1): the
#: client, controller and internal ports of one node (3 apart at most) never meet the next's.
NODE_PORT_STEP = 10


def replication_for(brokers: int) -> tuple[int, int]:
    """(replication factor, min.insync.replicas) for a cluster of ``brokers``: three copies at
    most (a fourth buys no durability a province needs, only traffic) and, from three, two in
    sync, so an acks=all write survives the loss of any one broker."""
    factor = min(3, brokers)
    return factor, 2 if factor >= 3 else 1


class Settings(BaseSettings):
    """Everything a dvc-hub process needs to find Kafka, the registry and its topics."""

    model_config = SettingsConfigDict(env_prefix="DVC_", frozen=True, extra="ignore")

    kafka_host: str = Field("127.0.0.1", description="Address the local broker listens on.")
    kafka_port: int = Field(
        19092, description="The local broker's client listener (SASL_SSL: SCRAM over TLS)."
    )
    kafka_controller_port: int = Field(
        19093, description="KRaft controller port of the local stack (loopback, SASL PLAIN)."
    )
    kafka_internal_port_override: int | None = Field(
        None,
        alias="DVC_KAFKA_INTERNAL_PORT",
        description="The local broker's own loopback listener (inter-broker and the stack's "
        "management, SASL PLAIN as the broker principal); default: the client port + 2 (19094).",
    )
    kafka_plaintext_port: int | None = Field(
        None,
        description="An unauthenticated loopback listener of the local stack, off unless set "
        "(the TLS+SASL cost benchmark compares against it). Its clients are User:ANONYMOUS, "
        "which holds no right but what is granted to it explicitly.",
    )
    registry_port: int = Field(18081, description="HTTP port of the local schema registry.")
    bootstrap_servers_override: str | None = Field(
        None, alias="DVC_BOOTSTRAP_SERVERS", description="Use another Kafka cluster."
    )
    registry_url_override: str | None = Field(
        None,
        alias="DVC_SCHEMA_REGISTRY_URL",
        description="Use another Confluent-compatible registry.",
    )
    topic_prefix: str = Field("dvc.", description="Prefix of every topic name.")
    partitions: int = Field(12, ge=1, description="Partitions of the keyed hub topics.")
    kafka_brokers: int = Field(
        1,
        ge=1,
        description="Nodes of the local stack (`dvchub stack up --brokers N`; 3 is the production "
        "shape). Node k listens on the three ports above + NODE_PORT_STEP * (k - 1); clients "
        "bootstrap from every node.",
    )
    replication_factor_override: int | None = Field(
        None,
        ge=1,
        alias="DVC_REPLICATION_FACTOR",
        description="Replication factor of the hub's topics (faust's own included); default: "
        "min(3, DVC_KAFKA_BROKERS). Set it (3) for a cluster of your own.",
    )
    min_insync_replicas_override: int | None = Field(
        None,
        ge=1,
        alias="DVC_MIN_INSYNC_REPLICAS",
        description="min.insync.replicas of the hub's topics; default: 2 from a replication "
        "factor of 3 on (an acks=all write then survives the loss of any one broker), else 1.",
    )
    stack_home: Path = Field(REPO_ROOT / ".cache" / "stack", description="Jars, data and logs.")
    stack_start_timeout_s: float = Field(
        120.0, description="How long a component may take to be ready."
    )
    # How this process authenticates to Kafka (hub.kafka.security_config applies them to every
    # client). SASL_SSL, the default, needs a principal and its password and trusts only the CA
    # file. Against the local stack (no DVC_BOOTSTRAP_SERVERS) the password file and the CA
    # default to the ones the stack made: <stack home>/kafka/security/{users/<name>.password,
    # ca.pem}. PLAINTEXT is for a broker secured by other means, or the benchmark's listener.
    kafka_security_protocol: Literal["PLAINTEXT", "SASL_SSL"] = Field(
        "SASL_SSL", description="SASL_SSL or PLAINTEXT."
    )
    kafka_sasl_mechanism: Literal["SCRAM-SHA-512", "SCRAM-SHA-256"] = Field(
        "SCRAM-SHA-512", description="SASL mechanism on a SASL_SSL listener."
    )
    kafka_username: str | None = Field(None, description="SASL principal name.")
    kafka_password: SecretStr | None = Field(None, description="SASL password.")
    kafka_password_file: Path | None = Field(
        None, description="File holding the SASL password (instead of DVC_KAFKA_PASSWORD)."
    )
    kafka_allow_plaintext: bool = Field(
        False,
        description="Accept PLAINTEXT in production: only for a broker reached over a network "
        "secured by other means (development, DVC_DEV_SECRETS=1, needs no flag).",
    )
    kafka_ca_file: Path | None = Field(
        None, description="PEM CA the broker's certificate must chain to (default: the local "
        "stack's CA, or the system CAs for another cluster).",
    )  # fmt: skip

    @property
    def kafka_internal_port(self) -> int:
        return self.kafka_internal_port_override or self.kafka_port + 2

    @property
    def replication_factor(self) -> int:
        return self.replication_factor_override or replication_for(self.kafka_brokers)[0]

    @property
    def min_insync_replicas(self) -> int:
        if self.min_insync_replicas_override is not None:
            return self.min_insync_replicas_override
        return replication_for(self.replication_factor)[1]

    def kafka_node_port(self, port: int, node: int) -> int:
        """Node ``node``'s (1-based) version of one of the first node's ports."""
        return port + NODE_PORT_STEP * (node - 1)

    @property
    def kafka_secured(self) -> bool:
        return self.kafka_security_protocol == "SASL_SSL"

    @property
    def local_stack(self) -> bool:
        """Whether this process talks to the local stack (``dvchub stack up``)."""
        return self.bootstrap_servers_override is None

    @property
    def kafka_security_dir(self) -> Path:
        """Where the local stack keeps its CA, keystore and principals' passwords."""
        return self.stack_home / "kafka" / "security"

    def local_password_file(self, username: str) -> Path:
        """The local stack's password file of principal ``username``."""
        return self.kafka_security_dir / "users" / f"{username}.password"

    def kafka_password_value(self) -> str | None:
        """The SASL password: ``kafka_password`` or the content of ``kafka_password_file``
        (one trailing newline stripped, as for every ``<VAR>_FILE`` secret); both is an error.
        With neither, against the local stack: the stack's file for ``kafka_username``."""
        if self.kafka_password is not None and self.kafka_password_file is not None:
            raise ValueError("set DVC_KAFKA_PASSWORD or DVC_KAFKA_PASSWORD_FILE, not both")
        if self.kafka_password is not None:
            return self.kafka_password.get_secret_value()
        path = self.kafka_password_file
        if path is None and self.local_stack and self.kafka_username:
            path = self.local_password_file(self.kafka_username)
            if not path.is_file():
                return None
        return None if path is None else path.read_text().removesuffix("\n")

    @property
    def kafka_ca_path(self) -> Path | None:
        """The CA a SASL_SSL client trusts: ``kafka_ca_file``, else the local stack's."""
        if self.kafka_ca_file is not None or not self.local_stack:
            return self.kafka_ca_file
        return self.kafka_security_dir / "ca.pem"

    @property
    def bootstrap_servers(self) -> str:
        # PLAINTEXT against the local stack is its benchmark listener (when there is one).
        port = self.kafka_port
        if not self.kafka_secured and self.kafka_plaintext_port is not None:
            port = self.kafka_plaintext_port
        # Every node: a client starting while one is down still finds the cluster.
        nodes = range(1, self.kafka_brokers + 1)
        local = ",".join(f"{self.kafka_host}:{self.kafka_node_port(port, n)}" for n in nodes)
        return self.bootstrap_servers_override or local

    @property
    def schema_registry_url(self) -> str:
        return (
            self.registry_url_override or f"http://127.0.0.1:{self.registry_port}/apis/ccompat/v7"
        )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read from the environment on first use."""
    return Settings()
