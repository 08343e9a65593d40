"""Interoperability with an independent standard client: confluent-kafka's schema-registry
client and Avro (de)serializers, against the same registry and broker, in both directions."""

from __future__ import annotations

import json
import uuid
from typing import Any

from confluent_kafka import Consumer, Producer
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer, AvroSerializer
from confluent_kafka.serialization import MessageField, SerializationContext
from fastavro.schema import to_parsing_canonical_form

from hub.events import payload_name_of
from hub.kafka import librdkafka_config, make_consumer, make_producer
from hub.sample import sample_events
from hub.serde import RegistryClient, load_schema, serde_for
from hub.settings import Settings
from hub.topics import DOSSIER_EVENTS


def _confluent_consumer(settings: Settings, topic: str) -> Consumer:
    consumer = Consumer(
        {
            "bootstrap.servers": settings.bootstrap_servers,
            **librdkafka_config(settings),
            "group.id": f"test-{uuid.uuid4().hex}",
            "auto.offset.reset": "earliest",
        }
    )
    consumer.subscribe([topic])
    return consumer


def _poll_values(consumer: Consumer, count: int, timeout_s: float = 30.0) -> list[bytes]:
    import time

    values: list[bytes] = []
    deadline = time.monotonic() + timeout_s
    while len(values) < count and time.monotonic() < deadline:
        message = consumer.poll(1.0)
        if message is not None and message.error() is None:
            value = message.value()
            assert value is not None
            values.append(value)
    consumer.close()
    return values


def test_confluent_client_reads_what_the_hub_writes(
    hub_topics: Settings, registry: RegistryClient
) -> None:
    topic = DOSSIER_EVENTS.name(hub_topics.topic_prefix)
    serde = serde_for(DOSSIER_EVENTS, hub_topics.topic_prefix, registry)
    events = list(sample_events(4, seed=11))
    producer = make_producer(hub_topics)
    for event in events:
        producer.send(topic, key=event["dossier_id"].encode(), value=serde.encode(event))
    producer.flush()
    producer.close()

    deserializer = AvroDeserializer(SchemaRegistryClient({"url": hub_topics.schema_registry_url}))
    context = SerializationContext(topic, MessageField.VALUE)
    values = _poll_values(_confluent_consumer(hub_topics, topic), len(events))
    decoded = {str(r["event_id"]): r for r in (deserializer(v, context) for v in values)}
    assert set(decoded) == {e["event_id"] for e in events}
    for event in events:
        theirs = decoded[event["event_id"]]
        # The standard client resolves the union to the plain record dict; both fill the
        # defaults of fields the sample leaves out (a document's reused_from).
        ours = serde.decode(serde.encode(event))
        assert theirs["payload"] == ours["payload"][1]
        assert theirs["occurred_at"] == event["occurred_at"]
        assert theirs["event_type"] == event["event_type"]
        assert theirs["actor"] == event["actor"]


def test_hub_reads_what_the_confluent_client_writes(
    hub_topics: Settings, registry: RegistryClient
) -> None:
    topic = DOSSIER_EVENTS.name(hub_topics.topic_prefix)
    client = SchemaRegistryClient({"url": hub_topics.schema_registry_url})
    serializer = AvroSerializer(client, json.dumps(load_schema("DossierEvent")))
    context = SerializationContext(topic, MessageField.VALUE)
    events = list(sample_events(3, seed=12))
    producer = Producer(
        {
            "bootstrap.servers": hub_topics.bootstrap_servers,
            "enable.idempotence": True,
            **librdkafka_config(hub_topics),
        }
    )
    for event in events:
        producer.produce(topic, key=event["dossier_id"], value=serializer(event, context))
    assert producer.flush(30) == 0

    serde = serde_for(DOSSIER_EVENTS, hub_topics.topic_prefix, registry)
    consumer = make_consumer(
        hub_topics, topic, group_id=f"test-{uuid.uuid4().hex}", consumer_timeout_ms=20_000
    )
    received: dict[str, dict[str, Any]] = {}
    for message in consumer:
        record = serde.decode(message.value)
        received[str(record["event_id"])] = record
        if len(received) == len(events):
            break
    consumer.close()
    for event in events:
        ours = received[event["event_id"]]
        assert payload_name_of(ours) == payload_name_of(event)
        # what the hub writes of the same event (the defaults filled in)
        assert ours["payload"] == serde.decode(serde.encode(event))["payload"]
        assert ours["dossier_id"] == event["dossier_id"]
    # Both clients registered the same schema; the registry dedupes by exact text, and the
    # confluent client formats the JSON differently, so compare the Parsing Canonical Forms.
    theirs = client.get_latest_version(f"{topic}-value").schema_id
    assert theirs is not None
    assert to_parsing_canonical_form(registry.schema_by_id(theirs)) == to_parsing_canonical_form(
        registry.schema_by_id(serde.schema_id)
    )
