"""A stack of its own (ports 29092/29093/28081, a tmp stack home) keeps every record and every
schema id across ``down``/``up`` and across a kill -9 of both JVMs (a reboot)."""

from __future__ import annotations

import os
import shutil
import signal
import time
from collections.abc import Iterator, Mapping, Sequence

import pytest

from hub.kafka import create_topic, make_admin, make_producer, read_to_end
from hub.serde import AvroSerde, RegistryClient
from hub.serde._schemas import Schema
from hub.settings import Settings
from hub.stack import LocalStack, link_fetched_components

pytestmark = pytest.mark.slow

TOPIC = "durable.readings"
SUBJECT = f"{TOPIC}-value"
READING: Schema = {
    "type": "record",
    "name": "Reading",
    "namespace": "test.durable",
    "fields": [{"name": "n", "type": "int"}, {"name": "note", "type": "string"}],
}
# A second subject, registered just before the kill -9: the newest write must survive too.
LATE_TOPIC = "durable.late"
LATE: Schema = {
    "type": "record",
    "name": "Late",
    "namespace": "test.durable",
    "fields": [{"name": "when", "type": "long"}],
}


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    home = tmp_path_factory.mktemp("stack")
    shared = Settings()
    link_fetched_components(shared.stack_home, home)
    settings = shared.model_copy(
        update={
            "kafka_port": 29092,
            "kafka_controller_port": 29093,
            "registry_port": 28081,
            "stack_home": home,
            "bootstrap_servers_override": None,
            "registry_url_override": None,
            "partitions": 1,
        }
    )
    own = LocalStack(settings)
    try:
        yield own
    finally:
        own.down()


def _kill_9(stack: LocalStack) -> None:
    """What a power cut leaves: both JVMs gone without shutting down, stale pid files."""
    for component in (stack.kafka, stack.registry):
        pid = component.process.pid()
        assert pid is not None
        os.killpg(pid, signal.SIGKILL)
    deadline = time.monotonic() + 30
    while stack.kafka.process.pid() or stack.registry.process.pid():
        assert time.monotonic() < deadline, "a killed JVM did not go away"
        time.sleep(0.1)


def _decoded(
    stack: LocalStack, topic: str, subject: str, schema: Schema
) -> list[dict[str, object]]:
    """The topic's records, decoded with a fresh registry client (no cached schema)."""
    with RegistryClient(stack.settings.schema_registry_url) as fresh:
        serde = AvroSerde(fresh, subject, schema)
        return [serde.decode(r.value) for r in read_to_end(stack.settings, topic, timeout_s=60)]


def _produce(
    stack: LocalStack, serde: AvroSerde, topic: str, records: Sequence[Mapping[str, object]]
) -> None:
    create_topic(stack.settings, topic, partitions=1)
    producer = make_producer(stack.settings)
    try:
        for record in records:
            producer.send(topic, serde.encode(record)).get(timeout=30)
    finally:
        producer.close()


def test_records_and_schema_ids_survive_down_up_and_kill_9(stack: LocalStack) -> None:
    statuses = stack.up()
    assert {s.name for s in statuses if s.started_in_s is not None} == {"kafka", "registry"}

    readings = [{"n": i, "note": f"reading {i}"} for i in range(20)]
    with RegistryClient(stack.settings.schema_registry_url) as registry:
        serde = AvroSerde(registry, SUBJECT, READING)
        _produce(stack, serde, TOPIC, readings)
        reading_id = serde.schema_id

    # An orderly stop and start: nothing is removed, nothing renumbered.
    assert sorted(stack.down()) == ["kafka", "registry"]
    statuses = stack.up()
    assert all(s.ready and s.started_in_s is not None for s in statuses)
    assert _decoded(stack, TOPIC, SUBJECT, READING) == readings
    with RegistryClient(stack.settings.schema_registry_url) as fresh:
        assert fresh.schema_by_id(reading_id) == READING
        assert fresh.register(SUBJECT, READING) == reading_id

        # The newest writes just before the power cut: a new subject and its records.
        late_serde = AvroSerde(fresh, f"{LATE_TOPIC}-value", LATE)
        late = [{"when": 1_700_000_000_000 + i} for i in range(5)]
        _produce(stack, late_serde, LATE_TOPIC, late)
        late_id = late_serde.schema_id
    assert late_id != reading_id

    _kill_9(stack)
    stack.up()
    assert _decoded(stack, TOPIC, SUBJECT, READING) == readings
    assert _decoded(stack, LATE_TOPIC, f"{LATE_TOPIC}-value", LATE) == late
    with RegistryClient(stack.settings.schema_registry_url) as fresh:
        assert fresh.register(f"{LATE_TOPIC}-value", LATE) == late_id
        # New ids continue after the stored ones instead of reusing them.
        newer = {**READING, "name": "Other"}
        assert fresh.register("durable.other-value", newer) not in {reading_id, late_id}


def test_a_broker_log_without_a_registry_database_is_emptied(stack: LocalStack) -> None:
    """A stack home from the in-memory days: its records' schema ids mean nothing any more."""
    stack.up()
    create_topic(stack.settings, "durable.orphaned", partitions=1)
    stack.down()
    shutil.rmtree(stack.registry.data_dir)
    progress: list[str] = []
    stack.up(progress.append)
    assert any("empty broker" in line for line in progress)
    admin = make_admin(stack.settings)
    try:
        assert not {t for t in admin.list_topics() if t.startswith("durable.")}
    finally:
        admin.close()
    with RegistryClient(stack.settings.schema_registry_url) as fresh:
        assert fresh.subjects() == []
