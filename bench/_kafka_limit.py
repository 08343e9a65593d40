"""Kafka's own limit on this machine, measured with Kafka's own tools.

``org.apache.kafka.tools.ProducerPerformance`` and ``ConsumerPerformance`` (the classes behind
``kafka-producer-perf-test.sh`` and ``kafka-consumer-perf-test.sh``) of the broker's version,
fetched with Maven from ``infra/kafka-tools/pom.xml`` into ``<stack home>/kafka-tools``, run
against the configured cluster on a fresh uuid-named topic that is deleted afterwards. What the
Java clients reach here is the ceiling the hub's Python clients can be compared with.
"""

from __future__ import annotations

import contextlib
import re
import subprocess
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path

from kafka.admin import NewTopic
from kafka.errors import KafkaError

from hub.kafka import java_client_properties, make_admin
from hub.settings import REPO_ROOT, Settings
from hub.stack._maven import copy_dependencies, pom_property, require_tool

TOOLS_INFRA = REPO_ROOT / "infra" / "kafka-tools"
#: The broker's pom holds ``kafka.version``; the tools' pom inherits it (its parent).
BROKER_POM = REPO_ROOT / "infra" / "kafka" / "pom.xml"

_PRODUCER_SUMMARY = re.compile(
    r"(?P<records>\d+) records sent, (?P<rps>[\d.]+) records/sec \((?P<mbps>[\d.]+) MB/sec\), "
    r"(?P<avg>[\d.]+) ms avg latency, (?P<max>[\d.]+) ms max latency, "
    r"(?P<p50>\d+) ms 50th, (?P<p95>\d+) ms 95th, (?P<p99>\d+) ms 99th, (?P<p999>\d+) ms 99.9th"
)


class KafkaToolFailed(RuntimeError):
    """A Kafka tool exited with an error, or printed nothing we can read."""


@dataclass(frozen=True)
class ProducerFigures:
    """ProducerPerformance's summary line (MB are MiB, as the tool computes them)."""

    records: int
    records_per_s: float
    mb_per_s: float
    avg_latency_ms: float
    max_latency_ms: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    p999_ms: float


@dataclass(frozen=True)
class ConsumerFigures:
    """ConsumerPerformance's summary: over the whole run, and over fetching alone (the run
    minus joining the consumer group)."""

    records: int
    mb: float
    records_per_s: float
    mb_per_s: float
    rebalance_ms: float
    fetch_ms: float
    fetch_records_per_s: float
    fetch_mb_per_s: float


@dataclass(frozen=True)
class KafkaLimit:
    kafka_tools_version: str
    topic: str
    partitions: int
    record_size: int
    records: int
    produce: ProducerFigures
    consume: ConsumerFigures


def fetch_kafka_tools(settings: Settings) -> Path:
    """The folder of kafka-tools' jars (fetched once per Kafka version)."""
    version = pom_property(BROKER_POM, "kafka.version")
    return copy_dependencies(
        TOOLS_INFRA / "pom.xml",
        settings.stack_home / "kafka-tools",
        marker=f".fetched-{version}",
        clean=True,
    )


def tools_version(jars: Path) -> str:
    """The version of the kafka-tools jar actually on the classpath."""
    found = sorted(jars.glob("kafka-tools-[0-9]*.jar"))
    if not found:
        raise KafkaToolFailed(f"no kafka-tools jar in {jars}")
    return found[-1].name.removeprefix("kafka-tools-").removesuffix(".jar")


def run_tool(jars: Path, main_class: str, *args: str, timeout_s: float) -> str:
    """Run one tool class; returns its stdout (its log goes to stderr, warnings only)."""
    java = require_tool("java", "install Java 17 (apt-get install -y openjdk-17-jre-headless)")
    argv = [
        java,
        # The tools format numbers with the default locale: pin one whose decimal point is '.'.
        "-Duser.language=en",
        "-Duser.country=US",
        f"-Dlog4j.configuration=file:{TOOLS_INFRA / 'log4j.properties'}",
        "-cp",
        f"{jars}/*",
        main_class,
        *args,
    ]
    try:
        result = subprocess.run(
            argv, capture_output=True, text=True, check=False, timeout=timeout_s
        )
    except subprocess.TimeoutExpired as exc:
        raise KafkaToolFailed(f"{main_class} did not finish within {timeout_s:.0f} s") from exc
    if result.returncode != 0:
        output = (result.stdout + result.stderr)[-3000:]
        raise KafkaToolFailed(f"{main_class} exited with {result.returncode}:\n{output}")
    return result.stdout


