"""What both protocols share: a table per message mapping neutral fields to wire fields, and
one encoder / decoder driven by it. A protocol (``_paygov``, ``_vnpay``) supplies the tables,
its codes, its checksum and its HTTP shape.

Every wire value is a string. Decoding checks, in this order: the message is a mapping of
strings with the checksum and every required field (``MalformedMessage``), the checksum in
constant time (``BadSignature``), the merchant code, then each value's format
(``MalformedMessage``) — so a forged message learns nothing from format errors.
"""

from __future__ import annotations

import hmac
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, ClassVar, Literal, TypeVar
from zoneinfo import ZoneInfo

from connectors.bank._config import ProviderName, ProviderSettings
from connectors.bank._errors import BadSignature, MalformedMessage
from connectors.bank._messages import (
    ApiRequest,
    FieldValue,
    Message,
    Outcome,
    Result,
    Status,
)

VN_TZ = ZoneInfo("Asia/Ho_Chi_Minh")
WIRE_TIME = "%Y%m%d%H%M%S"
MAX_VALUE_CHARS = 1024

Kind = Literal["str", "amount", "time", "result", "status"]
M = TypeVar("M", bound=Message)


@dataclass(frozen=True)
class WireField:
    """One wire field: the neutral attribute it carries (or a constant), its kind."""

    wire: str
    attr: str | None = None
    kind: Kind = "str"
    optional: bool = False
    const: str | None = None


def wire_time(moment: datetime) -> str:
    """``yyyyMMddHHmmss`` in Vietnam time (both protocols' format)."""
    if moment.tzinfo is None:
        raise ValueError("wire times must be timezone-aware")
    return moment.astimezone(VN_TZ).strftime(WIRE_TIME)


def parse_wire_time(text: str) -> datetime:
    if len(text) != 14 or not text.isdigit():
        raise ValueError("not yyyyMMddHHmmss")
    return datetime.strptime(text, WIRE_TIME).replace(tzinfo=VN_TZ).astimezone(UTC)


