"""Kafka's perf tools run against the local stack and their output is parsed into numbers."""

from __future__ import annotations

from bench._kafka_limit import measure_kafka_limit, parse_consumer, parse_producer
from hub.kafka import make_admin
from hub.settings import Settings

RECORDS = 20_000
RECORD_SIZE = 300


def test_kafka_limit_is_measured_and_consistent(stack_settings: Settings) -> None:
    limit = measure_kafka_limit(
        stack_settings, records=RECORDS, record_size=RECORD_SIZE, partitions=3
    )
    p, c = limit.produce, limit.consume
    assert p.records == RECORDS
    assert c.records == RECORDS  # every record sent was counted back
    assert c.mb > 0
    for rate in (p.records_per_s, p.mb_per_s, c.records_per_s, c.mb_per_s):
        assert rate > 0
    for latency in (p.avg_latency_ms, p.p50_ms, p.p95_ms, p.p99_ms, p.p999_ms, p.max_latency_ms):
        assert latency > 0
    assert p.p50_ms <= p.p95_ms <= p.p99_ms <= p.p999_ms <= p.max_latency_ms
    assert p.avg_latency_ms <= p.max_latency_ms
    # The throughput and the volume agree with the record size: MiB/s = records/s * size / 2^20.
    assert abs(p.mb_per_s - p.records_per_s * RECORD_SIZE / 2**20) <= 0.01 * p.mb_per_s + 0.01
    assert abs(c.mb - RECORDS * RECORD_SIZE / 2**20) <= 0.001
    assert limit.kafka_tools_version[0].isdigit()
    admin = make_admin(stack_settings)
    try:
        assert limit.topic not in admin.list_topics()  # deleted afterwards
    finally:
        admin.close()


def test_the_tools_output_is_parsed_by_column() -> None:
    produced = parse_producer(
        "5 records sent, 1.0 records/sec (0.00 MB/sec), 2.0 ms avg latency, 3.0 ms max latency.\n"
        "10 records sent, 4.5 records/sec (0.01 MB/sec), 2.50 ms avg latency, 9.00 ms max "
        "latency, 2 ms 50th, 7 ms 95th, 8 ms 99th, 9 ms 99.9th.\n"
    )
    assert (produced.records, produced.records_per_s, produced.p999_ms) == (10, 4.5, 9.0)
    consumed = parse_consumer(
        "start.time, end.time, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec, "
        "rebalance.time.ms, fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec\n"
        "2025-01-01 00:00:00:000, 2025-01-01 00:00:01:000, 5.7220, 5.7220, 20000, 20000.0, "
        "600, 400, 14.3050, 50000.0\n"
    )
    assert consumed.records == 20000
    assert (consumed.rebalance_ms, consumed.fetch_records_per_s) == (600.0, 50000.0)
