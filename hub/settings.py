"""Typed configuration, read once from ``DVC_``-prefixed environment variables.

Defaults point at the local stack that ``dvchub stack up`` starts, so ``make run`` needs no
configuration. Partner secrets never appear in ``repr`` (``SecretStr``).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field
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

    @property
    def bootstrap_servers(self) -> str:
        return self.bootstrap_servers_override or f"{self.kafka_host}:{self.kafka_port}"

    @property
    def schema_registry_url(self) -> str:
        return (
            self.registry_url_override or f"http://127.0.0.1:{self.registry_port}/apis/ccompat/v7"
        )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read from the environment on first use."""
    return Settings()
