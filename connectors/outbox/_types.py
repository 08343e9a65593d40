"""What the outbox hands a partner client, what the client answers, and how a call fails.

A partner client (``PartnerClient``) turns one ``Command`` into one call to its partner, with
the command's idempotency key, and answers ``Accepted`` (with the partner's reference and the
dossier events the success means) or raises::

    CallFailed                  the call did not succeed
    ├── Transient               worth retrying: 5xx, timeout, connection refused, an expired
    │                           session the client could not renew, a malformed reply
    └── Permanent               retrying cannot help: the partner refused the command for good
                                (validation, unknown order), or the command cannot be sent

The client translates its library's errors (httpx, zeep) into these, with ``raise ... from exc``,
in one place; the outbox never sees a foreign exception.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from connectors.common import AvroRecord


class CallFailed(Exception):
    """A partner call that did not succeed; ``code`` is machine-readable (``HTTP_503``...)."""

    def __init__(self, code: str, reason: str) -> None:
        super().__init__(f"{code}: {reason}")
        self.code = code
        self.reason = reason


class Transient(CallFailed):
    """Retry later: the partner may accept the same call (same idempotency key) then."""


class Permanent(CallFailed):
    """Do not retry: the outcome is REJECTED."""


@dataclass(frozen=True)
class Command:
    """A decoded ``PartnerCommand``: the envelope, and the payload by its short record name."""

    command_id: str
    command_type: str
    dossier_id: str
    idempotency_key: str
    created_at: datetime
    correlation_id: str
    causation_id: str | None
    payload_name: str
    payload: Mapping[str, Any]

    @classmethod
    def of_record(cls, record: Mapping[str, Any]) -> Command:
        """From the dict ``hub.serde`` decodes a PartnerCommand into."""
        full_name, payload = record["payload"]
        return cls(
            command_id=str(record["command_id"]),
            command_type=str(record["command_type"]),
            dossier_id=str(record["dossier_id"]),
            idempotency_key=str(record["idempotency_key"]),
            created_at=record["created_at"],
            correlation_id=str(record["correlation_id"]),
            causation_id=record.get("causation_id"),
            payload_name=str(full_name).rsplit(".", 1)[-1],
            payload=payload,
        )


@dataclass(frozen=True)
class EventDraft:
    """A DossierEvent the outbox is to produce on the dossier's key: the payload by record name
    (``"PostalOrderCreated"``) and the source system symbol. The outbox builds the envelope,
    with an event id derived from the command, so a redelivered command gives the same id."""

    payload_name: str
    payload: AvroRecord
    source: str
    #: Set only when another path may produce the same fact (FeePaid from a callback and from a
    #: status query): both derive this id from the fact, so consumers dedupe them.
    event_id: str | None = None
    #: When the fact happened, if the partner says (a payment's paid time); None: when the
    #: outbox recorded it.
    occurred_at: datetime | None = None


@dataclass(frozen=True)
class Accepted:
    """The partner took the call: its reference, and the dossier events that success means."""

    reference: str | None = None
    events: tuple[EventDraft, ...] = field(default_factory=tuple)


class PartnerClient(Protocol):
    """One partner's outbound side, as the outbox drives it (blocking; called from threads)."""

    #: Names the partner: consumer group suffix, metric label, PartnerOutcome.partner.
    partner: str
    #: The PartnerCommand types this client handles; the outbox skips the others.
    command_types: frozenset[str]

    def call(self, command: Command, attempt: int) -> Accepted:
        """Make the call (``attempt`` counts from 1); raise ``Transient`` or ``Permanent``."""
        ...

    def failure_events(
        self, command: Command, error: CallFailed, attempts: int, will_retry: bool
    ) -> tuple[EventDraft, ...]:
        """Dossier events a failure means (e.g. NationalSyncFailed); usually none."""
        ...

    def close(self) -> None:
        """Release connections."""
        ...
