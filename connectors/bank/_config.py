"""Configuration, read once from ``DVC_BANK_``-prefixed environment variables.

Per provider: ``DVC_BANK_<PROVIDER>_SECRET``, ``..._MERCHANT_CODE``, ``..._BASE_URL``
(``PAYGOV`` or ``VNPAY``). Secrets are ``SecretStr``: they print as ``**********`` and are
read only where a checksum is computed; each may also come from the file ``..._SECRET_FILE``
names. The development secrets are the defaults only with ``DVC_DEV_SECRETS=1``
(``hub.secrets``); processes that verify or sign callbacks call ``require_secrets()`` at
start-up. Kafka, the registry and the topic prefix come from ``hub.settings.Settings``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from connectors.bank._errors import UnknownProvider
from hub.secrets import SecretError, check_secret, dev_default, fill_from_files

ProviderName = Literal["paygov", "vnpay"]
PROVIDERS: tuple[ProviderName, ...] = ("paygov", "vnpay")

# The local stack's secrets, shared with the simulators. Published here, hence refused outside
# development mode (hub.secrets); the IPN app also logs a warning when one is in use.
DEV_SECRETS: dict[str, str] = {
    "paygov": "dev-paygov-secret-not-for-production",
    "vnpay": "DEVVNPAYSECRETNOTFORPRODUCTION000",
}

#: Field -> variable of each secret (the ``_FILE`` form is read for these).
SECRET_VARIABLES: dict[str, str] = {
    "paygov_secret": "DVC_BANK_PAYGOV_SECRET",
    "vnpay_secret": "DVC_BANK_VNPAY_SECRET",
}
#: Shortest provider secret accepted in production (HMAC keys).
MIN_SECRET_LENGTH = 16


@dataclass(frozen=True)
class ProviderSettings:
    """One provider's account: who we are there and the shared secret (hidden from repr)."""

    name: ProviderName
    merchant_code: str
    base_url: str
    secret: SecretStr = field(repr=False)
    #: Oldest callback accepted, by its timestamp (paygov: when sent; vnpay: vnp_PayDate).
    max_callback_age_s: float = 900.0

    @property
    def uses_dev_secret(self) -> bool:
        return self.secret.get_secret_value() == DEV_SECRETS[self.name]


class BankConfig(BaseSettings):
    """What the bank connector (client and IPN endpoints) needs besides Kafka and the registry."""

    model_config = SettingsConfigDict(env_prefix="DVC_BANK_", frozen=True, extra="ignore")

    default_provider: ProviderName = Field(
        "paygov", description="Provider of a PaymentRequest whose payload names none."
    )
    paygov_secret: SecretStr = Field(
        default_factory=lambda: SecretStr(dev_default(DEV_SECRETS["paygov"]))
    )
    paygov_merchant_code: str = Field("DVCHUB", min_length=1, max_length=32)
    paygov_base_url: str = Field("http://127.0.0.1:8091")
    paygov_max_callback_age_s: float = Field(900.0, gt=0)
    vnpay_secret: SecretStr = Field(
        default_factory=lambda: SecretStr(dev_default(DEV_SECRETS["vnpay"]))
    )
    vnpay_merchant_code: str = Field(
        "DVCHUB01", min_length=1, max_length=32, description="vnp_TmnCode"
    )
    vnpay_base_url: str = Field("http://127.0.0.1:8092")
    vnpay_max_callback_age_s: float = Field(
        86_400.0, gt=0, description="vnpay callbacks carry the payment time, not a sending time."
    )
    return_url: str = Field(
        "http://127.0.0.1:8088/payments/return", description="Where the payer's browser returns."
    )
    max_callback_future_s: float = Field(
        120.0, ge=0, description="How far in the future a callback timestamp may be (clock skew)."
    )
    http_timeout_s: float = Field(10.0, gt=0, description="Timeout of calls to a provider.")
    host: str = Field("127.0.0.1", description="Address the IPN endpoints bind to.")
    port: int = Field(8093, ge=1, le=65535, description="Port the IPN endpoints bind to.")
    max_body_bytes: int = Field(16_384, ge=512, description="Largest callback body or query.")
    ack_timeout_s: float = Field(10.0, gt=0, description="Broker acknowledgement wait.")
    start_timeout_s: float = Field(60.0, gt=0, description="Loading the topics at start-up.")
    produce_threads: int = Field(8, ge=1, description="Threads running blocking Kafka calls.")

    @model_validator(mode="before")
    @classmethod
    def _secret_files(cls, data: object) -> object:  # whatever pydantic was given
        return fill_from_files(data, SECRET_VARIABLES)

    def require_secrets(self) -> None:
        """Start-up check of both providers' secrets (both: an IPN endpoint verifying with a
        published secret would accept forged callbacks, used provider or not).
        ``SecretError`` names the first variable that fails."""
        for provider in PROVIDERS:
            secret: SecretStr = getattr(self, f"{provider}_secret")
            check_secret(
                SECRET_VARIABLES[f"{provider}_secret"],
                secret.get_secret_value(),
                dev_values=(DEV_SECRETS[provider],),
                min_length=MIN_SECRET_LENGTH,
            )

    def provider(self, name: str) -> ProviderSettings:
        """The settings of ``name``; ``UnknownProvider`` for any other name, ``SecretError`` if
        its secret is empty (an HMAC with an empty key is forgeable by anyone)."""
        if name in PROVIDERS and not getattr(self, f"{name}_secret").get_secret_value():
            raise SecretError(SECRET_VARIABLES[f"{name}_secret"], "is not set")
        if name == "paygov":
            return ProviderSettings(
                "paygov",
                self.paygov_merchant_code,
                self.paygov_base_url,
                self.paygov_secret,
                self.paygov_max_callback_age_s,
            )
        if name == "vnpay":
            return ProviderSettings(
                "vnpay",
                self.vnpay_merchant_code,
                self.vnpay_base_url,
                self.vnpay_secret,
                self.vnpay_max_callback_age_s,
            )
        raise UnknownProvider(f"unknown payment provider {name[:40]!r}")
