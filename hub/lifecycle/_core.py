"""One message through the lifecycle, Kafka-free: decode, dedupe, look up, apply, encode.

The faust agent and the replay both drive this core, so a replay computes exactly what the live
processor computed. A message that cannot be handled becomes an error *value* (a
``DeadLetterInput`` carrying the original bytes), never an exception: the partition keeps flowing.
Only a registry outage (``hub.serde.RegistryError``) propagates, because it is not the message's
fault and the message must be retried, not set aside.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from hub.deadletter import DeadLetterInput
from hub.lifecycle._machine import Rejection, apply, is_duplicate
from hub.serde import AvroSerde, DecodeError, SchemaNotFound

PROCESSOR = "lifecycle"

ProcedureLookup = Callable[[str], Mapping[str, Any] | None]


@dataclass(frozen=True)
class RawMessage:
    """A consumed record, as received."""

    value: bytes
    key: bytes | None
    topic: str = ""
    partition: int | None = None
    offset: int | None = None
    headers: tuple[tuple[str, bytes | None], ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class Pending:
    """A decoded, not yet applied event and the dossier's current state."""

    message: RawMessage
    event: dict[str, Any]
    state: dict[str, Any] | None

    @property
    def event_type(self) -> str:
        return str(self.event["event_type"])

    @property
    def procedure_code(self) -> str | None:
        """The catalogue entry this event needs (submission, or the level at acceptance)."""
        if self.event_type == "DOSSIER_SUBMITTED":
            return str(self.event["payload"][1]["procedure_code"])
        if self.event_type == "DOSSIER_ACCEPTED" and self.state is not None:
            code = self.state.get("procedure_code")
            return None if code is None else str(code)
        return None


@dataclass(frozen=True)
class Applied:
    """The new state, and its encoded bytes (the table value and the state-topic value)."""

    dossier_id: str
    state: dict[str, Any]
    encoded: bytes


@dataclass(frozen=True)
class Duplicate:
    """An event id already applied; ``encoded`` is the current state, to publish again."""

    dossier_id: str
    event_id: str
    encoded: bytes


Outcome = Applied | Duplicate | DeadLetterInput


class LifecycleCore:
    """Stateless apart from its serdes; the caller owns the table."""

    def __init__(self, events: AvroSerde, states: AvroSerde, *, cache_size: int = 100_000) -> None:
        self.events = events
        self.states = states
        # dossier id -> (encoded, decoded) of the last state this core produced: decoding the
        # table's bytes again costs more than applying the event, so skip it while they match.
        self._cache: OrderedDict[str, tuple[bytes, dict[str, Any]]] = OrderedDict()
        self._cache_size = cache_size

    def letter(self, message: RawMessage, reason_code: str, reason: str) -> DeadLetterInput:
        return DeadLetterInput(
            processor=PROCESSOR, reason_code=reason_code, reason=reason,
            original_value=message.value, source_topic=message.topic,
            source_partition=message.partition, source_offset=message.offset,
            original_key=message.key, headers=message.headers,
        )  # fmt: skip

    def decode(self, message: RawMessage) -> dict[str, Any] | DeadLetterInput:
        """The decoded DossierEvent, or the dead letter of an undecodable message."""
        try:
            event = self.events.decode(message.value)
        except DecodeError as exc:
            code = (
                "SCHEMA_NOT_FOUND" if isinstance(exc.__cause__, SchemaNotFound) else "UNDECODABLE"
            )
            return self.letter(message, code, str(exc))
        key = None if message.key is None else message.key.decode("utf-8", "replace")
        if key != event["dossier_id"]:
            return self.letter(message, "VALIDATION_FAILED", "message key is not the dossier id")
        event["event_id"] = str(event["event_id"])
        return event

    def load(self, current: bytes | None, dossier_id: str | None = None) -> dict[str, Any] | None:
        if current is None:
            return None
        cached = None if dossier_id is None else self._cache.get(dossier_id)
        if cached is not None and cached[0] == current:
            return cached[1]
        return self.states.decode(current)

    def _remember(self, dossier_id: str, encoded: bytes, state: dict[str, Any]) -> None:
        self._cache[dossier_id] = (encoded, state)
        self._cache.move_to_end(dossier_id)
        if len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)

    def prepare(
        self, message: RawMessage, current: bytes | None
    ) -> Pending | Duplicate | DeadLetterInput:
        """First half: decode and dedupe. ``current`` is the table's encoded state, if any."""
        event = self.decode(message)
        if isinstance(event, DeadLetterInput):
            return event
        state = self.load(current, str(event["dossier_id"]))
        if state is not None and current is not None and is_duplicate(state, event["event_id"]):
            return Duplicate(state["dossier_id"], event["event_id"], current)
        return Pending(message, event, state)

    def finish(
        self, pending: Pending, procedure: Mapping[str, Any] | None
    ) -> Applied | DeadLetterInput:
        """Second half: apply with the catalogue entry looked up by the caller, and encode."""
        result = apply(pending.state, pending.event, procedure)
        if isinstance(result, Rejection):
            return self.letter(pending.message, result.reason_code, result.reason)
        encoded = self.states.encode(result)
        self._remember(result["dossier_id"], encoded, result)
        return Applied(result["dossier_id"], result, encoded)

    def process(
        self, message: RawMessage, current: bytes | None, lookup: ProcedureLookup
    ) -> Outcome:
        """Both halves, for callers that need not wait for the catalogue (replay, tests)."""
        step = self.prepare(message, current)
        if not isinstance(step, Pending):
            return step
        code = step.procedure_code
        return self.finish(step, None if code is None else lookup(code))
