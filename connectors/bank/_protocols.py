"""Provider name -> protocol (``Dialect``) bound to that provider's settings."""

from __future__ import annotations

from connectors.bank._config import BankConfig, ProviderSettings
from connectors.bank._dialect import Dialect
from connectors.bank._errors import UnknownProvider
from connectors.bank._paygov import PaygovDialect
from connectors.bank._vnpay import VnpayDialect

DIALECTS: dict[str, type[Dialect]] = {"paygov": PaygovDialect, "vnpay": VnpayDialect}


def dialect_for(settings: ProviderSettings) -> Dialect:
    try:
        return DIALECTS[settings.name](settings)
    except KeyError:
        raise UnknownProvider(f"unknown payment provider {settings.name[:40]!r}") from None


def dialects(config: BankConfig) -> dict[str, Dialect]:
    """Every configured provider's protocol."""
    return {name: dialect_for(config.provider(name)) for name in DIALECTS}
