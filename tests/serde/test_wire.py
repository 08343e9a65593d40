"""Confluent wire format against the real registry: round trips, evolution, and bad input."""

from __future__ import annotations

import struct
import uuid
from typing import Any

import pytest

from hub.events import new_event, payload_name_of
from hub.sample import sample_events
from hub.serde import (
    AvroSerde,
    DecodeError,
    EncodeError,
    RegistryClient,
    RegistryUnavailable,
    load_schema,
    unframe,
)


@pytest.fixture
def event_serde(registry: RegistryClient) -> AvroSerde:
    return AvroSerde(registry, f"test.{uuid.uuid4().hex}-value", load_schema("DossierEvent"))


def _comparable(record: dict[str, Any]) -> dict[str, Any]:
    return {**record, "event_id": str(record["event_id"])}


def test_every_sample_event_round_trips(event_serde: AvroSerde) -> None:
    events = list(sample_events(60, seed=7))
    kinds = {payload_name_of(e) for e in events}
    assert {"DossierSubmitted", "DossierAccepted", "ResultReturned"} <= kinds
    for event in events:
        data = event_serde.encode(event)
        schema_id, _ = unframe(data)
        assert data[0] == 0
        assert schema_id == event_serde.schema_id
        assert _comparable(event_serde.decode(data)) == event


def test_registering_twice_gives_the_same_id(registry: RegistryClient) -> None:
    subject = f"test.{uuid.uuid4().hex}-value"
    first = AvroSerde(registry, subject, load_schema("DeadLetter")).schema_id
    fresh_client = RegistryClient(registry.url)
    assert AvroSerde(fresh_client, subject, load_schema("DeadLetter")).schema_id == first
    fresh_client.close()


def test_old_writer_new_reader_fills_defaults(registry: RegistryClient) -> None:
    subject = f"test.{uuid.uuid4().hex}-value"
    old = {"type": "record", "name": "Ping", "fields": [{"name": "a", "type": "string"}]}
    new = {
        "type": "record",
        "name": "Ping",
        "fields": [{"name": "a", "type": "string"}, {"name": "b", "type": "long", "default": 42}],
    }
    data = AvroSerde(registry, subject, old).encode({"a": "x"})
    assert AvroSerde(registry, subject, new).decode(data) == {"a": "x", "b": 42}


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "shorter than the 5-byte"),
        (b"\x00\x00", "shorter than the 5-byte"),
        (b"\x01\x00\x00\x00\x01abc", "magic byte is 1"),
        (b'{"json": "not avro"}', "magic byte is 123"),
    ],
)
def test_unframed_bytes_are_a_decode_error_carrying_the_original(
    event_serde: AvroSerde, data: bytes, message: str
) -> None:
    with pytest.raises(DecodeError, match=message) as info:
        event_serde.decode(data)
    assert info.value.original == data


def test_unknown_schema_id_is_a_decode_error(event_serde: AvroSerde) -> None:
    data = struct.pack(">bI", 0, 987_654_321) + b"\x02"
    with pytest.raises(DecodeError, match="unknown to the registry") as info:
        event_serde.decode(data)
    assert info.value.original == data


def test_truncated_body_is_a_decode_error(event_serde: AvroSerde) -> None:
    data = event_serde.encode(next(iter(sample_events(1))))
    with pytest.raises(DecodeError, match="does not decode"):
        event_serde.decode(data[: len(data) // 2])


def test_record_not_matching_the_schema_is_an_encode_error(event_serde: AvroSerde) -> None:
    event = next(iter(sample_events(1)))
    del event["dossier_id"]
    with pytest.raises(EncodeError, match="DossierEvent"):
        event_serde.encode(event)


def test_naive_datetimes_are_refused() -> None:
    from datetime import datetime

    with pytest.raises(ValueError, match="timezone-aware"):
        new_event(
            "HS-1",
            "DossierRefused",
            {"reason": "x"},
            source="HUB",
            occurred_at=datetime(2025, 1, 1),  # noqa: DTZ001 - naive on purpose
        )


def test_registry_down_is_registry_unavailable() -> None:
    with (
        RegistryClient("http://127.0.0.1:9/apis/ccompat/v7", timeout_s=1) as down,
        pytest.raises(RegistryUnavailable),
    ):
        down.schema_by_id(1)
