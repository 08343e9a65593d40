"""A consumed record -> a ``Command``, or a dead letter with the original bytes: the outbox
worker's decoding role. A registry outage is waited out (the record is fine); anything that is
not a PartnerCommand is dead-lettered and skipped, so one poison record never stalls a lane."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from typing import Any

from kafka import TopicPartition
from kafka.errors import KafkaError

from connectors.outbox._metrics import OutboxMetrics
from connectors.outbox._types import Command
from hub.deadletter import DeadLetterInput, DeadLetterWriter
from hub.serde import AvroSerde, DecodeError, RegistryError

log = logging.getLogger("connectors.outbox")


@dataclass
class CommandDecoder:
    partner: str
    commands: AvroSerde
    deadletters: DeadLetterWriter
    metrics: OutboxMetrics
    ack_timeout_s: float
    stopping: threading.Event

    def decode(self, tp: TopicPartition, record: Any) -> Command | None:
        """The command, or None once dead-lettered (or when stopping)."""
        while not self.stopping.is_set():
            try:
                return Command.of_record(self.commands.decode(record.value))
            except DecodeError as exc:
                self._dead_letter(tp, record, str(exc))
                return None
            except RegistryError as exc:  # an outage: the record is fine, wait for the registry
                log.warning("registry unavailable decoding a command, retrying: %s", exc)
                self.stopping.wait(1.0)
            except (KeyError, TypeError, ValueError) as exc:
                self._dead_letter(tp, record, f"not a PartnerCommand: {exc}")
                return None
        return None

    def _dead_letter(self, tp: TopicPartition, record: Any, reason: str) -> None:
        letter = DeadLetterInput(
            processor=f"outbox.{self.partner}", reason_code="UNDECODABLE", reason=reason,
            original_value=record.value or b"", source_topic=tp.topic,
            source_partition=tp.partition, source_offset=record.offset, original_key=record.key,
            headers=tuple((str(k), v) for k, v in (record.headers or ())),
        )  # fmt: skip
        while not self.stopping.is_set():
            try:
                self.deadletters.send(letter, timeout_s=self.ack_timeout_s)
                self.metrics.deadletters.labels(self.partner).inc()
                return
            except (KafkaError, RegistryError) as exc:
                log.warning("dead letter not written yet, retrying: %s", exc)
                self.stopping.wait(1.0)
