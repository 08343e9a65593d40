"""Three brokers (``dvchub stack up --brokers 3``) on a stack of their own (ports 29152-29174 and
28082, a tmp stack home): every hub topic has three copies and ``min.insync.replicas`` 2; a
broker kill -9'd in the middle of an ``acks=all`` sequence and started again loses nothing and
duplicates nothing, its partitions' leaders move to the others, and a lifecycle worker applies
every event sent through the kill exactly once; with two brokers down a write is refused
(NotEnoughReplicas), never kept on one copy.

CI runs the short form (one kill). ``DVC_CHAOS_ROUNDS=3`` kills the leader of each partition in
turn. The test prints the recovery: how long the leaders took to move and the first write
accepted after the kill.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePath

import pytest
from kafka import KafkaProducer
from kafka.admin import ConfigResource, ConfigResourceType
from kafka.errors import KafkaError, NotEnoughReplicasError

from hub.kafka import create_topic, ensure_topics, make_admin, make_producer, offsets, read_to_end
from hub.processing import WorkerProcess
from hub.serde import RegistryClient
from hub.settings import Settings
from hub.stack import KafkaNode, LocalStack, link_fetched_components
from hub.stack._security import password_file, principal_settings, security_dir
from hub.stack._server_properties import BrokerSecrets, render_server_properties
from hub.topics import ALL_TOPICS
from tests.lifecycle._support import (
    EventProducer,
    StateReader,
    assert_exactly_applied,
    chain,
    publish_catalog,
)

ROUNDS = int(os.environ.get("DVC_CHAOS_ROUNDS", "1"))
PORT = 29152  # nodes on 29152-29154, 29162-29164, 29172-29174
REGISTRY_PORT = 28082
PARTITIONS = 3
SEND_EVERY_S = 0.005


def _cluster_settings(home: Path, brokers: int = 3) -> Settings:
    return Settings().model_copy(update={
        "kafka_port": PORT, "kafka_controller_port": PORT + 1,
        "kafka_internal_port_override": None, "kafka_plaintext_port": None,
        "kafka_brokers": brokers, "stack_home": home, "registry_port": REGISTRY_PORT,
        "bootstrap_servers_override": None, "registry_url_override": None,
        "replication_factor_override": None, "min_insync_replicas_override": None,
        "partitions": PARTITIONS, "topic_prefix": f"b3.{uuid.uuid4().hex[:8]}.",
        # The stack's own settings are its admin's, whatever the environment says.
        "kafka_security_protocol": "SASL_SSL", "kafka_username": "admin", "kafka_password": None,
        "kafka_password_file": None, "kafka_ca_file": None,
    })  # fmt: skip


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    home = tmp_path_factory.mktemp("stack3")
    link_fetched_components(Settings().stack_home, home)
    stack = LocalStack(_cluster_settings(home))
    try:
        stack.up()
        yield stack
    finally:
        # `down` finds every node under the stack home, whatever node count its settings say.
        one = LocalStack(stack.settings.model_copy(update={"kafka_brokers": 1}))
        assert {"kafka-1", "kafka-2", "kafka-3", "registry"} <= set(one.down())
        assert not any(node.process.pid() for node in stack.brokers)


def _leaders(settings: Settings, topic: str) -> Leaders:
    """partition -> (leader, in-sync replicas), as the cluster says now (a fresh client: the
    last one may have talked to the node just killed)."""
    admin = make_admin(settings)
    try:
        [described] = admin.describe_topics([topic])
    finally:
        admin.close()
    return {
        p["partition_index"]: (p["leader_id"], tuple(sorted(p["isr_nodes"])))
        for p in described["partitions"]
    }


Leaders = dict[int, tuple[int, tuple[int, ...]]]


def _whole(leaders: Leaders) -> bool:
    """Every partition there, each with three copies in sync."""
    return sorted(leaders) == list(range(PARTITIONS)) and all(
        len(isr) == 3 for _, isr in leaders.values()
    )


def _observe(
    what: str, settings: Settings, topic: str, accept: Callable[[Leaders], bool]
) -> tuple[float, Leaders]:
    """Seconds until the cluster's view of ``topic`` is one ``accept`` takes, and that view. The
    view itself, not a second look: that may reach a broker that has not replayed the latest
    metadata records yet."""
    seen: list[Leaders] = []

    def accepted() -> bool:
        seen.append(_leaders(settings, topic))
        return accept(seen[-1])

    return _wait(what, accepted), seen[-1]


def _wait(what: str, condition: Callable[[], object], timeout_s: float = 90.0) -> float:
    """Seconds until ``condition()`` holds (a client error counts as not yet)."""
    started = time.monotonic()
    while time.monotonic() - started < timeout_s:
        try:
            if condition():
                return time.monotonic() - started
        except KafkaError:
            pass
        time.sleep(0.1)
    raise AssertionError(f"{what}: not within {timeout_s:.0f} s")


# -- without a broker ------------------------------------------------------------------------


def test_three_nodes_are_one_quorum_on_their_own_ports(tmp_path: Path) -> None:
    settings = _cluster_settings(tmp_path)
    assert (settings.replication_factor, settings.min_insync_replicas) == (3, 2)
    assert settings.bootstrap_servers == "127.0.0.1:29152,127.0.0.1:29162,127.0.0.1:29172"
    secrets = BrokerSecrets(PurePath("/k.p12"), "k", "b", "c")
    node = KafkaNode(settings, 2)
    lines = render_server_properties(
        node.listeners, secrets, data_dir=PurePath("/d"), quorum=node.quorum
    ).splitlines()
    voters = "controller.quorum.voters=1@127.0.0.1:29153,2@127.0.0.1:29163,3@127.0.0.1:29173"
    for line in ("node.id=2", voters, "min.insync.replicas=2", "default.replication.factor=3",
                 "offsets.topic.replication.factor=3", "transaction.state.log.min.isr=2",
                 "listeners=SASL_SSL://127.0.0.1:29162,INTERNAL://127.0.0.1:29164,"
                 "CONTROLLER://127.0.0.1:29163"):  # fmt: skip
        assert line in lines
    assert node.home == tmp_path / "kafka-2"
    assert node.libs == tmp_path / "kafka" / "libs"  # one copy of the jars for every node
    single = _cluster_settings(tmp_path, brokers=1)
    assert (single.replication_factor, single.min_insync_replicas) == (1, 1)
    assert KafkaNode(single).home == tmp_path / "kafka"
    assert single.bootstrap_servers == "127.0.0.1:29152"


# -- on three brokers ------------------------------------------------------------------------


@pytest.mark.slow
def test_every_hub_topic_has_three_copies_and_needs_two(cluster: LocalStack) -> None:
    settings = cluster.settings
    assert [s.name for s in cluster.status() if s.name.startswith("kafka")] == [
        "kafka-1", "kafka-2", "kafka-3"
    ]  # fmt: skip
    assert all(s.ready for s in cluster.status() if s.name.startswith("kafka"))
    created = ensure_topics(settings)
    assert len(created) == len(ALL_TOPICS)
    # Three copies in sync of every partition (the replication factor is 3, so no more). Waited
    # for: a broker answers from its copy of the metadata log, which may lack the new topics.
    for name in created:
        _observe(f"{name} on three brokers", settings, name, _whole)
    admin = make_admin(settings)
    try:
        configs = admin.describe_configs(
            [ConfigResource(ConfigResourceType.TOPIC, name) for name in created]
        )
    finally:
        admin.close()
    for name in created:
        assert configs["topic"][name]["min.insync.replicas"]["value"] == "2"


@pytest.mark.slow
def test_the_cli_finds_every_node_without_being_told(cluster: LocalStack) -> None:
    s = cluster.settings
    env = {k: v for k, v in os.environ.items() if not k.startswith("DVC_")} | {
        "DVC_STACK_HOME": str(s.stack_home), "DVC_KAFKA_PORT": str(s.kafka_port),
        "DVC_KAFKA_CONTROLLER_PORT": str(s.kafka_controller_port),
        "DVC_REGISTRY_PORT": str(s.registry_port), "COLUMNS": "200", "DVC_DEV_SECRETS": "1",
    }  # fmt: skip
    shown = subprocess.run(
        [sys.executable, "-m", "dvchub", "stack", "status"],
        env=env, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert shown.returncode == 0, shown.stdout + shown.stderr
    rows = [line.split()[1] for line in shown.stdout.splitlines() if "ready" in line]
    assert rows == ["kafka-1", "kafka-2", "kafka-3", "registry"]


@dataclass
class NumberedWrites:
    """A numbered sequence written with acks=all, record ``i`` to partition ``i % PARTITIONS``,
    by one idempotent producer on a thread of its own; when each write was acknowledged.
    ``sent``: the next number (a round goes on from the last one's)."""

    producer: KafkaProducer
    topic: str
    sent: int = 0
    acked: list[tuple[float, int]] = field(default_factory=list)  # (monotonic, partition)
    failed: list[BaseException] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)

    def run(self) -> None:
        while not self.stop.is_set():
            i, partition = self.sent, self.sent % PARTITIONS
            future = self.producer.send(self.topic, str(i).encode(), partition=partition)
            future.add_callback(lambda _, p=partition: self.acked.append((time.monotonic(), p)))
            future.add_errback(self.failed.append)
            self.sent += 1
            time.sleep(SEND_EVERY_S)

    def first_ack_after(self, moment: float, partitions: set[int]) -> float | None:
        """Seconds from ``moment`` to the first write to ``partitions`` acknowledged after it."""
        after = [t for t, p in list(self.acked) if t > moment and p in partitions]
        return min(after) - moment if after else None