def parse_producer(output: str) -> ProducerFigures:
    """The final summary line (the one with percentiles) of ProducerPerformance."""
    matches = list(_PRODUCER_SUMMARY.finditer(output))
    if not matches:
        raise KafkaToolFailed(f"no summary line in ProducerPerformance's output:\n{output[-2000:]}")
    m = matches[-1]
    return ProducerFigures(
        records=int(m["records"]),
        records_per_s=float(m["rps"]),
        mb_per_s=float(m["mbps"]),
        avg_latency_ms=float(m["avg"]),
        max_latency_ms=float(m["max"]),
        p50_ms=float(m["p50"]),
        p95_ms=float(m["p95"]),
        p99_ms=float(m["p99"]),
        p999_ms=float(m["p999"]),
    )


def parse_consumer(output: str) -> ConsumerFigures:
    """ConsumerPerformance's header line and the summary line under it, column by name."""
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    for i, line in enumerate(lines[:-1]):
        if line.startswith("start.time,"):
            header = [name.strip() for name in line.split(",")]
            values = [value.strip() for value in lines[i + 1].split(",")]
            break
    else:
        raise KafkaToolFailed(f"no summary in ConsumerPerformance's output:\n{output[-2000:]}")
    row = dict(zip(header, values, strict=True))
    try:
        return ConsumerFigures(
            records=int(row["data.consumed.in.nMsg"]),
            mb=float(row["data.consumed.in.MB"]),
            records_per_s=float(row["nMsg.sec"]),
            mb_per_s=float(row["MB.sec"]),
            rebalance_ms=float(row["rebalance.time.ms"]),
            fetch_ms=float(row["fetch.time.ms"]),
            fetch_records_per_s=float(row["fetch.nMsg.sec"]),
            fetch_mb_per_s=float(row["fetch.MB.sec"]),
        )
    except (KeyError, ValueError) as exc:
        raise KafkaToolFailed(f"unexpected ConsumerPerformance summary: {row}") from exc


def measure_kafka_limit(
    settings: Settings,
    *,
    records: int,
    record_size: int,
    partitions: int,
    timeout_s: float = 900.0,
) -> KafkaLimit:
    """Produce ``records`` records of ``record_size`` bytes flat out (acks=all, idempotent,
    linger.ms=5), then consume them all, on a fresh topic of ``partitions`` partitions."""
    jars = fetch_kafka_tools(settings)
    topic = f"bench.kafka-limit.{uuid.uuid4().hex[:12]}"
    group = f"{topic}.consumer"
    # The tools log in as this process does; the file holds the password (0600, deleted after).
    with tempfile.NamedTemporaryFile("w", prefix="kafka-login-", suffix=".properties") as login:
        login.write(java_client_properties(settings))
        login.flush()
        admin = make_admin(settings)
        try:
            admin.create_topics(
                [NewTopic(topic, partitions, settings.replication_factor)], timeout_ms=30_000
            )
            produced = run_tool(
                jars,
                "org.apache.kafka.tools.ProducerPerformance",
                "--topic", topic,
                "--num-records", str(records),
                "--record-size", str(record_size),
                "--throughput", "-1",
                "--producer-props",
                f"bootstrap.servers={settings.bootstrap_servers}",
                "acks=all",
                "enable.idempotence=true",
                "linger.ms=5",
                "--producer.config", login.name,
                timeout_s=timeout_s,
            )  # fmt: skip
            consumed = run_tool(
                jars,
                "org.apache.kafka.tools.ConsumerPerformance",
                "--bootstrap-server", settings.bootstrap_servers,
                "--topic", topic,
                "--group", group,
                "--messages", str(records),
                "--consumer.config", login.name,
                timeout_s=timeout_s,
            )  # fmt: skip
            return KafkaLimit(
                kafka_tools_version=tools_version(jars),
                topic=topic,
                partitions=partitions,
                record_size=record_size,
                records=records,
                produce=parse_producer(produced),
                consume=parse_consumer(consumed),
            )
        finally:
            with contextlib.suppress(KafkaError):
                admin.delete_groups([group])
            with contextlib.suppress(KafkaError):
                admin.delete_topics([topic], timeout_ms=30_000)
            admin.close()
