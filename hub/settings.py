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


class Settings(BaseSettings):
    """Everything a dvc-hub process needs to find Kafka, the registry and its topics."""

    model_config = SettingsConfigDict(env_prefix="DVC_", frozen=True, extra="ignore")

    kafka_host: str = Field("127.0.0.1", description="Address the local broker listens on.")
    kafka_port: int = Field(19092, description="Broker listener port of the local stack.")
    kafka_controller_port: int = Field(
        19093, description="KRaft controller port of the local stack."
    )
    kafka_secure_port_override: int | None = Field(
        None,
        alias="DVC_KAFKA_SECURE_PORT",
        description="SASL_SSL (SCRAM + TLS) listener port of the local stack; default: "
        "the broker listener port + 2 (19094), so a stack on other ports never takes it.",
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
    replication_factor: int = Field(1, ge=1, description="Replication factor of hub topics.")
    stack_home: Path = Field(REPO_ROOT / ".cache" / "stack", description="Jars, data and logs.")
    stack_start_timeout_s: float = Field(
        120.0, description="How long a component may take to be ready."
    )
    # How this process authenticates to Kafka (hub.kafka.security_config applies them to every
    # client). PLAINTEXT, the default, is the unauthenticated loopback listener of the local
    # stack; SASL_SSL needs a username and a password (or a password file) and trusts only the
    # CA file (the local stack's: <stack home>/kafka/security/ca.pem).
    kafka_security_protocol: Literal["PLAINTEXT", "SASL_SSL"] = Field(
        "PLAINTEXT", description="PLAINTEXT or SASL_SSL."
    )
    kafka_sasl_mechanism: Literal["SCRAM-SHA-512", "SCRAM-SHA-256"] = Field(
        "SCRAM-SHA-512", description="SASL mechanism on a SASL_SSL listener."
    )
    kafka_username: str | None = Field(None, description="SASL principal name.")
    kafka_password: SecretStr | None = Field(None, description="SASL password.")
    kafka_password_file: Path | None = Field(
        None, description="File holding the SASL password (instead of DVC_KAFKA_PASSWORD)."
    )
    kafka_ca_file: Path | None = Field(
        None, description="PEM CA the broker's certificate must chain to (default: system CAs)."
    )

    @property
    def kafka_secure_port(self) -> int:
        return self.kafka_secure_port_override or self.kafka_port + 2

    @property
    def kafka_secured(self) -> bool:
        return self.kafka_security_protocol == "SASL_SSL"

    def kafka_password_value(self) -> str | None:
        """The SASL password: ``kafka_password`` or the content of ``kafka_password_file``
        (one trailing newline stripped, as for every ``<VAR>_FILE`` secret); both is an error."""
        if self.kafka_password is not None and self.kafka_password_file is not None:
            raise ValueError("set DVC_KAFKA_PASSWORD or DVC_KAFKA_PASSWORD_FILE, not both")
        if self.kafka_password is not None:
            return self.kafka_password.get_secret_value()
        if self.kafka_password_file is not None:
            return self.kafka_password_file.read_text().removesuffix("\n")
        return None

    @property
    def bootstrap_servers(self) -> str:
        # SASL_SSL against the local stack means its secured listener, not the plaintext one.
        port = self.kafka_secure_port if self.kafka_secured else self.kafka_port
        return self.bootstrap_servers_override or f"{self.kafka_host}:{port}"

    @property
    def schema_registry_url(self) -> str:
        return (
            self.registry_url_override or f"http://127.0.0.1:{self.registry_port}/apis/ccompat/v7"
        )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read from the environment on first use."""
    return Settings()
