"""Where EMC is and the province's API token (``DVC_EMC_URL``, ``DVC_EMC_TOKEN``).

The token is a ``SecretStr``: never in a repr or a log line.
"""

from __future__ import annotations

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

#: The local demo's token (the simulator's default); a real deployment sets its own.
DEV_TOKEN = "emc-dev-token"  # noqa: S105


class EmcConfig(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="DVC_EMC_", frozen=True, extra="ignore")

    url: str = Field("http://127.0.0.1:18310", description="Base URL of EMC's API.")
    token: SecretStr = Field(SecretStr(DEV_TOKEN), description="The province's API token.")
    timeout_s: float = Field(10.0, gt=0, description="Timeout of one HTTP call.")
