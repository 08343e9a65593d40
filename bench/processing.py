"""The processing runtime, measured in one run on this machine against Kafka's own limit.

Prints, for the lifecycle processor on the local stack:

1. the pure fold on the in-memory runner (decode, fold, encode; no broker), events/s;
2. the faust runner flat out: a backlog consumed by one worker process, events/s;
3. produce -> state latency p50/p99 with a steady offered load (default 1,000 events/s);
4. replay from offset 0, events/s;
5. Kafka's limit with Kafka's own ProducerPerformance / ConsumerPerformance (Java clients),

each as a ratio to that limit. Events interleave many dossiers (each dossier's own order kept),
as a province's traffic does, so per-dossier coalescing in a batch is not flattered.

    .venv/bin/python bench/processing.py
    .venv/bin/python bench/processing.py --live-events 60000 --rate 1000 --paced-seconds 30
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator, Mapping
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run as a script

from bench._kafka_limit import KafkaLimit, measure_kafka_limit
from bench._report import percentile, process_memory_mib
from hub import kafka
from hub.dossier import CatalogEntry
from hub.lifecycle import LifecycleProcessor, replay
from hub.processing import InMemoryRunner, Message, WorkerProcess, rejoin_if_orphaned
from hub.sample import VN_TZ, publish_catalog, sample_events
from hub.serde import RegistryClient, serde_for
from hub.settings import Settings
from hub.topics import DOSSIER_EVENTS, DOSSIER_STATE

Encoded = tuple[bytes, bytes]  # key, value


def interleaved(
    dossiers: int, *, seed: int, start: datetime, window: int = 500
) -> Iterator[Mapping[str, object]]:
    """Sample events of ``dossiers`` dossiers, ``window`` dossiers at a time round-robin."""
    by_dossier: dict[str, list[Mapping[str, object]]] = {}
    for event in sample_events(dossiers, seed=seed, start=start):
        by_dossier.setdefault(str(event["dossier_id"]), []).append(event)
    ids = list(by_dossier)
    for first in range(0, len(ids), window):
        lists = [by_dossier[d] for d in ids[first : first + window]]
        for step in range(max(len(x) for x in lists)):
            yield from (x[step] for x in lists if step < len(x))


def encoded_events(
    settings: Settings, registry: RegistryClient, count: int, *, seed: int, day: datetime
) -> list[Encoded]:
    serde = serde_for(DOSSIER_EVENTS, settings.topic_prefix, registry)
    out: list[Encoded] = []
    for event in interleaved(count // 3 + 1, seed=seed, start=day):
        out.append((str(event["dossier_id"]).encode(), serde.encode(event)))
        if len(out) == count:
            break
    return out


def produce(settings: Settings, records: list[Encoded], rate: float = 0) -> list[float]:
    """Send ``records`` (at ``rate``/s if set); returns each record's send time (epoch s)."""
    topic = DOSSIER_EVENTS.name(settings.topic_prefix)
    producer = kafka.make_producer(settings, linger_ms=5, batch_size=262_144)
    sent: list[float] = []
    started = time.time()
    for i, (key, value) in enumerate(records):
        if rate:
            ahead = started + i / rate - time.time()
            if ahead > 0:
                time.sleep(ahead)
        sent.append(time.time())
        producer.send(topic, key=key, value=value)
    producer.flush()
    producer.close()
    return sent


class StateWatcher(threading.Thread):
    """Timestamps (ms) of the first state record whose history holds each event id."""

    def __init__(self, settings: Settings, registry: RegistryClient) -> None:
        super().__init__(daemon=True)
        self.settings = settings
        self.serde = serde_for(DOSSIER_STATE, settings.topic_prefix, registry)
        self.seen: dict[str, int] = {}
        self.records = 0
        self.stop = threading.Event()

    def run(self) -> None:
        topic = DOSSIER_STATE.name(self.settings.topic_prefix)
        consumer = kafka.make_consumer(self.settings, topic, group_id=f"bench-{uuid.uuid4().hex}",
                                       max_poll_records=5000)  # fmt: skip
        try:
            while not self.stop.is_set():
                batch = consumer.poll(timeout_ms=200)
                rejoin_if_orphaned(consumer, "state watcher")  # else it may never be assigned
                for records in batch.values():
                    for r in records:
                        self.records += 1
                        for entry in self.serde.decode(r.value)["history"]:
                            self.seen.setdefault(str(entry["event_id"]), r.timestamp)
        finally:
            consumer.close()


def event_ids(settings: Settings, registry: RegistryClient, records: list[Encoded]) -> list[str]:
    serde = serde_for(DOSSIER_EVENTS, settings.topic_prefix, registry)
    return [str(serde.decode(value)["event_id"]) for _, value in records]


def pure_fold(
    settings: Settings,
    registry: RegistryClient,
    records: list[Encoded],
    catalog: Mapping[str, CatalogEntry],
) -> float:
    processor = LifecycleProcessor(
        serde_for(DOSSIER_EVENTS, settings.topic_prefix, registry),
        serde_for(DOSSIER_STATE, settings.topic_prefix, registry),
        catalog.get,
    )
    messages = [Message(v, k, "bench", 0, i) for i, (k, v) in enumerate(records)]
    started = time.perf_counter()
    result = InMemoryRunner(processor, batch_size=1000).run(messages)
    seconds = time.perf_counter() - started
    assert result.outcomes["applied"] == len(records), result.outcomes
    return len(records) / seconds


