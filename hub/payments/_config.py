"""The payments configuration: ``DVC_PAYMENT_``-prefixed environment variables, and the file of
beneficiary accounts per agency (``DVC_PAYMENT_ACCOUNTS``, TOML or JSON)::

    [default]                  # agencies the file does not name (optional)
    account = "3511.0.1054321"
    provider = "paygov"

    [agencies.STP]             # agency code -> its account, and the provider it collects through
    account = "3511.0.1000001"
    provider = "vnpay"

JSON has the same shape (``{"default": {...}, "agencies": {"STP": {...}}}``). Without a file, or
for an agency neither named nor covered by ``[default]``, a fee is collected through
``DVC_PAYMENT_DEFAULT_PROVIDER`` (``paygov``) into the placeholder account ``KBNN-<agency>``
(the agency's State Treasury account, to be configured before going live).

Status queries: ``DVC_PAYMENT_QUERY_AFTER`` (default ``PT15M``; an ISO 8601 duration or
seconds) after the request, then each wait ``DVC_PAYMENT_QUERY_BACKOFF`` (2) times the last,
at most ``DVC_PAYMENT_QUERY_MAX_INTERVAL`` (``PT4H``), ``DVC_PAYMENT_QUERY_MAX`` (6) queries.
"""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from hub.payments._errors import ConfigError

#: Provider names the bank connector speaks (partners plan, "Payments").
PROVIDERS = ("paygov", "vnpay")
_ACCOUNT = re.compile(r"^[A-Za-z0-9.\-]{1,40}$")


@dataclass(frozen=True)
class Beneficiary:
    """Where one agency's fees go: its account, and the provider that collects them."""

    account: str
    provider: str


@dataclass(frozen=True)
class AccountBook:
    """Agency code -> ``Beneficiary``; ``default`` for agencies not named."""

    agencies: Mapping[str, Beneficiary] = field(default_factory=dict)
    default: Beneficiary | None = None
    default_provider: str = "paygov"

    def beneficiary(self, agency_code: str | None) -> Beneficiary:
        if agency_code is not None and agency_code in self.agencies:
            return self.agencies[agency_code]
        if self.default is not None:
            return self.default
        return Beneficiary(f"KBNN-{agency_code or 'UNKNOWN'}", self.default_provider)

    @classmethod
    def load(cls, path: Path, default_provider: str = "paygov") -> AccountBook:
        """The book in ``path`` (``.json``: JSON, anything else: TOML); ``ConfigError`` if bad."""
        try:
            text = path.read_text(encoding="utf-8")
            data: object = json.loads(text) if path.suffix == ".json" else tomllib.loads(text)
        except (OSError, ValueError) as exc:  # JSONDecodeError and TOMLDecodeError are ValueErrors
            raise ConfigError(f"payment accounts file {path}: {exc}") from exc
        return cls.parse(data, str(path), default_provider)

    @classmethod
    def parse(
        cls, data: object, where: str = "accounts", default_provider: str = "paygov"
    ) -> AccountBook:
        if not isinstance(data, Mapping):
            raise ConfigError(f"{where}: expected a table with [default] and [agencies.*]")
        unknown = set(data) - {"default", "agencies"}
        if unknown:
            raise ConfigError(f"{where}: unknown keys {sorted(unknown)}")
        agencies_data = data.get("agencies", {})
        if not isinstance(agencies_data, Mapping):
            raise ConfigError(f"{where}: [agencies] must be a table")
        agencies = {
            str(code): _beneficiary(entry, f"{where}: agencies.{code}", default_provider)
            for code, entry in agencies_data.items()
        }
        default = None
        if "default" in data:
            default = _beneficiary(data["default"], f"{where}: default", default_provider)
        return cls(agencies, default, default_provider)


def _beneficiary(entry: object, where: str, default_provider: str) -> Beneficiary:
    if not isinstance(entry, Mapping) or not isinstance(entry.get("account"), str):
        raise ConfigError(f'{where}: expected account = "..." (and optionally provider)')
    account = entry["account"]
    if not _ACCOUNT.match(account):
        raise ConfigError(f"{where}: account must be 1-40 letters, digits, '.' or '-'")
    provider = entry.get("provider", default_provider)
    if provider not in PROVIDERS:
        raise ConfigError(f"{where}: provider must be one of {', '.join(PROVIDERS)}")
    return Beneficiary(account, str(provider))


@dataclass(frozen=True)
class QueryPolicy:
    """When a payment without a callback is queried: ``after`` its request, then each next one
    ``backoff`` times later than the previous interval, capped at ``max_interval``; at most
    ``max_queries``."""

    after: timedelta = timedelta(minutes=15)
    backoff: float = 2.0
    max_interval: timedelta = timedelta(hours=4)
    max_queries: int = 6

    def __post_init__(self) -> None:
        if self.after <= timedelta(0) or self.max_interval <= timedelta(0):
            raise ConfigError("status query intervals must be positive")
        if self.backoff < 1.0:
            raise ConfigError("status query backoff must be at least 1")
        if self.max_queries < 0:
            raise ConfigError("max status queries must not be negative")

    def interval(self, queries_sent: int) -> timedelta:
        """The wait after the ``queries_sent``-th query (``after`` before the first)."""
        seconds = self.after.total_seconds() * self.backoff**queries_sent
        return timedelta(seconds=min(seconds, self.max_interval.total_seconds()))


@dataclass(frozen=True)
class PaymentPolicy:
    """Everything the fold reads besides its events."""

    accounts: AccountBook = field(default_factory=AccountBook)
    queries: QueryPolicy = field(default_factory=QueryPolicy)


class PaymentSettings(BaseSettings):
    """The payments processor's configuration (read once, from the environment)."""

    model_config = SettingsConfigDict(env_prefix="DVC_PAYMENT_", frozen=True, extra="ignore")

    accounts: Path | None = Field(
        None, description="TOML or JSON file: beneficiary account and provider per agency."
    )
    default_provider: str = Field("paygov", description="Provider of agencies the file omits.")
    query_after: timedelta = Field(
        timedelta(minutes=15), description="Wait for a callback before the first status query."
    )
    query_backoff: float = Field(2.0, ge=1.0, description="Each next query waits this much longer.")
    query_max_interval: timedelta = Field(
        timedelta(hours=4), description="Longest wait between two status queries."
    )
    query_max: int = Field(6, ge=0, description="Status queries per payment at most.")

    @field_validator("query_after", "query_max_interval", mode="before")
    @classmethod
    def _seconds(cls, value: object) -> object:
        """A plain number of seconds ("900") as well as an ISO 8601 duration ("PT15M")."""
        if isinstance(value, str) and re.fullmatch(r"\d+(\.\d+)?", value.strip()):
            return timedelta(seconds=float(value))
        return value

    def policy(self) -> PaymentPolicy:
        if self.default_provider not in PROVIDERS:
            raise ConfigError(f"DVC_PAYMENT_DEFAULT_PROVIDER must be one of {', '.join(PROVIDERS)}")
        book = (
            AccountBook(default_provider=self.default_provider)
            if self.accounts is None
            else AccountBook.load(self.accounts, self.default_provider)
        )
        queries = QueryPolicy(
            self.query_after, self.query_backoff, self.query_max_interval, self.query_max
        )
        return PaymentPolicy(book, queries)
