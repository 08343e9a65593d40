"""Poison among the real events: records on ``dossier.events`` no processor can read.

Three kinds, in turn, each carrying a unique token so every record's bytes are its own:

    not Avro        bytes without the Confluent header (a producer that does not use the
                    registry)
    unknown schema  the header of a schema id the registry does not know
    another schema  the header of ``dossier.state``'s value schema, which does not resolve
                    to the event schema (a producer writing to the wrong topic)

Each is keyed by a dossier the run filed, so it lands in a partition with traffic behind it:
the processors must dead-letter it and go on (a stalled partition leaves dossiers short of
their final state, which the run would report). ``verify`` then reads the dead-letter topic:
every poison record must be there with a reason and its original bytes, at its own place.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from kafka import KafkaProducer

from hub import kafka
from hub.serde import RegistryClient, frame, serde_for
from hub.settings import Settings
from hub.topics import DEADLETTER, DOSSIER_EVENTS, DOSSIER_STATE

#: A schema id no registry hands out (Confluent's and Apicurio's ids count up from 1).
UNKNOWN_SCHEMA_ID = 2**31 - 1
KINDS = ("not Avro", "unknown schema", "another schema")
#: The processor whose dead letter of each poison record the check requires: every event is
#: its input (the others reading the log dead-letter it too, and are counted).
REQUIRED_BY = "lifecycle"


@dataclass(frozen=True)
class Planted:
    """A poison record, written: where it is and what it is."""

    kind: str
    value: bytes
    partition: int
    offset: int


@dataclass(frozen=True)
class PoisonCheck:
    """Each poison record against the dead-letter topic."""

    planted: int
    #: poison records with no dead letter of ``REQUIRED_BY`` carrying their bytes
    missing: tuple[Planted, ...]
    #: dead letters per processor that set a poison record aside
    by_processor: Mapping[str, int]
    #: the reason codes the poison records got
    reasons: Mapping[str, int]

    @property
    def clean(self) -> bool:
        return not self.missing


class Poisoner:
    """Writes poison to ``settings``' ``dossier.events`` with acks=all, without blocking the
    caller (the producer's callbacks record where each landed)."""

    def __init__(self, settings: Settings, registry: RegistryClient) -> None:
        self._settings = settings
        self._topic = DOSSIER_EVENTS.name(settings.topic_prefix)
        self._foreign_id = serde_for(DOSSIER_STATE, settings.topic_prefix, registry).schema_id
        self._producer: KafkaProducer = kafka.make_producer(
            settings, client_id="dvchub-simulate-poison"
        )
        self._lock = threading.Lock()
        self.sent = 0
        self.planted: list[Planted] = []
        self.failed: list[BaseException] = []

    def _value(self, kind: str) -> bytes:
        token = f"poison {uuid.uuid4()}".encode()
        if kind == "not Avro":
            return token
        return frame(UNKNOWN_SCHEMA_ID if kind == "unknown schema" else self._foreign_id, token)

    def plant(self, dossier_id: str) -> None:
        kind = KINDS[self.sent % len(KINDS)]
        value = self._value(kind)
        self.sent += 1
        future = self._producer.send(self._topic, value, key=dossier_id.encode())

        def landed(metadata: object) -> None:
            with self._lock:
                self.planted.append(
                    Planted(kind, value, int(metadata.partition), int(metadata.offset))  # type: ignore[attr-defined]
                )

        future.add_callback(landed)
        future.add_errback(self.failed.append)

    def close(self) -> None:
        """Flush what is in flight (each send's outcome is then known), then close."""
        self._producer.flush()
        self._producer.close()

    def check(self, registry: RegistryClient) -> PoisonCheck:
        """Every planted record against the dead letters now on the topic."""
        return check_planted(self._settings, registry, self._topic, tuple(self.planted))


def check_planted(
    settings: Settings, registry: RegistryClient, topic: str, planted: Sequence[Planted]
) -> PoisonCheck:
    serde = serde_for(DEADLETTER, settings.topic_prefix, registry)
    at = {(p.partition, p.offset): p for p in planted}
    found: set[tuple[int, int]] = set()
    by_processor: dict[str, int] = {}
    reasons: dict[str, int] = {}
    for record in kafka.read_to_end(settings, DEADLETTER.name(settings.topic_prefix)):
        if not record.value:
            continue
        letter = serde.decode(record.value)
        where = (letter["source_partition"], letter["source_offset"])
        poison = at.get(where) if letter["source_topic"] == topic else None
        if poison is None:
            continue
        processor, code = str(letter["processor"]), str(letter["reason_code"])
        by_processor[processor] = by_processor.get(processor, 0) + 1
        reasons[code] = reasons.get(code, 0) + 1
        if (processor == REQUIRED_BY and letter["original_value"] == poison.value
                and str(letter["reason"] or "").strip()):  # fmt: skip
            found.add(where)
    missing = tuple(p for key, p in at.items() if key not in found)
    return PoisonCheck(len(planted), missing, by_processor, reasons)
