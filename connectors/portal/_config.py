"""Connector configuration, read once from ``DVC_PORTAL_``-prefixed environment variables.

Kafka, the registry and the topic prefix come from ``hub.settings.Settings``; this object only
holds what is specific to the HTTP side. Defaults suit the local stack.
"""

from __future__ import annotations

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

# The local stack's only writer: the provincial portal with a well-known key. Never use it
# outside the local stack; the app logs a warning when it is in use.
DEV_API_KEYS = "PROVINCIAL_PORTAL:dev-portal-key"


class PortalConfig(BaseSettings):
    """What the portal connector needs besides Kafka and the registry."""

    model_config = SettingsConfigDict(env_prefix="DVC_PORTAL_", frozen=True, extra="ignore")

    api_keys: SecretStr = Field(
        SecretStr(DEV_API_KEYS),
        description=(
            "Comma-separated SOURCE_SYSTEM:key pairs, e.g. "
            "'PROVINCIAL_PORTAL:k1,ONE_STOP_DESK:k2'. A system may have several keys (rotation)."
        ),
    )
    host: str = Field("127.0.0.1", description="Address `dvchub portal serve` binds to.")
    port: int = Field(8088, ge=1, le=65535, description="Port `dvchub portal serve` binds to.")
    max_body_bytes: int = Field(1 << 20, ge=1024, description="Largest request body accepted.")
    max_batch_events: int = Field(500, ge=1, description="Most events in one POST /v1/events.")
    ack_timeout_s: float = Field(
        10.0, gt=0, description="How long to wait for the broker's acknowledgement before 503."
    )
    retry_after_s: int = Field(5, ge=1, description="Retry-After sent with a 503.")
    dedupe_capacity: int = Field(
        200_000, ge=1, description="Recently accepted event ids remembered (oldest forgotten)."
    )
    dedupe_retention_days: float = Field(
        7.0, gt=0, description="How long the accepted-ids topic keeps an id."
    )
    produce_threads: int = Field(8, ge=1, description="Threads running blocking Kafka calls.")

    @property
    def uses_dev_keys(self) -> bool:
        return self.api_keys.get_secret_value() == DEV_API_KEYS
