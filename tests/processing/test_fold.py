"""The fold keeps states decoded between batches, whatever object the store hands back."""

from __future__ import annotations

from hub.processing import Fold, Message
from tests.processing.ledger import Ledger


class CountingLedger(Ledger):
    """The ledger, counting how often a state is decoded from the table's bytes."""

    def __init__(self) -> None:
        self.decoded = 0

    def decode_state(self, data: bytes) -> list[str]:
        self.decoded += 1
        return super().decode_state(data)


class CopyingStore(dict[bytes, bytes]):
    """Reads return a fresh copy of the stored bytes, as a RocksDB store does."""

    def get(self, key: bytes, default: None = None) -> bytes | None:  # type: ignore[override]
        value = super().get(key)
        return None if value is None else bytes(bytearray(value))


def run(fold: Fold[list[str]], store: CopyingStore, values: list[str], offset: int) -> int:
    for i, value in enumerate(values):
        fold.step(Message(value.encode(), b"k", "in", 0, offset + i))
    batch = fold.drain()
    for writes in batch.writes.values():
        store.update(writes)
    return offset + len(values)


def test_a_state_written_by_the_fold_is_not_decoded_again() -> None:
    processor, store = CountingLedger(), CopyingStore()
    fold = Fold(processor, store)
    offset = run(fold, store, ["a", "b"], 0)
    run(fold, store, ["c", "d"], offset)
    assert processor.decoded == 0
    assert processor.decode_state(store[b"k"]) == ["a", "b", "c", "d"]


def test_a_state_changed_elsewhere_is_decoded_from_the_store() -> None:
    processor, store = CountingLedger(), CopyingStore()
    fold = Fold(processor, store)
    offset = run(fold, store, ["a"], 0)
    store[b"k"] = processor.encode_state(["a", "x"])  # another worker owned the key meanwhile
    run(fold, store, ["b"], offset)
    assert processor.decoded == 1
    assert processor.decode_state(store[b"k"]) == ["a", "x", "b"]


def test_a_drained_mark_counts_before_the_runner_stores_it() -> None:
    """The faust runner folds the next batch while the last one's marks are still in flight."""
    store = CopyingStore()
    fold = Fold(CountingLedger(), store)
    offset = run(fold, store, ["a", "b"], 0)  # the marks are not written to the store
    assert fold.next_offset(0) == offset
    fold.saved({0: offset})
    assert fold.next_offset(0) is None  # the store's word again: the runner never wrote it
