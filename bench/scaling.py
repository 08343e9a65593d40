"""Lifecycle workers scaled out on one topic: 1 -> 2 -> 4 worker processes, one run each.

For each count, on a fresh topic prefix: the workers start on the empty topics and settle (every
partition assigned, no rebalance in progress), then a backlog of lifecycle events is produced
at once and the rate is the events over the span between the first and the last state record
written (the workers' own clock, as bench/processing.py measures one worker). What it prints is
the figure docs/production-kafka.md sizes a national deployment from: events/s for N workers,
and the speed-up over one.

    .venv/bin/python bench/scaling.py                       # against the stack of the settings
    .venv/bin/python bench/scaling.py --events 20000 --workers 1 2 4 --partitions 8

It needs the registry and a broker (``dvchub stack up --brokers 3`` for the production shape);
the machine's cores bound it: N workers on fewer than N free cores measure the cores.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run as a script

from bench.processing import StateWatcher, encoded_events, event_ids, produce, wait_for
from hub import kafka
from hub.processing import WorkerProcess
from hub.sample import VN_TZ, publish_catalog
from hub.serde import RegistryClient
from hub.settings import Settings


@dataclass(frozen=True)
class Scaled:
    workers: int
    events: int
    events_per_s: float
    produced_per_s: float
    load_before: float


def settle(workers: list[WorkerProcess], partitions: int, timeout_s: float = 180.0) -> None:
    """Until every worker is ready and the partitions are shared out among them, each once."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        states = [w.status() for w in workers]
        owned = [p for s in states for p in s.get("partitions", [])]
        calm = all(s.get("ready") and not s.get("rebalancing") for s in states)
        if (
            calm
            and sorted(owned) == list(range(partitions))
            and all(s.get("partitions") for s in states)
        ):
            return
        time.sleep(0.5)
    raise SystemExit(f"{len(workers)} workers did not share {partitions} partitions in time")


def run(base: Settings, workers: int, events: int, partitions: int, logs: Path) -> Scaled:
    settings = base.model_copy(update={
        "topic_prefix": f"scale.{uuid.uuid4().hex[:8]}.", "partitions": partitions,
    })  # fmt: skip
    kafka.ensure_topics(settings)
    registry = RegistryClient(settings.schema_registry_url)
    publish_catalog(settings, registry)
    backlog = encoded_events(settings, registry, events, seed=21,
                             day=datetime(2025, 3, 3, tzinfo=VN_TZ))  # fmt: skip
    ids = event_ids(settings, registry, backlog)
    watcher = StateWatcher(settings, registry)
    watcher.start()
    processes = [WorkerProcess("lifecycle", settings, logs / f"{workers}w-{i}.log")
                 for i in range(workers)]  # fmt: skip
    try:
        for process in processes:
            process.wait_ready(180)
        settle(processes, partitions)
        load_before = os.getloadavg()[0]
        started = time.monotonic()
        produce(settings, backlog)
        produced_per_s = len(backlog) / (time.monotonic() - started)
        wait_for(watcher, ids, timeout_s=900)
        stamps = [watcher.seen[i] for i in ids]
        rate = len(ids) / max(1e-3, (max(stamps) - min(stamps)) / 1000)
    finally:
        watcher.stop.set()
        for process in processes:
            process.stop()
        registry.close()
        kafka.delete_prefixed(settings)  # the run's topics, changelogs included
    return Scaled(workers, len(ids), rate, produced_per_s, load_before)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--events", type=int, default=20_000, help="backlog per run")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--partitions", type=int, default=8)
    args = parser.parse_args()
    if max(args.workers) > args.partitions:
        raise SystemExit("more workers than partitions: the extra ones would idle")
    base = Settings()
    print(f"brokers {base.bootstrap_servers} (replication factor {base.replication_factor}, "
          f"min.insync.replicas {base.min_insync_replicas}); partitions {args.partitions}; "
          f"cores {os.cpu_count()}")  # fmt: skip
    logs = Path(tempfile.mkdtemp(prefix="dvchub-scaling-"))
    results = [run(base, n, args.events, args.partitions, logs) for n in args.workers]
    one = results[0].events_per_s / results[0].workers
    print(f"\n{'workers':>7} {'events':>8} {'events/s':>10} {'per worker':>11} {'speed-up':>9}"
          f" {'produced/s':>11} {'load before':>12}")  # fmt: skip
    for r in results:
        print(f"{r.workers:>7} {r.events:>8,} {r.events_per_s:>10,.0f} "
              f"{r.events_per_s / r.workers:>11,.0f} {r.events_per_s / one:>8.2f}x "
              f"{r.produced_per_s:>11,.0f} {r.load_before:>12.1f}")  # fmt: skip
    print(f"worker logs: {logs}")


if __name__ == "__main__":
    main()
