"""RocksDB's memory in a worker: one budget for all the table's databases, and its figures.

faust keeps one RocksDB database per partition of a table, and opens each with its own defaults
(faust-streaming 0.15.3): memtables of 64 MiB, up to 3 of them, and a block cache of 2 GiB, per
database. A worker that owns the 12 partitions of a hub topic may thus hold 12 x 192 MiB of
memtables before anything is flushed: its RSS follows the data written (states rewritten at
every event) for hundreds of MiB, which ``bench/load.py`` measured as a growth of about 20 MiB
per 10,000 events that looked like a leak.

``RocksBudget`` sets that memory deliberately, per worker, whatever number of partitions it
owns: all its databases share one ``WriteBufferManager`` (memtables flushed once their total
reaches ``memtables_mib``) and one block cache of ``block_cache_mib``, which also holds the
indexes and filters of the open files (otherwise outside any bound, one set per file). Each
setting has an environment variable (``ENV``), read when the worker starts.

``bound_store`` installs the budget on a faust table's store before it opens its databases;
``rocksdb_memory`` sums RocksDB's own figures over the open databases (native memory, which
tracemalloc does not see). With ``hub.processing._store``, this is the one place that reaches
into faust's RocksDB store (``rocksdb_options``, ``_dbs``).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

_MIB = 1024 * 1024

#: field of ``RocksBudget`` -> the environment variable that sets it
ENV = {
    "memtables_mib": "DVC_ROCKSDB_MEMTABLES_MIB",
    "write_buffer_mib": "DVC_ROCKSDB_WRITE_BUFFER_MIB",
    "write_buffers": "DVC_ROCKSDB_WRITE_BUFFERS",
    "block_cache_mib": "DVC_ROCKSDB_BLOCK_CACHE_MIB",
    "max_open_files": "DVC_ROCKSDB_MAX_OPEN_FILES",
}


@dataclass(frozen=True)
class RocksBudget:
    """RocksDB's memory for all the databases (partitions) of one worker's table.

    The defaults bound a worker's RocksDB to about 64 MiB (memtables of 32, at worst 32 + 4 per
    partition while flushes lag; a block cache of 32): the hub's states are a few KiB, and
    the fold keeps the states it works on decoded anyway (``Fold``'s cache), so reads rarely
    reach RocksDB; a larger block cache buys little, a larger memtable only delays the flush.
    """

    #: all memtables of the worker together: past it, the fullest is flushed to disk (a soft
    #: limit: while flushes catch up, each database may hold one more write buffer)
    memtables_mib: int = 32
    #: one database's memtable: flushed when full even under the total
    write_buffer_mib: int = 4
    #: memtables a database may hold (one being written, the others being flushed)
    write_buffers: int = 2
    #: shared by all databases: data blocks read, indexes and filters of the open files
    block_cache_mib: int = 32
    #: files one database keeps open (each open file's reader stays in memory)
    max_open_files: int = 256

    def __post_init__(self) -> None:
        for f in fields(self):
            if getattr(self, f.name) < 1:
                raise ValueError(f"{f.name} ({ENV[f.name]}) must be a positive integer")

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> RocksBudget:
        """The defaults, each replaced by its environment variable if set."""
        given = {name: positive_setting(variable, environ) for name, variable in ENV.items()}
        return cls(**{name: value for name, value in given.items() if value is not None})


def positive_setting(variable: str, environ: Mapping[str, str] | None = None) -> int | None:
    """The positive integer an environment variable sets (None: not set); ValueError naming
    the variable for anything else."""
    raw = (os.environ if environ is None else environ).get(variable, "").strip()
    if not raw:
        return None
    if not raw.isdigit() or int(raw) < 1:
        raise ValueError(f"{variable} must be a positive integer, not {raw!r}")
    return int(raw)


def bounded_options(budget: RocksBudget) -> Any:
    """faust's ``RocksDBOptions`` that open every database inside ``budget`` (rocksdict)."""
    import rocksdict
    from faust.stores.rocksdb import RocksDBOptions

    class BoundedOptions(RocksDBOptions):
        """faust's options (``as_options``, 0.15.3), with the worker's shared cache and write
        buffer manager: one budget across the databases, not one per database."""

        def __init__(self) -> None:
            super().__init__(
                max_open_files=budget.max_open_files,
                write_buffer_size=budget.write_buffer_mib * _MIB,
                max_write_buffer_number=budget.write_buffers,
                block_cache_size=budget.block_cache_mib * _MIB,
                use_rocksdict=True,
            )
            self.cache = rocksdict.Cache(budget.block_cache_mib * _MIB)
            # allow_stall False: a write past the total flushes, it never waits
            self.buffers = rocksdict.WriteBufferManager(budget.memtables_mib * _MIB, False)

        def as_options(self) -> rocksdict.Options:
            options = rocksdict.Options(raw_mode=True)
            options.create_if_missing(True)
            options.set_max_open_files(budget.max_open_files)
            options.set_write_buffer_size(self.write_buffer_size)
            options.set_target_file_size_base(self.target_file_size_base)
            options.set_max_write_buffer_number(self.max_write_buffer_number)
            options.set_write_buffer_manager(self.buffers)
            table = rocksdict.BlockBasedOptions()
            table.set_bloom_filter(self.bloom_filter_size, block_based=True)
            table.set_block_cache(self.cache)
            table.set_cache_index_and_filter_blocks(True)
            table.set_pin_l0_filter_and_index_blocks_in_cache(True)
            table.set_index_type(rocksdict.BlockBasedIndexType.binary_search())
            options.set_block_based_table_factory(table)
            return options

    return BoundedOptions()


def bound_store(store: object, budget: RocksBudget) -> bool:
    """Give a faust table's RocksDB store (``table.data``) ``budget``, before it opens its
    databases; False (nothing done) for another store, or RocksDB through python-rocksdb."""
    if not getattr(store, "use_rocksdict", False) or not hasattr(store, "rocksdb_options"):
        return False
    if getattr(store, "_dbs", None):
        raise RuntimeError("the store's databases are open already: bound it before they open")
    store.rocksdb_options = bounded_options(budget)
    return True


@dataclass(frozen=True)
class RocksMemory:
    """RocksDB's memory in bytes, summed over a store's open databases (one per partition)."""

    databases: int = 0
    memtables: int = 0  # rocksdb.cur-size-all-mem-tables: active and immutable memtables
    block_cache: int = 0  # rocksdb.block-cache-usage (a cache shared by all is counted once)
    table_readers: int = 0  # rocksdb.estimate-table-readers-mem: indexes, filters outside it


def rocksdb_memory(store: object) -> RocksMemory:
    """RocksDB's memory of a faust table's ``data`` (zero for a store that is not RocksDB)."""
    databases = getattr(store, "_dbs", None)
    if not getattr(store, "use_rocksdict", False) or not isinstance(databases, Mapping):
        return RocksMemory()
    totals = dict.fromkeys(_PROPERTIES, 0)
    for db in databases.values():
        for name in totals:
            totals[name] += int(db.property_int_value(name) or 0)
    shared = getattr(getattr(store, "rocksdb_options", None), "cache", None)
    # a cache shared by the databases is reported by each of them: counted once
    cache = totals[_CACHE] if shared is None else int(shared.get_usage())
    return RocksMemory(len(databases), totals[_MEMTABLES], cache, totals[_READERS])


_MEMTABLES = "rocksdb.cur-size-all-mem-tables"
_CACHE = "rocksdb.block-cache-usage"
_READERS = "rocksdb.estimate-table-readers-mem"
_PROPERTIES = (_MEMTABLES, _CACHE, _READERS)