class Dialect(ABC):
    """One provider protocol bound to one provider account (merchant code and secret)."""

    name: ClassVar[ProviderName]
    #: PaymentMethod symbol of a FeePaid confirmed by this provider.
    payment_method: ClassVar[str]
    signature_field: ClassVar[str]
    merchant_field: ClassVar[str]
    specs: ClassVar[Mapping[type, tuple[WireField, ...]]]
    result_codes: ClassVar[Mapping[Result, str]]
    status_codes: ClassVar[Mapping[Status, str]]

    def __init__(self, settings: ProviderSettings) -> None:
        if settings.name != self.name:
            raise ValueError(f"{type(self).__name__} needs {self.name} settings")
        self.settings = settings

    def __repr__(self) -> str:
        return f"{type(self).__name__}(merchant_code={self.settings.merchant_code!r})"

    # -- what a protocol supplies ------------------------------------------------------------
    @abstractmethod
    def checksum(self, wire: Mapping[str, str], fields: tuple[WireField, ...]) -> str:
        """The checksum of ``wire`` (lowercase hex) with this account's secret."""

    @abstractmethod
    def amount_to_wire(self, amount_vnd: int) -> str: ...

    @abstractmethod
    def amount_from_wire(self, text: str) -> int: ...

    @abstractmethod
    def api_path(self, message_type: type) -> str:
        """Where the hub sends a request of this type (POST, JSON object of strings)."""

    @abstractmethod
    def operation_of(self, path: str, wire: object) -> type[ApiRequest]:
        """Which request type a POST to ``path`` carries (simulator side); ``wire`` is the parsed
        body, not yet checked (``KeyError`` / ``TypeError``: none)."""

    @abstractmethod
    def ipn_reply(self, outcome: Outcome) -> tuple[int, dict[str, str]]:
        """HTTP status and JSON body answering a callback."""

    @abstractmethod
    def ipn_reply_outcome(self, status: int, body: object) -> Outcome | None:
        """How a provider reads the hub's answer (simulator side); None: unreadable."""

    def extras(self, message: Message) -> dict[str, str]:
        """Wire fields a protocol adds beyond the table (signed like the others)."""
        return {}

    def refine(self, message: M, wire: Mapping[str, str]) -> M:
        """Adjust a decoded message using fields beyond the table."""
        return message

    # -- the shared machinery ----------------------------------------------------------------
    def encode(self, message: Message) -> dict[str, str]:
        fields = self.specs[type(message)]
        wire: dict[str, str] = {self.merchant_field: self.settings.merchant_code}
        for spec in fields:
            if spec.const is not None:
                wire[spec.wire] = spec.const
            elif spec.attr is not None:
                wire[spec.wire] = self._to_wire(spec, getattr(message, spec.attr))
        wire.update(self.extras(message))
        wire[self.signature_field] = self.checksum(wire, fields)
        return wire

    def verify(self, wire: Mapping[str, str], fields: tuple[WireField, ...]) -> None:
        given = wire.get(self.signature_field, "")
        expected = self.checksum(wire, fields)
        if not hmac.compare_digest(expected.encode(), given.strip().lower().encode()):
            raise BadSignature(f"{self.name}: {self.signature_field} does not verify")

    def decode(self, message_type: type[M], raw: object) -> M:
        """``raw``, a parsed body or parameters from outside, checked here."""
        fields = self.specs[message_type]
        wire = self._strings(raw)
        missing = [
            spec.wire
            for spec in fields
            if spec.attr is not None and not spec.optional and not wire.get(spec.wire)
        ]
        if self.signature_field not in wire:
            missing.append(self.signature_field)
        if self.merchant_field not in wire:
            missing.append(self.merchant_field)
        if missing:
            raise MalformedMessage(f"{self.name}: missing field(s) {', '.join(sorted(missing))}")
        self.verify(wire, fields)
        if wire[self.merchant_field] != self.settings.merchant_code:
            raise MalformedMessage(f"{self.name}: {self.merchant_field} is not ours")
        # Each table's kinds match its message's fields, which mypy cannot see through **values.
        values: dict[str, Any] = {}
        for spec in fields:
            if spec.attr is None:
                continue
            text = wire.get(spec.wire, "")
            try:
                values[spec.attr] = self._from_wire(spec, text) if text else None
            except ValueError as exc:
                raise MalformedMessage(f"{self.name}: {spec.wire}: {exc}") from exc
        return self.refine(message_type(**values), wire)

    def unverified_result(self, message_type: type, raw: object) -> Result | None:
        """The result code of a reply read without verifying it (to explain a refusal only)."""
        for spec in self.specs[message_type]:
            if spec.kind == "result" and isinstance(raw, Mapping):
                code = raw.get(spec.wire)
                for result, known in self.result_codes.items():
                    if known == code:
                        return result
        return None

    def _strings(self, raw: object) -> dict[str, str]:
        if not isinstance(raw, Mapping):
            raise MalformedMessage(f"{self.name}: not an object")
        wire: dict[str, str] = {}
        for key, value in raw.items():
            if not isinstance(key, str) or not isinstance(value, str):
                raise MalformedMessage(f"{self.name}: every field must be a string")
            if len(value) > MAX_VALUE_CHARS:
                raise MalformedMessage(f"{self.name}: {key[:40]} is too long")
            wire[key] = value
        return wire

    def _to_wire(self, spec: WireField, value: FieldValue) -> str:
        if value is None:
            return ""
        if spec.kind == "amount" and isinstance(value, int):
            return self.amount_to_wire(value)
        if spec.kind == "time" and isinstance(value, datetime):
            return wire_time(value)
        if spec.kind in ("amount", "time"):  # a table naming the wrong field: a bug, not input
            raise TypeError(f"{spec.attr}: a {type(value).__name__} is not a {spec.kind}")
        if spec.kind == "result":
            return self.result_codes[Result(str(value))]
        if spec.kind == "status":
            return self.status_codes[Status(str(value))]
        return str(value)

    def _from_wire(self, spec: WireField, text: str) -> FieldValue:
        if spec.kind == "amount":
            return self.amount_from_wire(text)
        if spec.kind == "time":
            return parse_wire_time(text)
        if spec.kind == "result":
            by_code = {code: result for result, code in self.result_codes.items()}
            return by_code.get(text, Result.ERROR)
        if spec.kind == "status":
            for status, code in self.status_codes.items():
                if code == text:
                    return status
            raise ValueError("unknown status")
        return text


def digits_amount(text: str) -> int:
    if not text.isdigit() or len(text) > 18:
        raise ValueError("not a non-negative integer")
    return int(text)