@dataclass
class DossierWrites:
    """A lifecycle worker's input meanwhile: a new dossier's two events every 50 ms."""

    producer: EventProducer
    expected: dict[str, list[str]] = field(default_factory=dict)
    stop: threading.Event = field(default_factory=threading.Event)

    def run(self) -> None:
        while not self.stop.is_set():
            dossier = f"HS-{uuid.uuid4().hex[:10]}"
            events = chain(dossier, "DOSSIER_SUBMITTED", "DOSSIER_ACCEPTED")
            for event in events:
                self.producer.send_raw(dossier, self.producer.serde.encode(event))
            self.expected[dossier] = [str(e["event_id"]) for e in events]
            time.sleep(10 * SEND_EVERY_S)


def _kill_round(
    cluster: LocalStack, topic: str, victim_partition: int, dossiers: DossierWrites, first: int
) -> tuple[str, int]:
    """Kill -9 the leader of ``victim_partition`` under a sequence numbered from ``first`` (and
    ``dossiers``), start it again, and wait until it is back in every ISR; what happened, for
    the output, and the next number."""
    settings = cluster.settings
    _, before = _observe("the topic whole before the kill", settings, topic, _whole)
    victim = before[victim_partition][0]
    led = {p for p, (leader, _) in before.items() if leader == victim}
    sequence = NumberedWrites(make_producer(settings, linger_ms=5), topic, first)
    dossiers.stop.clear()
    writers = [threading.Thread(target=w.run, daemon=True) for w in (sequence, dossiers)]
    for writer in writers:
        writer.start()
    try:
        time.sleep(2)
        killed_at = time.monotonic()
        cluster.kill(f"kafka-{victim}")
        election_s, moved = _observe("leaders moved", settings, topic, lambda leaders: (
            led <= set(leaders) and all(leaders[p][0] not in (victim, -1) for p in led)
        ))  # fmt: skip
        _wait("a write accepted after the kill", lambda: sequence.first_ack_after(killed_at, led))
        recovery_s = sequence.first_ack_after(killed_at, led) or 0.0
        time.sleep(2)
        node = cluster.brokers[victim - 1]
        restarted_at = time.monotonic()
        node.start()
        node.process.wait_ready(node.is_ready, settings.stack_start_timeout_s)
        whole_s, _ = _observe("the restarted broker back in every ISR", settings, topic, _whole)
        rejoined_s = time.monotonic() - restarted_at
        time.sleep(1)
    finally:
        sequence.stop.set()
        dossiers.stop.set()
        for writer in writers:
            writer.join()
        dossiers.producer.flush()
        sequence.producer.flush(timeout=120)
        sequence.producer.close()
    assert not sequence.failed, sequence.failed[:3]
    assert len(sequence.acked) == sequence.sent - first
    assert all(moved[p][0] != victim for p in led)
    return (
        f"killed kafka-{victim} (leader of partitions {sorted(led)}): leaders moved in "
        f"{election_s:.1f} s, first write to them accepted {recovery_s:.1f} s after the kill; "
        f"{sequence.sent - first} writes, every one acknowledged; restarted, in every ISR again "
        f"{rejoined_s:.1f} s later (ISR whole {whole_s:.1f} s after it was ready)"
    ), sequence.sent


