"""Connector configuration, read once from ``DVC_PORTAL_``-prefixed environment variables.

Kafka, the registry and the topic prefix come from ``hub.settings.Settings``; this object only
holds what is specific to the HTTP side. Defaults suit the local stack. The API keys may also
come from the file ``DVC_PORTAL_API_KEYS_FILE`` names; the development key is the default only
with ``DVC_DEV_SECRETS=1`` (``hub.secrets``), and ``dvchub portal serve`` calls
``require_secrets()`` before serving.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import AliasChoices, Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from connectors.common import DedupeSpec
from hub.dossier import DeskDirectory
from hub.secrets import SecretError, check_secret, dev_default, fill_from_files

# The local stack's only writer: the provincial portal with a well-known key. Published here,
# hence refused outside development mode; the app also logs a warning when it is in use.
DEV_API_KEYS = "PROVINCIAL_PORTAL:dev-portal-key"
API_KEYS_VARIABLE = "DVC_PORTAL_API_KEYS"
#: The compacted topic of accepted event ids (``connectors.common.ClaimedIds``).
ACCEPTED_IDS_SUFFIX = "portal.accepted-ids"
#: Shortest API key accepted in production (each key of the list).
MIN_KEY_LENGTH = 16
# Development keys refused in production wherever they appear in the list (a real key next to
# the published one would still let anyone write as the provincial portal).
_DEV_KEYS = frozenset({DEV_API_KEYS.partition(":")[2]})


class PortalConfig(BaseSettings):
    """What the portal connector needs besides Kafka and the registry."""

    model_config = SettingsConfigDict(env_prefix="DVC_PORTAL_", frozen=True, extra="ignore")

    api_keys: SecretStr = Field(
        default_factory=lambda: SecretStr(dev_default(DEV_API_KEYS)),
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
    # the hub's own variable, which routing reads too: one list of desks for the province
    desk_directory: Path | None = Field(
        None,
        validation_alias=AliasChoices("DVC_DESK_DIRECTORY", "desk_directory"),
        description="The province's desks (TOML, hub.dossier.DeskDirectory); when set, desk "
        "codes of events must be listed in it.",
    )

    @model_validator(mode="before")
    @classmethod
    def _secret_files(cls, data: object) -> object:  # whatever pydantic was given
        return fill_from_files(data, {"api_keys": API_KEYS_VARIABLE})

    def require_secrets(self) -> None:
        """Start-up check: every key of the list long enough and none published. ``SecretError``
        names the variable (and the entry's position), never a key."""
        spec = self.api_keys.get_secret_value()
        check_secret(API_KEYS_VARIABLE, spec, min_length=1)  # missing or empty
        for position, item in enumerate(spec.split(","), start=1):
            if not item.strip():
                continue
            # The position only, not the source: a reversed "key:SOURCE" would print the key.
            _, sep, key = item.strip().partition(":")
            if not sep:
                raise SecretError(API_KEYS_VARIABLE, f"entry {position} is not SOURCE_SYSTEM:key")
            try:
                check_secret(
                    API_KEYS_VARIABLE, key, dev_values=_DEV_KEYS, min_length=MIN_KEY_LENGTH
                )
            except SecretError as exc:
                raise SecretError(
                    API_KEYS_VARIABLE, f"entry {position}: key {exc.problem}"
                ) from None

    @property
    def dedupe(self) -> DedupeSpec:
        return DedupeSpec(ACCEPTED_IDS_SUFFIX, self.dedupe_retention_days, self.dedupe_capacity)

    def desks(self) -> DeskDirectory | None:
        """The desk directory, None when none is configured; ``ValueError`` if it is bad."""
        return None if self.desk_directory is None else DeskDirectory.load(self.desk_directory)

    @property
    def uses_dev_keys(self) -> bool:
        return self.api_keys.get_secret_value() == DEV_API_KEYS
