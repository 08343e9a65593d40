"""The runners' shared core: fold messages into states, a batch at a time, Kafka-free.

Both runners drive this class, so the in-memory runner (unit tests, replay) computes exactly what
the faust runner computes live. Within a batch, a key's state is kept decoded and encoded once
when the batch is drained, however many messages changed it: one table write and one state
publication per key per batch. Per input partition the fold keeps a *next-offset mark*, written
to the table after the batch's states: whoever owns the partition next knows exactly where the
previous owner stopped, whatever offset the consumer group committed.

For a processor with timers the fold also keeps the due-index (``hub.processing._timers``): each
changed state's next due instant becomes a timer entry of the batch, written after the states and
before the marks, and ``fire`` folds a timer that came due like a message.
"""

from __future__ import annotations

import logging
from collections import Counter, OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Generic, Protocol

from hub.deadletter import DeadLetterInput
from hub.processing._timers import DueIndex, encode_due, timer_key
from hub.processing._types import (
    Changed,
    Deferred,
    Emit,
    Message,
    Processor,
    Reject,
    S,
    Unchanged,
)
from hub.serde import RegistryError

log = logging.getLogger(__name__)

#: Table key of the next-offset mark of an input partition; starts with NUL, so no state key.
MARK_PREFIX = b"\x00next-offset."


def mark_key(partition: int) -> bytes:
    return MARK_PREFIX + str(partition).encode()


def is_mark(key: bytes) -> bool:
    return key.startswith(MARK_PREFIX)


def is_internal(key: bytes) -> bool:
    """Whether a table key is the runner's (offset mark, timer entry), not a state's."""
    return key.startswith(b"\x00")


#: Decoded states a fold keeps (``Fold``'s cache), unless told otherwise. Enough for the keys a
#: worker is busy with (a burst of events on one dossier, a batch's neighbours), not for every key
#: it ever saw: a lifecycle state decoded costs about 9 KiB (tracemalloc, DVC_MEMORY_PROBE), so
#: the former 100,000 grew a worker's RSS with each new dossier, up to some 900 MiB; 2,000 hold
#: five times the 400 dossiers bench/load.py interleaves (18 MiB).
DEFAULT_CACHE_STATES = 2_000


def partition_of_mark(key: bytes) -> int:
    """The input partition a mark key (``mark_key(partition)``) belongs to."""
    return int(key[len(MARK_PREFIX) :])


class StateStore(Protocol):
    """What the fold reads committed states from: a faust table, or a plain dict."""

    def get(self, key: bytes, default: None = None) -> bytes | None: ...


@dataclass
class Batch:
    """What one drained batch writes, in the order a runner must write it."""

    #: input partition -> key -> encoded state (the table, by the partition the key lives in)
    writes: dict[int | None, dict[bytes, bytes]] = field(default_factory=dict)
    #: key -> encoded state, for the state topic (changed and republished keys)
    publish: dict[bytes, bytes] = field(default_factory=dict)
    emits: list[Emit] = field(default_factory=list)
    letters: list[DeadLetterInput] = field(default_factory=list)
    #: partition -> timer key -> encoded due instant, or None to delete (after the states)
    timers: dict[int, dict[bytes, bytes | None]] = field(default_factory=dict)
    #: (clock - due) of every timer fired in the batch, in clock seconds
    timer_lags: list[float] = field(default_factory=list)
    #: input partition -> next offset to apply (written after everything above)
    marks: dict[int, int] = field(default_factory=dict)
    outcomes: Counter[str] = field(default_factory=Counter)
    #: timestamps (ms) of the messages folded, for the end-to-end latency metric
    timestamps: list[int] = field(default_factory=list)

    @property
    def messages(self) -> int:
        return sum(self.outcomes.values())