def _worker_env(settings: Settings, principal: str) -> dict[str, str]:
    """A worker process's login to this stack (not the one of the environment)."""
    return {
        "DVC_KAFKA_SECURITY_PROTOCOL": "SASL_SSL",
        "DVC_BOOTSTRAP_SERVERS": settings.bootstrap_servers,
        "DVC_SCHEMA_REGISTRY_URL": settings.schema_registry_url,
        "DVC_KAFKA_USERNAME": principal,
        "DVC_KAFKA_PASSWORD_FILE": str(password_file(settings, principal)),
        "DVC_KAFKA_CA_FILE": str(security_dir(settings) / "ca.pem"),
        "DVC_REPLICATION_FACTOR": str(settings.replication_factor),  # its changelog's too
    }


@pytest.mark.slow
@pytest.mark.timeout(240 + 150 * ROUNDS)
def test_a_broker_killed_under_acks_all_writes_loses_nothing(
    cluster: LocalStack, tmp_path: Path
) -> None:
    settings = cluster.settings
    topic = f"{settings.topic_prefix}sequence"
    assert create_topic(settings, topic)
    ensure_topics(settings)
    with RegistryClient(settings.schema_registry_url) as registry:
        publish_catalog(settings, registry)
        worker = WorkerProcess(
            "lifecycle", principal_settings(settings, "lifecycle"), tmp_path / "lifecycle.log",
            args=("--catalog-grace", "1.5"), env=_worker_env(settings, "lifecycle"),
        )  # fmt: skip
        dossiers = DossierWrites(EventProducer(settings, registry))
        written = 0
        try:
            worker.wait_ready(timeout_s=120)
            for round_ in range(ROUNDS):
                done, written = _kill_round(cluster, topic, round_ % PARTITIONS, dossiers, written)
                print(f"\nround {round_ + 1}: {done}")
            reader = StateReader(settings, registry)
            assert_exactly_applied(reader, dossiers.expected, timeout_s=180)
        finally:
            dossiers.producer.close()
            worker.stop()
    print(f"the lifecycle worker applied the events of {len(dossiers.expected)} dossiers "
          "written through the kill, each once, in order")  # fmt: skip
    values: dict[int, list[int]] = defaultdict(list)
    for record in read_to_end(settings, topic):
        values[record.partition].append(int(record.value))
    for partition in range(PARTITIONS):
        # Exactly once and in order: every number written to the partition, none twice.
        assert values[partition] == list(range(partition, written, PARTITIONS))
    print(f"read back {written} records, each once, in order per partition")


