"""A DossierEvent, decoded once: the typed envelope every dossier processor folds.

``decode_event`` is the one place a ``dossier.events`` message becomes an event: it decodes the
Avro (a record no registered schema reads is a dead letter, SCHEMA_NOT_FOUND or UNDECODABLE),
checks that the message key is the dossier id and that the envelope's ``event_type`` names its
payload (VALIDATION_FAILED otherwise), so no processor applies an event the others would refuse.
The payload stays the decoded Avro record of the record ``payload_name`` (a TypedDict of
``hub.records``); ``payload_as`` gives it as its own record type.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar, cast

from hub import records
from hub.events import event_type_of
from hub.processing import Message, Reject, decode_as
from hub.records import Actor, DossierEventPayloadRecord, DossierSubmitted, EventType, SourceSystem
from hub.serde import AvroSerde

#: A payload record type (``hub.records``), as ``payload_as`` takes it.
P = TypeVar("P", bound=Mapping[str, object])


@dataclass(frozen=True, slots=True)
class DossierEvent:
    """The DossierEvent envelope (``vn.dvchub.DossierEvent``); field for field the schema's,
    checked by tests/dossier/test_event.py, with the payload union split into its record's short
    name and its fields."""

    event_id: str
    event_type: EventType
    dossier_id: str
    occurred_at: datetime
    recorded_at: datetime
    source: SourceSystem
    source_event_id: str | None
    actor: Actor | None
    correlation_id: str
    causation_id: str | None
    schema_version: int
    payload_name: str
    payload: DossierEventPayloadRecord

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> DossierEvent:
        """The event of a decoded (or ``hub.events.new_event``-built) DossierEvent record: the
        decoding boundary, where a plain record becomes a ``records.DossierEvent``."""
        return cls.of(cast(records.DossierEvent, record))

    @classmethod
    def of(cls, record: records.DossierEvent) -> DossierEvent:
        """The event of a DossierEvent record."""
        full_name, payload = record["payload"]
        return cls(
            event_id=str(record["event_id"]),
            event_type=record.get("event_type", "UNKNOWN"),
            dossier_id=str(record["dossier_id"]),
            occurred_at=record["occurred_at"],
            recorded_at=record["recorded_at"],
            source=record.get("source", "UNKNOWN"),
            source_event_id=record.get("source_event_id"),
            actor=record.get("actor"),
            correlation_id=str(record.get("correlation_id") or record["dossier_id"]),
            causation_id=record.get("causation_id"),
            schema_version=int(record.get("schema_version", 1)),
            payload_name=str(full_name).rsplit(".", 1)[-1],
            payload=payload,
        )

    def payload_as(self, kind: type[P]) -> P:
        """The payload as the record ``kind`` (its TypedDict); ``TypeError`` if it is another
        record (a bug: ``decode_event`` checked the payload against the event type)."""
        if kind.__name__ != self.payload_name:
            raise TypeError(f"a {self.payload_name} payload is not a {kind.__name__}")
        return cast(P, self.payload)

    @property
    def procedure_code(self) -> str | None:
        """The procedure a DossierSubmitted files under (None for every other event)."""
        if self.event_type != "DOSSIER_SUBMITTED":
            return None
        return self.payload_as(DossierSubmitted)["procedure_code"]


def decode_event(events: AvroSerde, message: Message) -> DossierEvent | Reject:
    """The event ``message`` carries, or why it cannot be applied (a dead letter)."""
    record = decode_as(records.DossierEvent, events, message)
    if isinstance(record, Reject):
        return record
    key = None if message.key is None else message.key.decode("utf-8", "replace")
    if key != record["dossier_id"]:
        return Reject("VALIDATION_FAILED", "message key is not the dossier id")
    event = DossierEvent.of(record)
    if event_type_of(event.payload_name) != event.event_type:
        reason = f"event_type {event.event_type} but payload {event.payload_name}"
        return Reject("VALIDATION_FAILED", reason)
    return event
