"""Demo section: topics, the registered Avro contract, sample events produced and decoded."""

from __future__ import annotations

import uuid
from collections import Counter
from typing import Any

from rich.table import Table

from dvchub.demo._console import console
from hub.events import payload_name_of
from hub.kafka import ensure_topics, make_consumer
from hub.sample import VN_TZ
from hub.serde import AvroSerde, RegistryClient, register_topic_schemas
from hub.settings import Settings
from hub.topics import DOSSIER_EVENTS


def show_contract(settings: Settings, registry: RegistryClient) -> None:
    console.rule("[bold]Topics and the Avro contract")
    created = ensure_topics(settings)
    ids = register_topic_schemas(registry, settings.topic_prefix)
    table = Table("topic", "partitions", "value schema id", "compatibility")
    for topic, schema_id in ids.items():
        compatibility = registry.compatibility(f"{topic}-value")
        table.add_row(topic, str(settings.partitions), str(schema_id), compatibility)
    console.print(table)
    if created:
        console.print(f"created {len(created)} topics")


def show_decoded(settings: Settings, serde: AvroSerde, events: list[dict[str, Any]]) -> None:
    console.rule("[bold]Read back and decoded (Confluent wire format)")
    topic = DOSSIER_EVENTS.name(settings.topic_prefix)
    consumer = make_consumer(
        settings, topic, group_id=f"dvchub-demo-{uuid.uuid4().hex}", consumer_timeout_ms=5000
    )
    wanted = {e["event_id"] for e in events}
    # only this run's dossiers: earlier runs' records may carry ids of a registry since restarted
    keys = {str(e["dossier_id"]).encode() for e in events}
    table = Table("dossier", "event", "occurred (Asia/Ho_Chi_Minh)", "source", "actor", "p/offset")
    seen: Counter[str] = Counter()
    for message in consumer:
        if message.key not in keys:
            continue
        record = serde.decode(message.value)
        if str(record["event_id"]) not in wanted:
            continue
        actor = record["actor"] or {}
        table.add_row(
            record["dossier_id"],
            payload_name_of(record),
            record["occurred_at"].astimezone(VN_TZ).strftime("%Y-%m-%d %H:%M"),
            record["source"],
            actor.get("official_name") or "-",
            f"{message.partition}/{message.offset}",
        )
        seen[payload_name_of(record)] += 1
        if sum(seen.values()) == len(wanted):
            break
    consumer.close()
    console.print(table)
    kinds = ", ".join(f"{k} {v}" for k, v in sorted(seen.items()))
    console.print(f"decoded {sum(seen.values())}/{len(wanted)} events: {kinds}")
