"""The due-index is rebuilt from a RocksDB store's timer entries alone, as from a whole table."""

from __future__ import annotations

from pathlib import Path

from rocksdict import Options, Rdict

from hub.processing import encode_due, mark_key, timer_key
from hub.processing._store import timer_entries


class PartitionedStore:
    """faust's RocksDB store as ``timer_entries`` sees it: one raw-mode database a partition."""

    use_rocksdict = True

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.dbs: dict[int, Rdict] = {}

    def _db_for_partition(self, partition: int) -> Rdict:
        if partition not in self.dbs:
            path = str(self.folder / f"p{partition}.db")
            self.dbs[partition] = Rdict(path, Options(raw_mode=True))
        return self.dbs[partition]


def partition_table(partition: int) -> dict[bytes, bytes]:
    """States (keys before and after the timer prefix in byte order), a mark, timer entries."""
    table = {mark_key(partition): b"7"}
    for n in range(50):
        key = f"HS-{partition}-{n}".encode()
        table[key] = b"state"
        table[b"\x00a" + key] = b"an internal key before the timers"
        if n % 3:
            table[timer_key(partition, key)] = encode_due(1_700_000_000_000 + n)
    return table


def test_rocksdb_timer_entries_equal_those_of_a_whole_table_scan(tmp_path: Path) -> None:
    store, table = PartitionedStore(tmp_path), {}
    for partition in range(3):
        entries = partition_table(partition)
        table.update(entries)
        for key, value in entries.items():
            store._db_for_partition(partition)[key] = value
    try:
        from_rocksdb = timer_entries(store, {0, 2})
        from_table = timer_entries(table, {0, 2})
    finally:
        for db in store.dbs.values():
            db.close()
    assert sorted(from_rocksdb) == [0, 2]
    assert len(from_rocksdb[0]) == len(from_rocksdb[2]) == 33
    assert {p: sorted(e) for p, e in from_rocksdb.items()} == {
        p: sorted(e) for p, e in from_table.items()
    }


def test_states_sent_but_not_acknowledged_are_read_before_the_table_and_stored_after() -> None:
    from hub.processing._store import PendingStates

    table: dict[bytes, bytes] = {b"HS-1": b"v1"}
    pending = PendingStates(table)
    first = {b"HS-1": b"v2", b"HS-2": b"v1"}
    pending.hold(first)  # batch 1 sent
    assert pending.get(b"HS-1") == b"v2"
    assert pending.get(b"HS-2") == b"v1"
    assert table == {b"HS-1": b"v1"}  # the store waits for the broker
    second = {b"HS-1": b"v3"}
    pending.hold(second)  # batch 2 sent while batch 1 is in commit
    table.update(first)  # batch 1 acknowledged: stored
    pending.release(first)
    assert pending.get(b"HS-1") == b"v3"  # batch 2's state still wins over the table
    assert pending.get(b"HS-2") == b"v1"
    assert len(pending) == 1
    table.update(second)
    pending.release(second)
    assert len(pending) == 0
    assert pending.get(b"HS-1") == b"v3"
