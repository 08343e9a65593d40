"""Kafka's own limit on this machine, measured with Kafka's Java perf tools (not our clients).

    .venv/bin/python bench/kafka_limit.py                          # 1,000,000 x 1,000 B
    .venv/bin/python bench/kafka_limit.py --records 200000 --record-size 300 --partitions 3

Producer: ``ProducerPerformance`` flat out with acks=all, enable.idempotence=true, linger.ms=5
(the hub's producer settings). Consumer: ``ConsumerPerformance`` reading them all back. The jars
(``infra/kafka-tools/pom.xml``, the broker's Kafka version) are fetched on first use.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._kafka_limit import KafkaLimit, measure_kafka_limit
from hub.settings import get_settings


def report(limit: KafkaLimit) -> str:
    p, c = limit.produce, limit.consume
    return "\n".join([
        f"kafka-tools {limit.kafka_tools_version}: {limit.records:,} records of "
        f"{limit.record_size:,} B, {limit.partitions} partitions (topic {limit.topic}, deleted)",
        f"  produce (acks=all, idempotent, linger.ms=5): {p.records:,} records, "
        f"{p.records_per_s:,.0f} records/s, {p.mb_per_s:,.2f} MiB/s",
        f"    latency avg {p.avg_latency_ms:,.1f} ms, p50 {p.p50_ms:,.0f} ms, "
        f"p95 {p.p95_ms:,.0f} ms, p99 {p.p99_ms:,.0f} ms, p99.9 {p.p999_ms:,.0f} ms, "
        f"max {p.max_latency_ms:,.0f} ms",
        f"  consume: {c.records:,} records, {c.mb:,.1f} MiB; whole run {c.records_per_s:,.0f} "
        f"records/s, {c.mb_per_s:,.2f} MiB/s (group join {c.rebalance_ms:,.0f} ms)",
        f"    fetching alone ({c.fetch_ms:,.0f} ms): {c.fetch_records_per_s:,.0f} records/s, "
        f"{c.fetch_mb_per_s:,.2f} MiB/s",
    ])  # fmt: skip


def main() -> None:
    settings = get_settings()
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--record-size", type=int, default=1000, help="bytes per record")
    parser.add_argument("--partitions", type=int, default=settings.partitions)
    args = parser.parse_args()
    limit = measure_kafka_limit(
        settings, records=args.records, record_size=args.record_size, partitions=args.partitions
    )
    print(report(limit))


if __name__ == "__main__":
    main()
