"""Where the national portal is and how to log in (``DVC_NATIONAL_*`` environment variables).

The password is a ``SecretStr``: it never appears in a repr or a log line.
"""

from __future__ import annotations

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

#: The local demo's account (the simulator's default); a real deployment sets its own.
DEV_USERNAME = "dvchub"
DEV_PASSWORD = "dvchub-dev"  # noqa: S105


class NationalConfig(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="DVC_NATIONAL_", frozen=True, extra="ignore")

    url: str = Field("http://127.0.0.1:18300", description="Base URL of the portal's JSON API.")
    username: str = Field(DEV_USERNAME, description="Account of the province on the portal.")
    password: SecretStr = Field(SecretStr(DEV_PASSWORD), description="Its password.")
    timeout_s: float = Field(10.0, gt=0, description="Timeout of one HTTP call.")
    renew_margin_s: float = Field(
        30.0, ge=0, description="Log in again this long before the session expires."
    )
    page_size: int = Field(100, ge=1, le=1000, description="Dossiers per listing call.")
    poll_interval_s: float = Field(5.0, gt=0, description="Pause of the intake when caught up.")
