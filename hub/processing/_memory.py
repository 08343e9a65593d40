"""The in-memory runner: the same fold driven from an iterable of messages, no broker involved.

Unit tests use it to check a processor's rules; replay uses it to rebuild every state from
offset 0. Its table is a plain dict that can be handed to a new runner, which then behaves like
a worker restarted on a recovered changelog: offsets below a partition's mark are skipped, and
the due-index of a timer processor is rebuilt from the table's timer entries. ``fire_due(now)``
fires the timers due at ``now``: a test moves time by calling it.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Generic

from hub.deadletter import DeadLetterInput
from hub.processing._fold import Fold, is_internal, mark_key
from hub.processing._timers import decode_due, is_timer, parse_timer_key
from hub.processing._types import Emit, Message, Processor, S


@dataclass
class RunResult(Generic[S]):
    """What a run produced: the table, and everything the faust runner would have sent."""

    table: dict[bytes, bytes]
    published: list[tuple[bytes, bytes]] = field(default_factory=list)
    emits: list[Emit] = field(default_factory=list)
    letters: list[DeadLetterInput] = field(default_factory=list)
    outcomes: Counter[str] = field(default_factory=Counter)
    redelivered: int = 0
    #: decoded states of the keys this run changed (no decoding of the table needed)
    states: dict[bytes, S] = field(default_factory=dict)

    @property
    def messages(self) -> int:
        return sum(self.outcomes.values()) + self.redelivered

    def encoded_states(self) -> Iterator[tuple[bytes, bytes]]:
        """(key, encoded state) of every key in the table (marks and timer entries left out)."""
        return ((k, v) for k, v in self.table.items() if not is_internal(k))


class InMemoryRunner(Generic[S]):
    """Runs ``processor`` over messages; ``table`` may be the table of an earlier run."""

    def __init__(
        self,
        processor: Processor[S],
        table: Mapping[bytes, bytes] | None = None,
        *,
        batch_size: int = 0,
    ) -> None:
        self.processor = processor
        self.table: dict[bytes, bytes] = dict(table or {})
        self._fold: Fold[S] = Fold(processor, self.table)
        if self._fold.timers is not None:
            entries: defaultdict[int, list[tuple[bytes, int]]] = defaultdict(list)
            for key, value in self.table.items():
                if is_timer(key):
                    partition, state_key = parse_timer_key(key)
                    entries[partition].append((state_key, decode_due(value)))
            for partition, pairs in entries.items():
                self._fold.timers.build(partition, pairs)
        # 0: one batch for the whole run (replay: every key encoded once, at the end)
        self._batch_size = batch_size

    def run(self, messages: Iterable[Message]) -> RunResult[S]:
        result: RunResult[S] = RunResult(self.table)
        since_drain = 0
        for message in messages:
            if message.partition is not None and message.offset is not None:
                mark = self._fold.next_offset(message.partition)
                if mark is not None and message.offset < mark:
                    result.redelivered += 1
                    continue
            self._fold.step(message, final=True)
            since_drain += 1
            if self._batch_size and since_drain >= self._batch_size:
                self._drain(result)
                since_drain = 0
        self._drain(result)
        return result

    def fire_due(self, now: datetime) -> RunResult[S]:
        """Fire every timer due at ``now`` (timers a firing schedules at or before ``now`` too)."""
        timers = self._fold.timers
        if timers is None:
            raise TypeError(f"processor {self.processor.name} has no timers")
        result: RunResult[S] = RunResult(self.table)
        now_ms = int(now.timestamp() * 1000)
        while due := timers.pop_due(now_ms, timers.partitions, limit=10_000):
            for partition, key, due_ms in due:
                self._fold.fire(partition, key, due_ms, now)
            self._drain(result)
        return result

    def due(self) -> dict[bytes, datetime]:
        """Every scheduled timer: state key -> due instant (UTC)."""
        timers = self._fold.timers
        if timers is None:
            return {}
        return {key: _from_ms(due) for _, key, due in timers.items()}

    def state(self, key: bytes) -> S | None:
        """The decoded state of ``key`` after the runs so far."""
        stored = self.table.get(key)
        return None if stored is None else self.processor.decode_state(stored)

    def states(self) -> dict[bytes, S]:
        return {
            k: self.processor.decode_state(v) for k, v in self.table.items() if not is_internal(k)
        }

    def _drain(self, result: RunResult[S]) -> None:
        result.states.update(self._fold.states())
        batch = self._fold.drain()
        for writes in batch.writes.values():
            self.table.update(writes)
        for entries in batch.timers.values():
            for key, value in entries.items():
                if value is None:
                    self.table.pop(key, None)
                else:
                    self.table[key] = value
        for partition, offset in batch.marks.items():
            self.table[mark_key(partition)] = str(offset).encode()
        self._fold.saved(batch.marks)
        result.published.extend(batch.publish.items())
        result.emits.extend(batch.emits)
        result.letters.extend(batch.letters)
        result.outcomes.update(batch.outcomes)


def _from_ms(epoch_ms: int) -> datetime:
    return datetime.fromtimestamp(epoch_ms / 1000, UTC)
