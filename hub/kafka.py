"""Kafka clients configured the way the hub needs them (kafka-python).

Producers are idempotent with ``acks=all``: a retried send never duplicates and nothing is
acknowledged to a partner before every in-sync replica has it.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer, TopicPartition
from kafka.admin import NewTopic
from kafka.errors import TopicAlreadyExistsError

from hub.settings import Settings
from hub.topics import ALL_TOPICS, DEADLETTER, DOSSIER_EVENTS, Retention, TopicSpec

# The event log is the source of truth and the dead-letter topic must lose nothing: keep forever.
_KEEP_FOREVER = {DOSSIER_EVENTS.suffix, DEADLETTER.suffix}


def make_producer(settings: Settings, **overrides: Any) -> KafkaProducer:
    config: dict[str, Any] = {
        "bootstrap_servers": settings.bootstrap_servers,
        "acks": "all",
        "enable_idempotence": True,
        "linger_ms": 5,
        "client_id": "dvchub",
    }
    config.update(overrides)
    return KafkaProducer(**config)


def make_consumer(
    settings: Settings, *topics: str, group_id: str | None, **overrides: Any
) -> KafkaConsumer:
    config: dict[str, Any] = {
        "bootstrap_servers": settings.bootstrap_servers,
        "group_id": group_id,
        "auto_offset_reset": "earliest",
        "enable_auto_commit": False,
        "client_id": "dvchub",
    }
    config.update(overrides)
    return KafkaConsumer(*topics, **config)


def make_admin(settings: Settings) -> KafkaAdminClient:
    return KafkaAdminClient(bootstrap_servers=settings.bootstrap_servers, client_id="dvchub-admin")


def topic_config(spec: TopicSpec) -> dict[str, str]:
    config = {"cleanup.policy": spec.retention.value}
    if spec.retention is Retention.LOG and spec.suffix in _KEEP_FOREVER:
        config["retention.ms"] = "-1"
    return config


def ensure_topics(
    settings: Settings,
    specs: Iterable[TopicSpec] = ALL_TOPICS,
    *,
    prefix: str | None = None,
    partitions: int | None = None,
) -> list[str]:
    """Create the hub topics that do not exist yet; returns the names created."""
    prefix = settings.topic_prefix if prefix is None else prefix
    admin = make_admin(settings)
    try:
        existing = set(admin.list_topics())
        wanted = [
            NewTopic(
                name=spec.name(prefix),
                num_partitions=partitions or settings.partitions,
                replication_factor=settings.replication_factor,
                topic_configs=topic_config(spec),
            )
            for spec in specs
            if spec.name(prefix) not in existing
        ]
        # Another process may create a topic between list and create: the same outcome.
        if wanted:
            with contextlib.suppress(TopicAlreadyExistsError):
                admin.create_topics(wanted, timeout_ms=30_000)
        return [t.name for t in wanted]
    finally:
        admin.close()


def follow_topic(
    settings: Settings,
    topic: str,
    on_record: Callable[[bytes | None, bytes | None], None],
    *,
    loaded: threading.Event,
    stop: threading.Event,
    on_loaded: Callable[[], None] = lambda: None,
    max_poll_records: int = 500,
) -> None:
    """Read ``topic`` from offset 0 and keep following it, in the calling thread, until ``stop``.

    ``on_record(key, value)`` sees every record. Once every partition has reached the end offset
    it had at the start, ``on_loaded()`` runs and ``loaded`` is set: a compacted topic is then
    fully materialised. No consumer group: nothing is committed, every start reads it all.
    """
    consumer = make_consumer(settings, group_id=None, max_poll_records=max_poll_records)
    try:
        partitions = None
        while not partitions and not stop.is_set():
            partitions = consumer.partitions_for_topic(topic)
            if not partitions:
                time.sleep(0.2)
        tps = [TopicPartition(topic, p) for p in sorted(partitions or ())]
        consumer.assign(tps)
        consumer.seek_to_beginning(*tps)
        end = consumer.end_offsets(tps)
        while not stop.is_set():
            for records in consumer.poll(timeout_ms=200).values():
                for record in records:
                    on_record(record.key, record.value)
            if not loaded.is_set() and all(consumer.position(tp) >= end[tp] for tp in tps):
                on_loaded()
                loaded.set()
    finally:
        consumer.close()
