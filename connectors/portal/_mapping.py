"""Validated portal input -> canonical Avro records (the dicts ``hub.serde`` encodes).

Payload models carry the Avro field names, so a payload maps by ``model_dump()``; the envelope
is built by ``hub.events.new_event`` so the event type always agrees with the payload.
"""

from __future__ import annotations

from datetime import UTC, datetime

from connectors.common import AvroRecord
from connectors.portal._models import PortalEvent, ProcedureEntry
from hub.events import new_event


def to_dossier_event(event: PortalEvent, *, source: str, recorded_at: datetime) -> AvroRecord:
    """The DossierEvent record of ``event``, reported by ``source`` (the authenticated system)."""
    return new_event(
        event.dossier_id,
        event.event_type,
        event.payload.model_dump(),
        source=source,
        occurred_at=event.occurred_at,
        actor=event.actor.model_dump() if event.actor is not None else None,
        correlation_id=event.correlation_id,
        event_id=str(event.event_id),
        recorded_at=recorded_at,
    )


def to_procedure(
    code: str, entry: ProcedureEntry, *, updated_at: datetime | None = None
) -> AvroRecord:
    """The Procedure record of catalogue entry ``code``."""
    return {
        "procedure_code": code,
        **entry.model_dump(),
        "updated_at": (updated_at or datetime.now(UTC)).astimezone(UTC),
    }
