"""Records, links and chains without a broker: what is hashed, what is stored, what a
redelivery does."""

from __future__ import annotations

import hashlib
import itertools
import json
from dataclasses import replace
from types import SimpleNamespace

import pytest

from connectors.evidence import (
    GENESIS,
    Chains,
    Direction,
    EvidenceConfig,
    EvidenceEntry,
    EvidenceError,
    Exchange,
    decode_record,
    encode_record,
    outbound_exchange,
)
from connectors.evidence._entry import canonical
from tests.connectors.evidence._records import ID_NUMBER, NAME, PHONE, exchange


def test_a_chain_links_each_entry_to_the_one_before() -> None:
    chains = Chains().extend(exchange("vnpost", n) for n in range(4))
    entries = chains.by_partner["vnpost"].entries
    assert [e.index for e in entries] == [0, 1, 2, 3]
    assert entries[0].previous == GENESIS
    assert all(later.previous == earlier.hash for earlier, later in itertools.pairwise(entries))
    assert all(e.intact for e in entries)
    assert chains.by_partner["vnpost"].head == entries[-1].hash


def test_each_partner_has_its_own_chain() -> None:
    chains = Chains().extend([exchange("vnpost", 1), exchange("bank", 1), exchange("vnpost", 2)])
    assert {p: c.length for p, c in chains.by_partner.items()} == {"vnpost": 2, "bank": 1}
    assert chains.by_partner["bank"].entries[0].previous == GENESIS


def test_a_redelivered_call_is_dropped_but_the_other_direction_is_not() -> None:
    first = exchange("vnpost", 1)
    redelivered = replace(first, at=first.at.replace(minute=30), response="answered again")
    inbound = replace(first, direction=Direction.IN)
    chains = Chains().extend([first, redelivered, inbound])
    entries = chains.by_partner["vnpost"].entries
    assert [(e.record.direction, e.record.response) for e in entries] == [  # type: ignore[union-attr]
        (Direction.OUT, first.response),
        (Direction.IN, first.response),
    ]


def test_changing_any_field_of_a_record_breaks_its_hash() -> None:
    record = exchange("bank", 1)
    entry = EvidenceEntry.link(0, GENESIS, record)
    for changed in (
        replace(entry, record=replace(record, call_id="bank-2")),
        replace(entry, record=replace(record, response='{"outcome":"REJECTED"}')),
        replace(entry, previous="1" * 64),
        replace(entry, index=1),
    ):
        assert not changed.intact


def test_records_and_entries_round_trip_through_json() -> None:
    record = exchange("emc", 3)
    assert decode_record(encode_record(record)) == record
    entry = EvidenceEntry.link(5, "a" * 64, record)
    assert EvidenceEntry.from_json(json.loads(canonical(entry.to_json()))) == entry
    with pytest.raises(ValueError, match="not an evidence record"):
        decode_record(b'{"kind": "exchange", "partner": "emc"}')


def test_bodies_are_stored_without_personal_data_and_digested_as_sent() -> None:
    soap = (
        f"<s:Body><v:NotifyStatus><v:HoTen>{NAME}</v:HoTen><v:WaybillNumber>EE1VN"
        "</v:WaybillNumber></v:NotifyStatus></s:Body>"
    ).encode()
    json_body = exchange("vnpost", 1)
    record = Exchange.of("vnpost", Direction.IN, "cb-1", "D-1", soap, b"200\nok", json_body.at)
    for stored in (record.request, json_body.request):
        assert NAME not in stored
        assert PHONE not in stored
        assert ID_NUMBER not in stored
    assert "EE1VN" in record.request  # what is not personal stays readable
    assert record.request_sha256 == hashlib.sha256(soap).hexdigest()
    assert record.response_sha256 == hashlib.sha256(b"200\nok").hexdigest()


def test_the_outbox_records_the_command_under_its_idempotency_key() -> None:
    command = SimpleNamespace(
        command_id="c-1", command_type="POSTAL_ORDER", dossier_id="D-1",
        idempotency_key="key-1", payload_name="PostalOrder",
        payload={"receiver_name": NAME, "cod_amount": 25_000},
    )  # fmt: skip
    drafts = [SimpleNamespace(payload_name="PostalOrderCreated")]
    record = outbound_exchange("vnpost", command, "ACCEPTED", 2, "EE1VN", None, drafts)
    assert (record.call_id, record.dossier_id, record.direction) == ("key-1", "D-1", Direction.OUT)
    sent = canonical({
        "command_id": "c-1", "command_type": "POSTAL_ORDER", "dossier_id": "D-1",
        "idempotency_key": "key-1", "payload_name": "PostalOrder", "payload": command.payload,
    })  # fmt: skip
    assert record.request_sha256 == hashlib.sha256(sent).hexdigest()
    assert NAME not in record.request
    assert "25000" in record.request
    assert json.loads(record.response)["events"] == ["PostalOrderCreated"]


def test_the_settings_are_read() -> None:
    # on or off by default: test_production.py
    config = EvidenceConfig.from_env({"DVC_EVIDENCE": "on", "DVC_EVIDENCE_BATCH_ENTRIES": "7"})
    assert config.enabled
    assert config.batch_entries == 7
    with pytest.raises(EvidenceError, match="DVC_EVIDENCE must be on or off"):
        EvidenceConfig.from_env({"DVC_EVIDENCE": "maybe"})