def wait_for(watcher: StateWatcher, ids: list[str], timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while any(i not in watcher.seen for i in ids[-200:]) or len(watcher.seen) < len(ids):
        if time.monotonic() > deadline:
            raise SystemExit(f"only {len(watcher.seen):,} of {len(ids):,} events reached a state")
        time.sleep(0.2)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--live-events", type=int, default=50_000, help="backlog, flat out")
    parser.add_argument("--rate", type=float, default=1000, help="offered events/s, paced")
    parser.add_argument("--paced-seconds", type=float, default=20)
    parser.add_argument("--replay-events", type=int, default=200_000)
    parser.add_argument("--partitions", type=int, default=4)
    parser.add_argument("--batch-max", type=int, default=1000)
    parser.add_argument("--kafka-records", type=int, default=1_000_000)
    args = parser.parse_args()

    settings = Settings().model_copy(
        update={"topic_prefix": f"bench.{uuid.uuid4().hex[:8]}.", "partitions": args.partitions}
    )
    kafka.ensure_topics(settings)
    registry = RegistryClient(settings.schema_registry_url)
    catalog = publish_catalog(settings, registry)
    print(f"prefix {settings.topic_prefix}  partitions {args.partitions}  cores {os.cpu_count()}")

    day = datetime(2025, 3, 3, tzinfo=VN_TZ)
    backlog = encoded_events(settings, registry, args.live_events, seed=11, day=day)
    size = sum(len(v) for _, v in backlog) // len(backlog)
    fold_rate = pure_fold(settings, registry, backlog, catalog)

    # 2. flat out: the backlog is in the log before the worker starts
    produce(settings, backlog)
    ids = event_ids(settings, registry, backlog)
    watcher = StateWatcher(settings, registry)
    watcher.start()
    worker = WorkerProcess(
        "lifecycle", settings, Path(tempfile.mkdtemp(prefix="dvchub-bench-")) / "w.log",
        args=("--batch-max", str(args.batch_max)),
    )  # fmt: skip
    try:
        worker.wait_ready(120)
        wait_for(watcher, ids, timeout_s=900)
        stamps = [watcher.seen[i] for i in ids]
        live_rate = len(ids) / max(1e-3, (max(stamps) - min(stamps)) / 1000)
        rss, _ = process_memory_mib(worker.pid)

        # 3. paced: other dossiers at the offered rate
        paced = encoded_events(settings, registry, int(args.rate * args.paced_seconds), seed=12,
                               day=datetime(2026, 1, 5, tzinfo=VN_TZ))  # fmt: skip
        paced_ids = event_ids(settings, registry, paced)
        sent = produce(settings, paced, rate=args.rate)
        wait_for(watcher, paced_ids, timeout_s=600)
        latencies = [watcher.seen[i] - s * 1000 for i, s in zip(paced_ids, sent, strict=True)]
        refetched = worker.metric("dvchub_processor_refetched_total")
    finally:
        watcher.stop.set()
        worker.stop()

    # 4. replay: the log topped up to --replay-events
    top_up = args.replay_events - len(backlog) - len(paced)
    if top_up > 0:
        produce(settings, encoded_events(settings, registry, top_up, seed=13,
                                          day=datetime(2026, 6, 1, tzinfo=VN_TZ)))  # fmt: skip
    rebuilt = replay(settings, registry, write=False, progress=False)
    registry.close()

    # 5. Kafka's own limit, same record size
    limit: KafkaLimit = measure_kafka_limit(
        settings, records=args.kafka_records, record_size=size, partitions=args.partitions
    )
    produce_limit, consume_limit = limit.produce.records_per_s, limit.consume.fetch_records_per_s
    ceiling = min(produce_limit, consume_limit)

    def row(name: str, value: float, unit: str = "events/s") -> None:
        print(f"  {name:<44} {value:>12,.0f} {unit:<9} {value / ceiling:>7.1%} of Kafka's limit")

    print(f"\nlifecycle events of ~{size} bytes; Kafka's limit = min(produce, consume) "
          f"= {ceiling:,.0f} records/s")  # fmt: skip
    print(f"  Kafka ProducerPerformance (acks=all)         {produce_limit:>12,.0f} records/s"
          f"   p50 {limit.produce.p50_ms:.0f} ms  p99 {limit.produce.p99_ms:.0f} ms")  # fmt: skip
    print(f"  Kafka ConsumerPerformance (fetch)            {consume_limit:>12,.0f} records/s")
    row("1. pure fold, in-memory runner", fold_rate)
    row(f"2. faust runner flat out ({len(ids):,} backlog)", live_rate)
    print(f"     worker RSS after the backlog: {rss:.0f} MiB; refetched records: {refetched:.0f}")
    print(f"  3. produce->state at {args.rate:,.0f} events/s offered ({len(paced):,} events):"
          f" p50 {percentile(latencies, 50):.0f} ms, p99 {percentile(latencies, 99):.0f} ms,"
          f" max {max(latencies):.0f} ms")  # fmt: skip
    row(f"4. replay ({rebuilt.events:,} events)", rebuilt.events_per_s)


if __name__ == "__main__":
    main()
