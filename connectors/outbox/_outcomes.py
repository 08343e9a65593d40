"""The records a finished command becomes: its PartnerOutcome and the dossier events it means.

Every id is derived from the command id, so a command redelivered after a crash (and called
again with the same idempotency key) gives byte-for-byte the same ids, and consumers dedupe.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from connectors.common import AvroRecord
from connectors.outbox._types import CallFailed, Command, EventDraft
from hub.events import new_event

#: Namespace of every id the outbox derives (uuid5).
OUTBOX_NAMESPACE = uuid.UUID("6f1d9c52-3b8e-5d6a-9a41-0c7e2f4b8d13")

ACCEPTED, REJECTED, FAILED = "ACCEPTED", "REJECTED", "FAILED"


def derived_id(command_id: str, *parts: str) -> str:
    return str(uuid.uuid5(OUTBOX_NAMESPACE, ":".join((command_id, *parts))))


@dataclass(frozen=True)
class Finished:
    """How a command ended, with what the records need."""

    command: Command
    partner: str
    outcome: str
    attempts: int
    first_attempt_at: datetime
    completed_at: datetime
    reference: str | None = None
    error: CallFailed | None = None

    def outcome_record(self) -> AvroRecord:
        c = self.command
        return {
            "outcome_id": derived_id(c.command_id, "outcome", self.outcome),
            "command_id": c.command_id,
            "command_type": c.command_type,
            "dossier_id": c.dossier_id,
            "partner": self.partner,
            "idempotency_key": c.idempotency_key,
            "outcome": self.outcome,
            "partner_reference": self.reference,
            "reason_code": self.error.code if self.error else None,
            "reason": self.error.reason if self.error else None,
            "attempts": self.attempts,
            "first_attempt_at": self.first_attempt_at,
            "completed_at": self.completed_at,
            "correlation_id": c.correlation_id,
        }


def event_record(command: Command, draft: EventDraft, when: datetime, tag: str) -> AvroRecord:
    """The DossierEvent of ``draft``; ``tag`` tells apart the events of one command."""
    return new_event(
        command.dossier_id,
        draft.payload_name,
        draft.payload,
        source=draft.source,
        occurred_at=draft.occurred_at or when,
        recorded_at=when,
        correlation_id=command.correlation_id,
        causation_id=command.command_id,
        event_id=draft.event_id or derived_id(command.command_id, "event", tag, draft.payload_name),
    )