@pytest.mark.slow
def test_with_two_brokers_down_a_write_is_refused_not_lost(cluster: LocalStack) -> None:
    settings = cluster.settings
    topic = f"{settings.topic_prefix}refused"
    assert create_topic(settings, topic)
    _write(settings, topic, b"before")
    end_before = offsets(settings, topic)
    # A clean stop: each leaves the ISRs through the controller while it still has a quorum.
    for node in cluster.brokers[1:]:
        assert node.process.stop()
    # No retry: the broker's answer itself is what the test looks at.
    producer = make_producer(settings, retries=0, enable_idempotence=False, max_block_ms=10_000)
    refusals: list[str] = []

    def refused() -> bool:
        try:
            producer.send(topic, b"on one copy", partition=0).get(timeout=15)
        except NotEnoughReplicasError as exc:
            refusals.append(type(exc).__name__)
            return True
        raise AssertionError("a write was acknowledged with one copy in sync")

    try:
        _wait("NotEnoughReplicas with one broker left", refused, timeout_s=60)
    finally:
        producer.close(timeout=5)
        for node in cluster.brokers[1:]:
            node.start()
        for node in cluster.brokers[1:]:
            node.process.wait_ready(node.is_ready, settings.stack_start_timeout_s)
    assert refusals == ["NotEnoughReplicasError"]
    assert offsets(settings, topic) == end_before  # nothing was appended on one copy
    _write(settings, topic, b"after")


def _write(settings: Settings, topic: str, value: bytes) -> None:
    producer = make_producer(settings)
    try:
        producer.send(topic, value, partition=0).get(timeout=60)
    finally:
        producer.close()
