"""Lifecycle benchmark against the local stack: producer -> Kafka -> faust worker(s) -> state topic.

Prints sustained events/s end to end, p50/p99 latency from produce time to the state record's
timestamp (set by the worker's producer), worker RSS, and replay events/s from offset 0.

    .venv/bin/python bench/lifecycle.py                      # 2,000 dossiers live, 100k replay
    .venv/bin/python bench/lifecycle.py --dossiers 10000 --workers 2 --partitions 4
    .venv/bin/python bench/lifecycle.py --million            # replay 1,000,000 events
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from kafka import TopicPartition

from hub.kafka import ensure_topics, make_consumer, make_producer
from hub.lifecycle._replay import replay
from hub.sample import PROCEDURES, VN_TZ, sample_events
from hub.serde import RegistryClient, serde_for
from hub.settings import REPO_ROOT, Settings
from hub.topics import CATALOG_PROCEDURES, DOSSIER_EVENTS, DOSSIER_STATE


def publish_catalog(settings: Settings, registry: RegistryClient) -> None:
    serde = serde_for(CATALOG_PROCEDURES, settings.topic_prefix, registry)
    producer = make_producer(settings)
    for p in PROCEDURES:
        record: dict[str, Any] = {
            "procedure_code": p.code, "name": p.name, "agency_code": p.agency_code,
            "agency_name": None, "agency_type": "UNKNOWN", "level": p.level,
            "deadline_working_days": p.deadline_days, "fee_lines": [],
            "fee_before_processing": False, "postal_allowed": True,
            "supplement_clock_policy": None, "valid_from": None, "valid_to": None,
            "updated_at": datetime(2025, 1, 1, tzinfo=UTC),
        }  # fmt: skip
        topic = CATALOG_PROCEDURES.name(settings.topic_prefix)
        producer.send(topic, key=p.code.encode(), value=serde.encode(record))
    producer.flush()
    producer.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Worker:
    def __init__(self, settings: Settings, log_dir: Path, name: str, extra: list[str]) -> None:
        self.port = free_port()
        env = {**os.environ, "DVC_TOPIC_PREFIX": settings.topic_prefix,
               "DVC_PARTITIONS": str(settings.partitions)}  # fmt: skip
        self.log = (log_dir / f"{name}.log").open("wb")
        cmd = [sys.executable, "-m", "hub.lifecycle", "worker", "--web-port", str(self.port),
               "--loglevel", "warning", *extra]  # fmt: skip
        self.proc = subprocess.Popen(
            cmd, cwd=REPO_ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT
        )

    def ready(self) -> bool:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/ready", timeout=2) as r:
                s = json.loads(r.read())
        except OSError:
            return False
        return bool(s["catalog_ready"] and s["partitions"] and not s["rebalancing"])

    def rss_mb(self) -> tuple[float, float]:
        """(current RSS, peak RSS) in MiB, from /proc."""
        fields = dict(
            line.split(":", 1)
            for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines()
        )
        return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024

    def agent_ms_per_event(self) -> float:
        """Mean time the agent spends on one event (its own histogram on /metrics)."""
        with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/metrics", timeout=5) as r:
            text = r.read().decode()
        values = {
            line.split(" ")[0]: float(line.split(" ")[1])
            for line in text.splitlines()
            if line.startswith("dvchub_lifecycle_process_seconds_")
        }
        count = values.get("dvchub_lifecycle_process_seconds_count", 0.0)
        return 1000 * values.get("dvchub_lifecycle_process_seconds_sum", 0.0) / max(count, 1.0)

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()


class StateWatcher(threading.Thread):
    """Records, per applied event id, the timestamp of the state record that carries it."""

    def __init__(self, settings: Settings) -> None:
        super().__init__(daemon=True)
        self.settings = settings
        self.seen: dict[str, int] = {}
        self.stop = threading.Event()

    def run(self) -> None:
        # The state value is Confluent-framed Avro; last_event_id is found by decoding.
        with RegistryClient(self.settings.schema_registry_url) as registry:
            serde = serde_for(DOSSIER_STATE, self.settings.topic_prefix, registry)
            topic = DOSSIER_STATE.name(self.settings.topic_prefix)
            consumer = make_consumer(self.settings, group_id=None, max_poll_records=5000)
            tps = [TopicPartition(topic, p) for p in range(self.settings.partitions)]
            consumer.assign(tps)
            consumer.seek_to_beginning(*tps)
            while not self.stop.is_set():
                for records in consumer.poll(timeout_ms=200).values():
                    for r in records:
                        event_id = serde.decode(r.value)["last_event_id"]
                        self.seen.setdefault(event_id, r.timestamp)
            consumer.close()


def pct(values: list[float], q: float) -> float:
    return (
        statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]
        if len(values) > 1
        else values[0]
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--dossiers", type=int, default=2000, help="dossiers in the live run")
    parser.add_argument("--rate", type=float, default=0, help="events/s to produce (0 = flat out)")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument(
        "--commit-interval", type=float, default=5.0, help="worker commit interval (s)"
    )
    parser.add_argument("--partitions", type=int, default=4)
    parser.add_argument(
        "--replay-events", type=int, default=100_000, help="log size for the replay"
    )
    parser.add_argument("--million", action="store_true", help="replay 1,000,000 events")
    args = parser.parse_args()
    replay_events = 1_000_000 if args.million else args.replay_events

    settings = Settings().model_copy(
        update={"topic_prefix": f"bench.{uuid.uuid4().hex[:8]}.", "partitions": args.partitions}
    )
    ensure_topics(settings)
    registry = RegistryClient(settings.schema_registry_url)
    publish_catalog(settings, registry)
    serde = serde_for(DOSSIER_EVENTS, settings.topic_prefix, registry)
    topic = DOSSIER_EVENTS.name(settings.topic_prefix)
    print(f"prefix {settings.topic_prefix}  partitions {args.partitions}  workers {args.workers}")

    log_dir = Path(tempfile.mkdtemp(prefix="dvchub-bench-"))
    extra = ["--commit-interval", str(args.commit_interval)]
    workers = [Worker(settings, log_dir, f"w{i}", extra) for i in range(args.workers)]
    watcher = StateWatcher(settings)
    try:
        deadline = time.monotonic() + 120
        while not all(w.ready() for w in workers):
            if time.monotonic() > deadline:
                raise SystemExit(f"workers not ready; logs in {log_dir}")
            time.sleep(0.5)
        time.sleep(2)  # let the last rebalance settle
        watcher.start()

        events = list(sample_events(args.dossiers, seed=11))
        encoded = [(e["dossier_id"].encode(), serde.encode(e), str(e["event_id"])) for e in events]
        producer = make_producer(settings, linger_ms=5)
        sent_at: dict[str, float] = {}
        started = time.time()
        for i, (key, value, event_id) in enumerate(encoded):
            if args.rate:
                ahead = started + i / args.rate - time.time()
                if ahead > 0:
                    time.sleep(ahead)
            sent_at[event_id] = time.time()
            producer.send(topic, key=key, value=value)
        producer.flush()
        produced_s = time.time() - started

        deadline = time.monotonic() + 600
        while len(watcher.seen) < len(encoded) and time.monotonic() < deadline:
            time.sleep(0.2)
        seen = dict(watcher.seen)
        latencies = [(seen[eid] / 1000 - sent_at[eid]) * 1000 for eid in sent_at if eid in seen]
        last = max(seen[eid] for eid in sent_at if eid in seen) / 1000
        print(f"live: {len(encoded):,} events ({args.dossiers:,} dossiers) produced in "
              f"{produced_s:.1f}s; {len(latencies):,} states seen")  # fmt: skip
        print(
            f"  sustained end-to-end throughput: {len(latencies) / (last - started):,.0f} events/s"
        )
        print(f"  latency produce->state published: p50 {pct(latencies, 50):.0f} ms, "
              f"p99 {pct(latencies, 99):.0f} ms, max {max(latencies):.0f} ms")  # fmt: skip
        for w in workers:
            rss, peak = w.rss_mb()
            print(f"  worker pid {w.proc.pid}: RSS {rss:.0f} MiB (peak {peak:.0f} MiB), "
                  f"agent {w.agent_ms_per_event():.2f} ms/event")  # fmt: skip
    finally:
        watcher.stop.set()
        for w in workers:
            w.stop()

    top_up = replay_events - len(encoded)
    if top_up > 0:
        t = time.time()
        dossiers = top_up // 5 + 1
        count = 0
        start = datetime(2026, 1, 5, tzinfo=VN_TZ)
        for event in sample_events(dossiers, seed=12, start=start):
            producer.send(topic, key=event["dossier_id"].encode(), value=serde.encode(event))
            count += 1
            if count >= top_up:
                break
        producer.flush()
        print(f"topped the log up with {count:,} events in {time.time() - t:.1f}s")
    producer.close()
    result = replay(settings, registry, write=True, progress=True)
    print(f"replay: {result.events:,} events -> {len(result.states):,} dossiers in "
          f"{result.seconds:.1f}s "
          f"= {result.events_per_s:,.0f} events/s (dead letters {dict(result.dead_letters)}, "
          f"duplicates {result.duplicates})")  # fmt: skip
    registry.close()


if __name__ == "__main__":
    main()
