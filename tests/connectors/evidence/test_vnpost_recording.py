"""VNPost's SOAP callbacks through the inbound shell with evidence on: a callback VNPost sends
twice (re-signed, so the bytes differ: a new WS-Security nonce) is one entry, under its
CallbackId, with the hub's ACCEPTED answer (the resend's DUPLICATE is the redelivery dropped)."""

from __future__ import annotations

import pytest

from connectors.evidence import Direction, Exchange, decode_record, evidence_topic, read_chains
from connectors.vnpost import VnpostSimulator
from hub.kafka import ensure_topics
from hub.settings import Settings
from hub.topics import DOSSIER_EVENTS
from tests.connectors.vnpost.conftest import Outbox, RunningEndpoint, endpoint, hub_sim, outbox, sim
from tests.lifecycle._support import read_all, wait_until

__all__ = ["endpoint", "hub_sim", "outbox", "sim"]  # the VNPost tests' fixtures, used here


@pytest.fixture
def event_topic(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """The VNPost fixture's topic, with evidence on before the endpoint starts."""
    monkeypatch.setenv("DVC_EVIDENCE", "on")
    ensure_topics(settings, [DOSSIER_EVENTS])
    return settings


def test_a_resent_callback_is_one_entry_under_its_callback_id(
    hub_sim: VnpostSimulator, endpoint: RunningEndpoint, event_topic: Settings, outbox: Outbox
) -> None:
    waybill, number = outbox.order(hub_sim)
    hub_sim.duplicate_callbacks = True  # every callback is sent twice, re-signed
    assert hub_sim.deliver(waybill, "COLLECTED").result == "ACCEPTED"
    sent = hub_sim.callbacks[-1]
    topic = evidence_topic(event_topic)
    wait_until(lambda: len(read_all(event_topic, topic)) == 2, 60, 0.3)
    logged = [decode_record(r.value) for r in read_all(event_topic, topic)]
    assert len({r.request_sha256 for r in logged if isinstance(r, Exchange)}) == 2

    chain = read_chains(event_topic).by_partner["vnpost"]
    (entry,) = chain.entries
    record = entry.record
    assert isinstance(record, Exchange)
    assert (record.direction, record.call_id, record.dossier_id) == (
        Direction.IN, sent.callback_id, number,
    )  # fmt: skip
    assert waybill in record.request
    assert "ACCEPTED" in record.response
