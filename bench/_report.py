"""Small helpers the benchmarks share: percentiles, resident memory, Kafka placement and
clean-up, Avro string bytes."""

from __future__ import annotations

import resource
import statistics
from collections.abc import Iterable
from pathlib import Path

from kafka.partitioner.default import murmur2

from hub.kafka import delete_prefixed
from hub.settings import Settings


def percentile(samples: list[float], pct: float) -> float:
    """``pct``-th percentile (0-100) by the inclusive method; 0.0 for no samples."""
    if not samples:
        return 0.0
    if len(samples) == 1:
        return samples[0]
    return statistics.quantiles(samples, n=100, method="inclusive")[int(pct) - 1]


def peak_rss_mib() -> float:
    """Peak resident set size of this process, in MiB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def process_memory_mib(pid: int) -> tuple[float, float]:
    """(resident, peak resident) memory of another process ``pid`` in MiB, from /proc."""
    fields = dict(
        line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines()
    )
    return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024


def kafka_partition(key: bytes, partitions: int) -> int:
    """The partition of ``key`` under Kafka's default partitioner (murmur2, as the Java one)."""
    return (int(murmur2(key)) & 0x7FFFFFFF) % partitions


def avro_string(text: str) -> bytes:
    """``text`` as Avro encodes a string: zigzag-varint length, then UTF-8 (short strings)."""
    data = text.encode()
    if len(data) >= 64:  # the length takes one varint byte only below 64
        raise ValueError(f"id too long for an in-place substitution: {text!r}")
    return bytes([2 * len(data)]) + data


def delete_topics(settings: Settings, groups: Iterable[str]) -> None:
    """Delete every topic under ``settings``' prefix, and the consumer ``groups``."""
    delete_prefixed(settings, groups)
