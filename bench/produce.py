"""Produce rate to the local broker with kafka-python (acks=all, idempotent).

    python bench/produce.py [--events 50000] [--partitions 12]

Events are pre-encoded so the figure is the producer's, then measured again encoding inline.
Acknowledgement latency percentiles come from per-record send -> ack timing.
"""

from __future__ import annotations

import argparse
import sys
import time
import uuid
from itertools import islice
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._report import peak_rss_mib, percentile
from hub.kafka import ensure_topics, make_admin, make_producer
from hub.sample import sample_events
from hub.serde import RegistryClient, serde_for
from hub.settings import get_settings
from hub.topics import DOSSIER_EVENTS


def _produce(producer, topic, keyed_values) -> tuple[float, list[float]]:  # type: ignore[no-untyped-def]
    latencies: list[float] = []

    def record_latency(sent_at: float):  # type: ignore[no-untyped-def]
        return lambda _metadata: latencies.append(time.perf_counter() - sent_at)

    started = time.perf_counter()
    for key, value in keyed_values:
        future = producer.send(topic, key=key, value=value)
        future.add_callback(record_latency(time.perf_counter()))
    producer.flush()
    return time.perf_counter() - started, latencies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=50_000)
    parser.add_argument("--partitions", type=int, default=12)
    args = parser.parse_args()

    base = get_settings()
    settings = base.model_copy(
        update={"topic_prefix": f"bench.{uuid.uuid4().hex[:8]}.", "partitions": args.partitions}
    )
    ensure_topics(settings, [DOSSIER_EVENTS])
    topic = DOSSIER_EVENTS.name(settings.topic_prefix)
    registry = RegistryClient(settings.schema_registry_url)
    serde = serde_for(DOSSIER_EVENTS, settings.topic_prefix, registry)
    # ~5 events a dossier: args.events dossiers give more than enough events.
    events = list(islice(sample_events(args.events), args.events))
    pre_encoded = [(e["dossier_id"].encode(), serde.encode(e)) for e in events]

    producer = make_producer(settings, linger_ms=5, batch_size=256 * 1024)
    elapsed, latencies = _produce(producer, topic, pre_encoded)
    print(
        f"produce: {len(events)} events to {args.partitions} partitions, "
        "kafka-python, acks=all, idempotent"
    )
    print(
        f"  pre-encoded     {len(events) / elapsed:>10,.0f} events/s"
        f"  ({sum(len(v) for _, v in pre_encoded) / elapsed / 2**20:.1f} MiB/s)"
    )
    print(
        f"  ack latency     p50 {percentile(latencies, 50) * 1000:.1f} ms"
        f"  p99 {percentile(latencies, 99) * 1000:.1f} ms"
    )

    inline = ((e["dossier_id"].encode(), serde.encode(e)) for e in events)
    elapsed, latencies = _produce(producer, topic, inline)
    print(
        f"  encode+produce  {len(events) / elapsed:>10,.0f} events/s"
        f"  p99 ack {percentile(latencies, 99) * 1000:.1f} ms"
    )
    producer.close()
    print(f"  peak RSS {peak_rss_mib():>9,.0f} MiB")

    admin = make_admin(settings)
    admin.delete_topics([topic])
    admin.close()
    registry.close()


if __name__ == "__main__":
    main()
