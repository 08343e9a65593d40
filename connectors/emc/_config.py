"""Where EMC is and the province's API token (``DVC_EMC_URL``, ``DVC_EMC_TOKEN``).

The token is a ``SecretStr``: never in a repr or a log line. It may also come from the file
``DVC_EMC_TOKEN_FILE`` names; the development token is the default only with
``DVC_DEV_SECRETS=1`` (``hub.secrets``), and the outbox calls ``require_secrets()`` at start-up.
"""

from __future__ import annotations

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from hub.secrets import check_secret, dev_default, fill_from_files

#: The local demo's token (the simulator's default); a real deployment sets its own.
DEV_TOKEN = "emc-dev-token"  # noqa: S105
TOKEN_VARIABLE = "DVC_EMC_TOKEN"  # noqa: S105 (a variable's name)
#: Shortest token accepted in production.
MIN_TOKEN_LENGTH = 16


class EmcConfig(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="DVC_EMC_", frozen=True, extra="ignore")

    url: str = Field("http://127.0.0.1:18310", description="Base URL of EMC's API.")
    token: SecretStr = Field(
        default_factory=lambda: SecretStr(dev_default(DEV_TOKEN)),
        description="The province's API token.",
    )
    timeout_s: float = Field(10.0, gt=0, description="Timeout of one HTTP call.")

    @model_validator(mode="before")
    @classmethod
    def _secret_files(cls, data: object) -> object:  # whatever pydantic was given
        return fill_from_files(data, {"token": TOKEN_VARIABLE})

    def require_secrets(self) -> None:
        """Start-up check of the token; ``SecretError`` names the variable."""
        check_secret(
            TOKEN_VARIABLE,
            self.token.get_secret_value(),
            dev_values=(DEV_TOKEN,),
            min_length=MIN_TOKEN_LENGTH,
        )
