"""The notification gateways and their limits (``DVC_NOTIFY_*``).

Three gateways: a brandname SMS gateway's HTTP API (``SMS_URL``, ``SMS_API_KEY``,
``SMS_BRANDNAME``), Zalo's ZNS API (``ZNS_URL``, ``ZNS_ACCESS_TOKEN``, ``ZNS_TEMPLATES``: the
template id of each step, approved by Zalo) and an SMTP relay (``SMTP_HOST``, ``SMTP_PORT``,
``SMTP_SENDER``, optional ``SMTP_USERNAME`` / ``SMTP_PASSWORD`` and ``SMTP_STARTTLS``). Each
channel has its own rate (``*_RATE_PER_S``, a token bucket of ``RATE_BURST``): a gateway's
contract limits the messages a second, and a call waits at most ``RATE_WAIT_S`` for a token
before it is retried later.

Secrets are ``SecretStr`` (never in a repr or a log); ``*_FILE`` variables work as for every
connector (``hub.secrets``); the development values match the simulators and are defaults only
with ``DVC_DEV_SECRETS=1``. ``require_secrets()`` runs before the outbox consumes anything.
"""

from __future__ import annotations

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from connectors.notify._notification import Channel, Step
from hub.secrets import check_secret, dev_default, fill_from_files

#: The simulators' credentials (a real deployment sets its own).
DEV_SMS_API_KEY = "sms-dev-api-key"
DEV_ZNS_ACCESS_TOKEN = "zns-dev-access-token"  # noqa: S105
SMS_KEY_VARIABLE = "DVC_NOTIFY_SMS_API_KEY"
ZNS_TOKEN_VARIABLE = "DVC_NOTIFY_ZNS_ACCESS_TOKEN"  # noqa: S105 (a variable's name)
SMTP_PASSWORD_VARIABLE = "DVC_NOTIFY_SMTP_PASSWORD"  # noqa: S105 (a variable's name)
MIN_SECRET_LENGTH = 16
#: The template ids the ZNS simulator has approved, one per step (a real OA has its own).
DEV_ZNS_TEMPLATES: dict[Step, str] = {
    "RECEIVED": "320001", "SUPPLEMENT_REQUESTED": "320002", "FEE_REQUESTED": "320003",
    "RESULT_READY": "320004", "APOLOGY": "320005", "RESULT_RETURNED": "320006",
}  # fmt: skip


class NotifyConfig(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="DVC_NOTIFY_", frozen=True, extra="ignore")

    sms_url: str = Field("http://127.0.0.1:18320", description="Base URL of the SMS gateway.")
    sms_api_key: SecretStr = Field(
        default_factory=lambda: SecretStr(dev_default(DEV_SMS_API_KEY)),
        description="The province's key at the SMS gateway.",
    )
    sms_brandname: str = Field("UBND-TINH", min_length=1, max_length=11,
                               description="The registered sender name (brandname).")  # fmt: skip
    sms_unaccented: bool = Field(
        False, description="Send SMS without diacritics (GSM-7: twice the text a segment)."
    )
    sms_max_segments: int = Field(5, ge=1, description="Longest SMS sent, in segments.")
    zns_url: str = Field("http://127.0.0.1:18320", description="Base URL of the ZNS API.")
    zns_access_token: SecretStr = Field(
        default_factory=lambda: SecretStr(dev_default(DEV_ZNS_ACCESS_TOKEN)),
        description="The official account's access token.",
    )
    zns_templates: dict[Step, str] = Field(
        default_factory=lambda: dict(DEV_ZNS_TEMPLATES),
        description="ZNS template id per step (JSON object).",
    )
    smtp_host: str = Field("127.0.0.1", description="SMTP relay host.")
    smtp_port: int = Field(18325, gt=0, lt=65536, description="SMTP relay port.")
    smtp_sender: str = Field("no-reply@dichvucong.localhost", description="From: address.")
    smtp_username: str | None = Field(None, description="SMTP login, when the relay wants one.")
    smtp_password: SecretStr | None = Field(None, description="SMTP password.")
    smtp_starttls: bool = Field(False, description="Upgrade the SMTP session with STARTTLS.")
    sms_rate_per_s: float = Field(50.0, gt=0, description="SMS messages a second, at most.")
    zns_rate_per_s: float = Field(50.0, gt=0, description="ZNS messages a second, at most.")
    email_rate_per_s: float = Field(20.0, gt=0, description="E-mails a second, at most.")
    rate_burst: int = Field(10, ge=1, description="Messages a channel may send at once.")
    rate_wait_s: float = Field(5.0, ge=0, description="Longest wait for a channel's token.")
    free_text_chars: int = Field(
        60,
        ge=10,
        description="Officials' free text (reason, missing items) in SMS/ZNS, at most.",
    )
    timeout_s: float = Field(10.0, gt=0, description="Timeout of one gateway call.")

    @model_validator(mode="before")
    @classmethod
    def _secret_files(cls, data: object) -> object:  # whatever pydantic was given
        return fill_from_files(
            data, {"sms_api_key": SMS_KEY_VARIABLE, "zns_access_token": ZNS_TOKEN_VARIABLE,
                   "smtp_password": SMTP_PASSWORD_VARIABLE},
        )  # fmt: skip

    def rate(self, channel: Channel) -> float:
        return {"SMS": self.sms_rate_per_s, "ZNS": self.zns_rate_per_s,
                "EMAIL": self.email_rate_per_s}[channel]  # fmt: skip

    def require_secrets(self) -> None:
        """Start-up check of the gateways' secrets; ``SecretError`` names the variable."""
        check_secret(SMS_KEY_VARIABLE, self.sms_api_key.get_secret_value(),
                     dev_values=(DEV_SMS_API_KEY,), min_length=MIN_SECRET_LENGTH)  # fmt: skip
        check_secret(ZNS_TOKEN_VARIABLE, self.zns_access_token.get_secret_value(),
                     dev_values=(DEV_ZNS_ACCESS_TOKEN,), min_length=MIN_SECRET_LENGTH)  # fmt: skip
        if self.smtp_username is not None:
            password = self.smtp_password.get_secret_value() if self.smtp_password else None
            check_secret(SMTP_PASSWORD_VARIABLE, password, min_length=MIN_SECRET_LENGTH)
