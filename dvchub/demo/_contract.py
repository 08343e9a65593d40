"""Demo section: topics, the registered Avro contract, sample events produced and decoded."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence

from rich.table import Table

from dvchub.demo._console import console
from hub import kafka
from hub.events import payload_name_of
from hub.kafka import ensure_topics, make_consumer, partitions_of
from hub.sample import VN_TZ
from hub.serde import AvroSerde, DecodeError, RegistryClient, register_topic_schemas
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


def show_decoded(
    settings: Settings, serde: AvroSerde, events: Sequence[Mapping[str, object]]
) -> None:
    console.rule("[bold]Read back and decoded (Confluent wire format)")
    topic = DOSSIER_EVENTS.name(settings.topic_prefix)
    # no group: kafka-python 3.0.12 can leave a lone group leader unassigned (_orphaned_join)
    consumer = make_consumer(settings, group_id=None, consumer_timeout_ms=5000)
    consumer.assign(partitions_of(consumer, topic, timeout_s=30))
    wanted = {e["event_id"] for e in events}
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


def show_earlier_runs(
    settings: Settings, serde: AvroSerde, events: Sequence[Mapping[str, object]]
) -> None:
    """What the log kept from earlier runs (the broker's log and the registry's database outlive
    ``make stop``): every record read back and decoded with the schema id it carries."""
    this_run = {str(e["event_id"]) for e in events}
    dossiers: set[str] = set()
    earlier = failed = 0
    for message in kafka.read_to_end(settings, DOSSIER_EVENTS.name(settings.topic_prefix)):
        try:
            record = serde.decode(message.value)
        except DecodeError:
            failed += 1
            continue
        if str(record["event_id"]) not in this_run:
            earlier += 1
            dossiers.add(str(record["dossier_id"]))
    console.print(
        f"the event log keeps {earlier} events of {len(dossiers)} dossiers from earlier runs "
        f"(make stop does not lose them); {failed} of them could not be decoded"
    )