class Fold(Generic[S]):
    """Folds messages with ``processor`` over ``store``; ``drain()`` hands the batch over."""

    def __init__(
        self,
        processor: Processor[S],
        store: StateStore,
        *,
        cache_size: int = DEFAULT_CACHE_STATES,
        complete_timers: bool = True,
    ) -> None:
        self.processor = processor
        self.store = store
        # key -> (encoded, decoded) of the last state written or read: decoding the table's bytes
        # again costs more than most folds, so it is skipped while the stored bytes are equal to
        # the cached ones. Equal, not the same object: a RocksDB store returns a new copy on
        # every read, and another worker may have changed the key while it was not ours.
        self._cache: OrderedDict[bytes, tuple[bytes, S]] = OrderedDict()
        self._cache_size = cache_size
        self._pending: dict[bytes, tuple[int | None, S]] = {}
        self._republish: set[bytes] = set()
        self._batch = Batch()
        #: partition -> next offset of drained batches whose marks are not in the store yet (a
        #: runner writes a batch's marks after its records are acknowledged, while it already
        #: folds the next batch): what the fold applied, not what the store says so far
        self._unsaved: dict[int, int] = {}
        #: the due-index (timer processors only); the faust runner builds it per partition
        self.timers = DueIndex(complete=complete_timers) if processor.timers else None
        #: key -> (partition, firing instant ms, or None) of keys whose timer is re-derived from
        #: the stored state: fired with no change, or a redelivered message (a crash may have
        #: persisted the state but not its timer entry)
        self._retime: dict[bytes, tuple[int, int | None]] = {}

    # -- offsets ---------------------------------------------------------------------------------

    def next_offset(self, partition: int) -> int | None:
        """The first offset of ``partition`` not applied yet (None: the partition is new)."""
        pending = self._batch.marks.get(partition, self._unsaved.get(partition))
        if pending is not None:
            return pending
        stored = self.store.get(mark_key(partition))
        return None if stored is None else int(stored)

    # -- folding ---------------------------------------------------------------------------------

    def step(self, message: Message, *, final: bool = True) -> Deferred | None:
        """Fold one message into the batch. Returns the ``Deferred`` outcome (and changes
        nothing) when the message waits for a side input and ``final`` is False.

        ``hub.serde.RegistryError`` propagates: the registry is down, not the message bad; the
        caller retries. Any other exception is a bug on this message: it is dead-lettered.
        """
        key = message.key
        try:
            outcome = self.processor.fold(None if key is None else self._current(key), message)
        except RegistryError:
            raise
        except Exception as exc:
            log.exception("processing error at %s[%s]@%s", message.topic, message.partition,
                          message.offset)  # fmt: skip
            outcome = Reject("PROCESSING_ERROR", f"{type(exc).__name__}: {exc}")
        if isinstance(outcome, Deferred):
            if not final:
                return outcome
            outcome = outcome.give_up
        batch = self._batch
        if isinstance(outcome, Changed):
            if key is None:
                outcome = Reject("VALIDATION_FAILED", "a message without a key changes no state")
            else:
                self._pending[key] = (message.partition, outcome.state)
                self._republish.discard(key)
                batch.emits.extend(outcome.emits)
        elif isinstance(outcome, Unchanged):
            if outcome.republish and key is not None and key not in self._pending:
                self._republish.add(key)
            if self.timers is not None and key is not None:
                self._retime.setdefault(key, (message.partition or 0, None))
            batch.emits.extend(outcome.emits)
        if isinstance(outcome, Reject):
            batch.letters.append(self.letter(message, outcome))
            batch.outcomes["dead_lettered"] += 1
        else:
            batch.outcomes[outcome.outcome] += 1
        self.advance(message)
        return None

    def advance(self, message: Message) -> None:
        """Move the partition's mark past ``message`` (handled, or skipped as redelivered)."""
        if message.partition is not None and message.offset is not None:
            self._batch.marks[message.partition] = message.offset + 1
        if message.timestamp_ms is not None:
            self._batch.timestamps.append(message.timestamp_ms)

    def fire(self, partition: int, key: bytes, due_ms: int, now: datetime) -> None:
        """Fold the timer of ``key`` (popped from the due-index, due at ``due_ms``) at ``now``.

        ``hub.serde.RegistryError`` propagates after the timer is put back; any other exception
        is logged and the timer dropped (a bug must not fire in a loop).
        """
        assert self.timers is not None
        state = self._current(key)
        batch = self._batch
        now_ms = _epoch_ms(now)
        if state is None:  # the state is gone: so is its timer
            batch.timers.setdefault(partition, {})[timer_key(partition, key)] = None
            self.timers.set(partition, key, None)
            return
        try:
            outcome = self.processor.on_timer(key, state, now)
        except RegistryError:
            self.timers.set(partition, key, due_ms)
            raise
        except Exception:
            log.exception("timer of %r failed; dropped", key)
            outcome = Unchanged("timer_failed")
        batch.timer_lags.append((now_ms - due_ms) / 1000)
        if isinstance(outcome, Changed):
            self._pending[key] = (partition, outcome.state)
            self._republish.discard(key)
            batch.emits.extend(outcome.emits)
        else:
            batch.emits.extend(outcome.emits)
            self._retime[key] = (partition, now_ms)
        batch.outcomes[outcome.outcome] += 1

    def letter(self, message: Message, reject: Reject) -> DeadLetterInput:
        return DeadLetterInput(
            processor=self.processor.name, reason_code=reject.reason_code, reason=reject.reason,
            original_value=message.value, source_topic=message.topic,
            source_partition=message.partition, source_offset=message.offset,
            original_key=message.key, headers=message.headers,
        )  # fmt: skip

    def drain(self) -> Batch:
        """The batch so far, each changed state encoded once; the fold starts a new batch."""
        batch, self._batch = self._batch, Batch()
        publishing = self.processor.state_topic is not None
        for key, (partition, state) in self._pending.items():
            encoded = self.processor.encode_state(state)
            batch.writes.setdefault(partition, {})[key] = encoded
            if publishing:
                batch.publish[key] = encoded
            self._remember(key, encoded, state)
        if self.timers is not None:
            self._schedule_timers(batch)
        if publishing:
            for key in self._republish:
                stored = self.store.get(key)
                if stored is not None:
                    batch.publish[key] = stored
        self._pending.clear()
        self._republish.clear()
        self._unsaved.update(batch.marks)
        return batch

    def saved(self, marks: Mapping[int, int]) -> None:
        """The runner wrote ``marks`` (a drained batch's) to the store."""
        for partition, offset in marks.items():
            if self._unsaved.get(partition) == offset:
                del self._unsaved[partition]

    def _schedule_timers(self, batch: Batch) -> None:
        """Timer entries of the batch: each changed state's next due, if it moved."""
        assert self.timers is not None
        due_of: dict[bytes, tuple[int, int | None]] = {}
        for key, (partition, state) in self._pending.items():
            due = self.processor.next_due(state)
            due_of[key] = (partition or 0, None if due is None else _epoch_ms(due))
        for key, (partition, fired_ms) in self._retime.items():
            if key in due_of:
                continue
            current = self._current(key)
            due = None if current is None else self.processor.next_due(current)
            due_ms = None if due is None else _epoch_ms(due)
            if fired_ms is not None and due_ms is not None and due_ms <= fired_ms:
                # it would fire again at once, forever
                log.warning("timer of %r fired without moving its due instant; dropped", key)
                due_ms = None
            due_of[key] = (partition, due_ms)
        self._retime.clear()
        for key, (partition, due_ms) in due_of.items():
            known = self.timers.known(partition)
            if known and self.timers.get(partition, key) == due_ms:
                continue
            value = None if due_ms is None else encode_due(due_ms)
            batch.timers.setdefault(partition, {})[timer_key(partition, key)] = value
            self.timers.set(partition, key, due_ms)

    @property
    def cached_states(self) -> int:
        """Decoded states kept to skip decoding them again (at most ``cache_size``)."""
        return len(self._cache)

    def states(self) -> Mapping[bytes, S]:
        """Decoded states of the keys changed in the current (undrained) batch."""
        return {key: state for key, (_, state) in self._pending.items()}

    def _current(self, key: bytes) -> S | None:
        pending = self._pending.get(key)
        if pending is not None:
            return pending[1]
        stored = self.store.get(key)
        if stored is None:
            return None
        cached = self._cache.get(key)
        if cached is not None and cached[0] == stored:
            return cached[1]
        state = self.processor.decode_state(stored)
        self._remember(key, stored, state)
        return state

    def _remember(self, key: bytes, encoded: bytes, state: S) -> None:
        self._cache[key] = (encoded, state)
        self._cache.move_to_end(key)
        if len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)


def _epoch_ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)
