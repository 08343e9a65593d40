"""The dead-letter writer keeps the reason and the original bytes, unchanged, on real Kafka."""

from __future__ import annotations

import uuid

import pytest

from hub.deadletter import DEADLETTERS, DeadLetterInput, DeadLetterWriter
from hub.kafka import make_consumer, make_producer
from hub.serde import RegistryClient, serde_for
from hub.settings import Settings
from hub.topics import DEADLETTER


def test_dead_letter_round_trip(hub_topics: Settings, registry: RegistryClient) -> None:
    poison = b"\x00\x00\x00\x00\x07not avro at all \xff\xfe"
    letter = DeadLetterInput(
        processor="test",
        reason_code="UNDECODABLE",
        reason="Avro body does not decode with schema id 7",
        original_value=poison,
        source_topic=f"{hub_topics.topic_prefix}dossier.events",
        source_partition=2,
        source_offset=41,
        original_key=b"HS-1",
        headers=(("traceparent", b"00-abc"), ("empty", None)),
    )
    before = DEADLETTERS.labels("test", "UNDECODABLE")._value.get()
    producer = make_producer(hub_topics)
    DeadLetterWriter(hub_topics, producer, registry).send(letter)
    producer.close()
    assert DEADLETTERS.labels("test", "UNDECODABLE")._value.get() == before + 1

    consumer = make_consumer(
        hub_topics,
        DEADLETTER.name(hub_topics.topic_prefix),
        group_id=f"test-{uuid.uuid4().hex}",
        consumer_timeout_ms=20_000,
    )
    message = next(iter(consumer))
    consumer.close()
    record = serde_for(DEADLETTER, hub_topics.topic_prefix, registry).decode(message.value)
    assert message.key == b"HS-1"
    assert record["original_value"] == poison
    assert record["reason_code"] == "UNDECODABLE"
    assert (record["source_partition"], record["source_offset"]) == (2, 41)
    assert record["headers"] == [
        {"key": "traceparent", "value": b"00-abc"},
        {"key": "empty", "value": None},
    ]


def test_unknown_reason_code_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown dead-letter reason code"):
        DeadLetterInput(processor="t", reason_code="OOPS", reason="x", original_value=b"")
