"""Setting aside what cannot be processed: the ``<prefix>deadletter`` topic.

A bad message becomes a DeadLetter record carrying the reason and the original bytes, unchanged;
the processor then moves on, so no partition ever stalls on a poison message.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TypeGuard, get_args

from kafka import KafkaProducer
from prometheus_client import Counter

from hub.records import DeadLetter, DeadLetterReason
from hub.serde import AvroSerde, RegistryClient, serde_for
from hub.settings import Settings
from hub.topics import DEADLETTER

#: The DeadLetterReason symbols a dead letter may carry (the schema's, less its default).
REASON_CODES: frozenset[DeadLetterReason] = frozenset(get_args(DeadLetterReason)) - {"UNKNOWN"}


DEADLETTERS = Counter(
    "dvchub_deadletters",
    "Messages set aside on the dead-letter topic, by processor and reason.",
    ["processor", "reason_code"],
)


@dataclass(frozen=True)
class DeadLetterInput:
    """What was set aside, where it came from and why."""

    processor: str
    reason_code: str
    reason: str
    original_value: bytes
    source_topic: str = ""
    source_partition: int | None = None
    source_offset: int | None = None
    original_key: bytes | None = None
    headers: tuple[tuple[str, bytes | None], ...] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        if self.reason_code not in REASON_CODES:
            raise ValueError(f"unknown dead-letter reason code {self.reason_code!r}")

    def to_record(self, failed_at: datetime | None = None) -> DeadLetter:
        reason_code = self.reason_code
        assert _is_reason(reason_code)  # checked by __post_init__
        return {
            "dead_letter_id": str(uuid.uuid4()),
            "processor": self.processor,
            "source_topic": self.source_topic,
            "source_partition": self.source_partition,
            "source_offset": self.source_offset,
            "original_key": self.original_key,
            "original_value": self.original_value,
            "headers": [{"key": k, "value": v} for k, v in self.headers],
            "reason_code": reason_code,
            "reason": self.reason,
            "failed_at": failed_at or datetime.now(UTC),
        }


def _is_reason(code: str) -> TypeGuard[DeadLetterReason]:
    return code in REASON_CODES


class DeadLetterWriter:
    """Produces DeadLetter records (synchronously acknowledged) to the dead-letter topic."""

    def __init__(
        self, settings: Settings, producer: KafkaProducer, registry: RegistryClient
    ) -> None:
        self.topic = DEADLETTER.name(settings.topic_prefix)
        self._producer = producer
        self._serde: AvroSerde = serde_for(DEADLETTER, settings.topic_prefix, registry)

    def send(self, letter: DeadLetterInput, *, timeout_s: float = 30.0) -> None:
        """Write ``letter`` and wait for the broker's acknowledgement."""
        self.send_all([letter], timeout_s=timeout_s)

    def send_all(self, letters: Iterable[DeadLetterInput], *, timeout_s: float = 30.0) -> int:
        """Write every letter, then wait until the broker acknowledged all of them."""
        sent = list(letters)
        futures = [
            self._producer.send(
                self.topic, key=letter.original_key, value=self._serde.encode(letter.to_record())
            )
            for letter in sent
        ]
        for future in futures:
            future.get(timeout=timeout_s)
        for letter in sent:
            DEADLETTERS.labels(letter.processor, letter.reason_code).inc()
        return len(futures)
