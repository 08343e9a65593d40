"""How one faust worker runs a processor: its options, app id, changelog and data directory."""

from __future__ import annotations

import fcntl
import logging
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from hub.processing._fold import DEFAULT_CACHE_STATES
from hub.processing._rocks import RocksBudget, positive_setting
from hub.processing._types import Processor, S
from hub.settings import Settings

log = logging.getLogger(__name__)

#: The table store when nothing else is asked for. RocksDB: a restarted worker reads only the
#: changelog's tail (seconds, where memory re-reads the whole changelog: minutes for a million
#: states). Safe after kill -9 because the runner stores a state only once the changelog and
#: everything the state caused are acknowledged (``hub.processing._store.PendingStates``), and a
#: slot made for another changelog (the topic made again, another cluster) is emptied first
#: (``claim_datadir``).
DEFAULT_STORE = "rocksdb://"
ENV_FOLD_CACHE = "DVC_FOLD_CACHE_STATES"
ENV_MALLOC_TRIM = "DVC_MALLOC_TRIM_S"
#: glibc's free memory given back every this many seconds (``hub.processing._malloc``): a walk
#: over the heap of a few milliseconds, against tens of MiB kept otherwise
DEFAULT_MALLOC_TRIM_S = 30.0
ENV_TIMER_HOLD_LAG = "DVC_TIMER_HOLD_LAG"
ENV_TIMER_HOLD_MAX = "DVC_TIMER_HOLD_MAX_S"
#: how long due timers wait for a backlog before firing anyway (``hub.processing._hold``)
DEFAULT_TIMER_HOLD_MAX_S = 300.0


def _hold_lag() -> int:
    """DVC_TIMER_HOLD_LAG: records a partition may have unread with its due timers firing
    (unset: 0, every record the reading counted must be applied first)."""
    raw = os.environ.get(ENV_TIMER_HOLD_LAG, "").strip()
    if not raw:
        return 0
    if not raw.isdigit():
        raise ValueError(f"{ENV_TIMER_HOLD_LAG} must be a non-negative integer, not {raw!r}")
    return int(raw)


@dataclass(frozen=True)
class RunnerOptions:
    """How one worker runs a processor; the defaults suit production."""

    app_id: str | None = None  # default "<topic prefix><processor name>"
    state_topic: str | None = None  # default: the processor's state topic under the prefix
    web_port: int = 6066
    #: where /ready and /metrics listen (DVC_WEB_HOST; 0.0.0.0 in a container)
    web_host: str = field(default_factory=lambda: os.environ.get("DVC_WEB_HOST", "127.0.0.1"))
    web_enabled: bool = True
    grace_s: float = 2.0  # how long a Deferred message waits for its side input
    session_timeout_s: float = 10.0
    commit_interval_s: float = 5.0
    linger_s: float = 0.005
    watchdog_s: float = 5.0
    batch_max: int = 1000
    batch_within_s: float = 0.005
    store: str = field(default_factory=lambda: os.environ.get("DVC_STATE_STORE", DEFAULT_STORE))
    #: the table data of this machine's workers (default $DVC_STATE_DIR, else a temporary folder);
    #: each worker takes a slot of its own inside it (``claim_datadir``)
    datadir: str | None = field(default_factory=lambda: os.environ.get("DVC_STATE_DIR"))
    #: decoded states the fold keeps to skip decoding them again (DVC_FOLD_CACHE_STATES)
    fold_cache: int = field(
        default_factory=lambda: positive_setting(ENV_FOLD_CACHE) or DEFAULT_CACHE_STATES
    )
    #: seconds between giving glibc's free memory back (DVC_MALLOC_TRIM_S; 0: never)
    malloc_trim_s: float = field(
        default_factory=lambda: float(os.environ.get(ENV_MALLOC_TRIM, DEFAULT_MALLOC_TRIM_S))
    )
    #: RocksDB's memory, shared by the table's databases (DVC_ROCKSDB_*: ``hub.processing._rocks``)
    rocksdb: RocksBudget = field(default_factory=RocksBudget.from_env)
    standby_replicas: int = 0
    clock: str | None = None  # a ``clock_from_spec`` spec; default: $DVC_CLOCK, else wall time
    timer_interval_s: float = 0.2  # how often due timers are looked for
    #: unread records a partition may have while its due timers fire (DVC_TIMER_HOLD_LAG;
    #: default 0: any unread record may be the one cancelling a timer): ``hub.processing._hold``
    timer_hold_lag: int = field(default_factory=_hold_lag)
    #: seconds due timers wait for their partition's backlog before firing anyway
    #: (DVC_TIMER_HOLD_MAX_S)
    timer_hold_max_s: float = field(
        default_factory=lambda: float(os.environ.get(ENV_TIMER_HOLD_MAX, DEFAULT_TIMER_HOLD_MAX_S))
    )


def app_id_for(processor: Processor[S] | type[Processor[S]], settings: Settings) -> str:
    return f"{settings.topic_prefix}{processor.name}"


def changelog_for(
    processor: Processor[S] | type[Processor[S]],
    settings: Settings,
    options: RunnerOptions | None = None,
) -> str:
    """The table's changelog topic, as faust names it: ``<app id>-<table>-changelog`` (of a
    processor, or of its class: both name and table are the class's)."""
    app_id = (options.app_id if options is not None else None) or app_id_for(processor, settings)
    return f"{app_id}-{processor.table}-changelog"


#: Locks of the slots this process holds, open for its lifetime (closing one releases it).
_held: list[IO[bytes]] = []


def claim_datadir(base: str | None, app_id: str, origin: str | None = None) -> Path:
    """A data directory under ``base`` that no other running worker of ``app_id`` uses.

    Two workers of one app on one machine (the kill tests run two) would otherwise open the
    same RocksDB files, which RocksDB refuses. Each worker locks the first free slot
    (``<app id>/slot-<n>``) for as long as it lives; a restarted worker gets the slot its
    predecessor released, and so its RocksDB files: only the changelog's tail is read again.

    ``origin`` names the changelog the slot's data came from (its topic id). A slot of another
    origin is emptied first: its states and next-offset marks describe a log that no longer
    exists (the stack wiped, the topic made again), and would skip the new log's first offsets.
    """
    root = Path(base) if base else Path(tempfile.gettempdir()) / "dvchub-state"
    folder = root / app_id.replace("/", "_")
    folder.mkdir(parents=True, exist_ok=True)
    slot = 0
    while True:
        lock = (folder / f"slot-{slot}.lock").open("ab")
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            lock.close()
            slot += 1
            continue
        _held.append(lock)
        path = folder / f"slot-{slot}"
        if origin is not None:
            _belong(path, origin)
        return path


def _belong(slot: Path, origin: str) -> None:
    """Make ``slot`` hold data of ``origin`` only (emptied if it held another's)."""
    marker = slot / "ORIGIN"
    held = marker.read_text().strip() if marker.exists() else None
    if held != origin and slot.exists() and any(slot.iterdir()):
        log.warning("table data in %s is of another changelog (%s, not %s): emptied",
                    slot, held, origin)  # fmt: skip
        shutil.rmtree(slot)
    slot.mkdir(parents=True, exist_ok=True)
    marker.write_text(origin + "\n")
