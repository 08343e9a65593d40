"""What a processor is: a pure fold from (state, message) to an outcome, and its declarations."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import ClassVar, Generic, TypeVar

from kafka.consumer.fetcher import ConsumerRecord

from hub.topics import TopicSpec

S = TypeVar("S")

Headers = tuple[tuple[str, bytes | None], ...]


@dataclass(frozen=True, slots=True)
class Message:
    """A consumed record, as received: its bytes and where it came from."""

    value: bytes
    key: bytes | None
    topic: str = ""
    partition: int | None = None
    offset: int | None = None
    headers: Headers = field(default_factory=tuple)
    timestamp_ms: int | None = None

    @classmethod
    def of_record(cls, record: ConsumerRecord) -> Message:
        """From a kafka-python ``ConsumerRecord`` (read back by the runner, or by a replay)."""
        return cls(
            record.value or b"", record.key, record.topic, record.partition, record.offset,
            tuple((str(k), v) for k, v in (record.headers or ())), record.timestamp,
        )  # fmt: skip


@dataclass(frozen=True, slots=True)
class Emit:
    """A record to produce to one of the processor's declared output topics."""

    topic: TopicSpec
    key: bytes | None
    value: bytes | None


@dataclass(frozen=True, slots=True)
class Changed(Generic[S]):
    """The key's state becomes ``state``; ``emits`` are produced; counted under ``outcome``."""

    state: S
    emits: tuple[Emit, ...] = ()
    outcome: str = "applied"


@dataclass(frozen=True, slots=True)
class Unchanged:
    """Nothing to change (e.g. a duplicate). ``republish`` sends the key's current state again:
    a crash may have persisted the state but lost its publication."""

    outcome: str = "ignored"
    republish: bool = False
    emits: tuple[Emit, ...] = ()


@dataclass(frozen=True, slots=True)
class Reject:
    """The message cannot be applied: the runner dead-letters it with its original bytes."""

    reason_code: str
    reason: str


@dataclass(frozen=True, slots=True)
class Deferred:
    """The message needs a side input that may still arrive (a procedure published late).

    A live runner folds it again for up to its grace period, then takes ``give_up``; the
    in-memory runner, whose side inputs are complete, takes ``give_up`` at once.
    """

    give_up: Reject
    waiting_for: str = ""


Outcome = Changed[S] | Unchanged | Reject | Deferred


@dataclass(frozen=True)
class SideInputs:
    """What a processor reads besides its input (a catalogue followed in memory, say): started
    by ``open`` before the first message, part of the worker's readiness and ``/ready``."""

    start: Callable[[], None] = lambda: None
    ready: Callable[[], bool] = lambda: True
    status: Callable[[], Mapping[str, object]] = dict


#: A processor that reads nothing but its input.
NO_SIDE_INPUTS = SideInputs()


class Processor(ABC, Generic[S]):
    """A stateful stream processor, with no Kafka or faust inside.

    It declares its input topic, the table its states live in, the compacted topic each key's
    latest state is published to (if any), and its other output topics. ``fold`` must be pure
    and idempotent under redelivery: the runners deliver at least once, so a processor dedupes
    (e.g. by event id kept in the state) and answers ``Unchanged`` for what it already applied.
    """

    #: Names the processor: metric label, dead-letter ``processor``, default app id suffix.
    name: str
    #: The input topic (keyed: the message key is the state key).
    source: TopicSpec
    #: Name of the state table (its changelog is ``<app id>-<table>-changelog``).
    table: str = "state"
    #: Where each key's latest state is published, coalesced per batch; None: not published.
    state_topic: TopicSpec | None = None
    #: Other topics ``Emit``s may name.
    outputs: tuple[TopicSpec, ...] = ()
    #: Whether states carry durable timers (``next_due`` / ``on_timer``): the runner then keeps
    #: a due-index per partition and folds ``on_timer`` when a key's instant has come.
    timers: ClassVar[bool] = False
    #: Side inputs (``open`` starts them; ``ready`` and ``status`` report them).
    side_inputs: SideInputs = NO_SIDE_INPUTS

    @abstractmethod
    def fold(self, state: S | None, message: Message) -> Outcome[S]:
        """The outcome of ``message`` on the key's current ``state`` (None: never seen)."""

    @abstractmethod
    def encode_state(self, state: S) -> bytes:
        """The table value (and state-topic value) of ``state``."""

    @abstractmethod
    def decode_state(self, data: bytes) -> S:
        """The inverse of ``encode_state``."""

    def next_due(self, state: S) -> datetime | None:
        """When ``state`` next needs ``on_timer`` (None: no timer). Timer processors override it."""
        return None

    def on_timer(self, key: bytes, state: S, now: datetime) -> Changed[S] | Unchanged:
        """The fold of a timer that came due: a new state whose ``next_due`` is later than
        ``now`` (or None), and the records to emit. Pure, like ``fold``: a crash before its
        outcome is persisted calls it again with the same state, so emitted records must carry
        ids derived from the state (the same alert, the same id)."""
        return Unchanged("timer_ignored")

    def open(self) -> None:
        """Blocking set-up before the first message: the side inputs (an override also fetches
        its schema ids, then calls this)."""
        self.side_inputs.start()

    def close(self) -> None:
        """Release what ``open`` acquired."""

    @property
    def ready(self) -> bool:
        """Whether side inputs are loaded (part of the worker's readiness)."""
        return self.side_inputs.ready()

    def status(self) -> Mapping[str, object]:
        """Extra fields for the worker's ``/ready`` document."""
        return self.side_inputs.status()
