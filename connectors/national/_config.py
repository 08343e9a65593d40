"""Where the national portal is and how to log in (``DVC_NATIONAL_*`` environment variables).

The password is a ``SecretStr``: it never appears in a repr or a log line. It may also come
from the file ``DVC_NATIONAL_PASSWORD_FILE`` names; the development account is the default only
with ``DVC_DEV_SECRETS=1`` (``hub.secrets``), and the outbox and the intake call
``require_secrets()`` at start-up.
"""

from __future__ import annotations

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from hub.secrets import SecretError, check_secret, dev_default, fill_from_files

#: The local demo's account (the simulator's default); a real deployment sets its own.
DEV_USERNAME = "dvchub"
DEV_PASSWORD = "dvchub-dev"  # noqa: S105
USERNAME_VARIABLE = "DVC_NATIONAL_USERNAME"
PASSWORD_VARIABLE = "DVC_NATIONAL_PASSWORD"  # noqa: S105 (a variable's name)
#: Shortest password accepted in production.
MIN_PASSWORD_LENGTH = 16


class NationalConfig(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="DVC_NATIONAL_", frozen=True, extra="ignore")

    url: str = Field("http://127.0.0.1:18300", description="Base URL of the portal's JSON API.")
    username: str = Field(
        default_factory=lambda: dev_default(DEV_USERNAME),
        description="Account of the province on the portal.",
    )
    password: SecretStr = Field(
        default_factory=lambda: SecretStr(dev_default(DEV_PASSWORD)), description="Its password."
    )
    timeout_s: float = Field(10.0, gt=0, description="Timeout of one HTTP call.")
    max_reply_bytes: int = Field(
        16 * 1024 * 1024,
        ge=1024,
        description="Largest reply read from the portal; a longer one is refused while it streams.",
    )
    renew_margin_s: float = Field(
        30.0, ge=0, description="Log in again this long before the session expires."
    )
    page_size: int = Field(100, ge=1, le=1000, description="Dossiers per listing call.")
    poll_interval_s: float = Field(5.0, gt=0, description="Pause of the intake when caught up.")
    max_backoff_s: float = Field(
        60.0, gt=0, description="Longest pause of the intake after failed rounds (it doubles)."
    )
    intake_host: str = Field("127.0.0.1", description="Address of the intake's /ready, /metrics.")
    intake_port: int = Field(8092, ge=1, le=65535, description="Port of its /ready and /metrics.")
    ack_timeout_s: float = Field(10.0, gt=0, description="Broker acknowledgement wait.")
    produce_threads: int = Field(4, ge=1, description="Threads running blocking calls.")
    start_timeout_s: float = Field(60.0, gt=0, description="Loading its topic at start-up.")
    dedupe_capacity: int = Field(
        1_000_000,
        ge=1,
        description="Imported dossier codes remembered (the oldest forgotten first; a forgotten "
        "one listed again is produced again with the same event ids, dropped downstream).",
    )

    @model_validator(mode="before")
    @classmethod
    def _secret_files(cls, data: object) -> object:
        return fill_from_files(data, {"password": PASSWORD_VARIABLE})

    def require_secrets(self) -> None:
        """Start-up check of the account; ``SecretError`` names the variable. The username is
        not a secret: it must only be set."""
        if not self.username.strip():
            raise SecretError(USERNAME_VARIABLE, "is not set or empty")
        check_secret(
            PASSWORD_VARIABLE,
            self.password.get_secret_value(),
            dev_values=(DEV_PASSWORD,),
            min_length=MIN_PASSWORD_LENGTH,
        )
