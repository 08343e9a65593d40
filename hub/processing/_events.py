"""faust's events, as the fold sees them, and faust's notion of the current partition."""

from __future__ import annotations

import contextlib
import weakref
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from faust.streams import _current_event
from faust.types import EventT

from hub.processing._types import Message


class Pinned:
    """Stands for an event of ``partition`` where there is none (a timer, a batch's writes)."""

    __slots__ = ("__weakref__", "message")

    def __init__(self, partition: int) -> None:
        self.message = _PinnedMessage(partition)


@dataclass(frozen=True)
class _PinnedMessage:
    partition: int


@contextlib.contextmanager
def in_partition(event: EventT[bytes] | Pinned) -> Iterator[None]:
    """Make ``event`` faust's current event: a RocksDB store reads and writes the database of
    its partition (faust's notion of "current" would be the *last* event of a batch)."""
    # a Pinned stands in for an event: the store reads only its ``message.partition``
    token = _current_event.set(weakref.ref(event))  # type: ignore[arg-type]
    try:
        yield
    finally:
        _current_event.reset(token)


def in_partition_of(partition: int) -> contextlib.AbstractContextManager[None]:
    """``in_partition`` for a partition number rather than an event."""
    return in_partition(Pinned(partition))


def message_of(event: EventT[bytes]) -> Message:
    raw = event.message
    headers = raw.headers.items() if isinstance(raw.headers, Mapping) else (raw.headers or ())
    timestamp = raw.timestamp
    return Message(
        value=raw.value if raw.value is not None else b"", key=raw.key, topic=raw.topic,
        partition=raw.partition, offset=raw.offset,
        headers=tuple((str(k), v) for k, v in headers),
        timestamp_ms=None if timestamp is None else int(timestamp * 1000),
    )  # fmt: skip
