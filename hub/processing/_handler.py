"""What a processor on the consume loop declares: its handler and the loop's options."""

from __future__ import annotations

import contextlib
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from prometheus_client import CollectorRegistry

from hub.kafka import GROUP_SESSION_TIMEOUT_MS
from hub.processing import _metrics as m
from hub.processing._avro import Record
from hub.processing._marks import Ticket
from hub.processing._options import RunnerOptions
from hub.processing._types import Reject
from hub.topics import TopicSpec


@dataclass(frozen=True)
class LoopOptions:
    """How one consume loop runs; ``group_id`` is the handler's consumer group."""

    group_id: str
    client_id: str = "dvchub-loop"
    max_poll_records: int = 500
    poll_timeout_s: float = 0.1
    commit_interval_s: float = 0.5
    #: the consumer pauses while this many messages are not done
    max_pending: int = 5_000
    #: how long the group waits for a consumer killed -9 before its partitions move
    session_timeout_s: float = GROUP_SESSION_TIMEOUT_MS / 1000
    ack_timeout_s: float = 30.0
    web_host: str = "127.0.0.1"
    #: None: no web server; 0: any free port
    web_port: int | None = None

    @classmethod
    def of_runner(cls, options: RunnerOptions, group_id: str, client_id: str) -> LoopOptions:
        """The options ``dvchub worker NAME`` parsed that a loop honours."""
        return cls(
            group_id=group_id, client_id=client_id, max_poll_records=options.batch_max,
            commit_interval_s=options.commit_interval_s,
            session_timeout_s=options.session_timeout_s, web_host=options.web_host,
            web_port=options.web_port if options.web_enabled else None,
        )  # fmt: skip


class LoopHandler(ABC):
    """What a processor on the loop does with each decoded message; the rest is the loop's."""

    #: metric label and dead-letter ``processor``
    name: str
    #: the input topic, decoded with its Avro serde
    source: TopicSpec
    #: topics it writes, created before the loop starts
    outputs: tuple[TopicSpec, ...] = ()
    #: registries served on ``/metrics`` besides the default one (the loop's metrics)
    metric_registries: tuple[CollectorRegistry, ...] = ()

    def open(self) -> None:  # noqa: B027 (nothing by default)
        """Blocking set-up before the first message (a ``RegistryError`` is retried)."""

    @abstractmethod
    def handle(self, ticket: Ticket, value: Record) -> Reject | None:
        """Start on ``value``; ``ticket.done`` once its outputs are acknowledged (now or later,
        from any thread). A ``Reject`` is dead-lettered with the message's bytes."""

    def drain(self) -> None:  # noqa: B027 (nothing by default)
        """On stop, before the last commit: finish or abandon the in-flight work."""

    def close(self) -> None:  # noqa: B027 (nothing by default)
        """Release what the handler holds (after the consumer and the producer closed)."""

    def ready(self) -> bool:
        """Whether it can work (part of ``/ready``)."""
        return True

    def details(self) -> Mapping[str, object]:
        """Extra fields of the ``/ready`` document."""
        return {}

    def tick(self, idle: Mapping[int, float]) -> None:
        """Each commit interval: the seconds without progress of each assigned partition. A
        handler whose stall means something else (a partner down) reports it its own way."""
        for partition, seconds in idle.items():
            m.PARTITION_IDLE.labels(self.name, str(partition)).set(seconds)

    def revoked(self, partitions: Sequence[int]) -> None:
        for partition in partitions:
            with contextlib.suppress(KeyError):
                m.PARTITION_IDLE.remove(self.name, str(partition))
