"""Kafka clients configured the way the hub needs them (kafka-python).

Producers are idempotent with ``acks=all``: a retried send never duplicates and nothing is
acknowledged to a partner before every in-sync replica has it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable
from typing import Any

from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer
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
