"""The dossier kernel: one typed event, one status machine, one fold skeleton for every processor.

The event's fields are the schema's; decoding rejects what no processor may apply; following
the machine with ``StatusView`` gives the status the lifecycle's history gives, fee returns
included; and every processor built on ``DossierFold`` sees the same status for every dossier.
"""

from __future__ import annotations

import dataclasses
import random
from typing import Any

import pytest

from hub.dossier import EVENT_TYPES, DossierEvent, StatusView, decode_event
from hub.lifecycle import LifecycleProcessor, Rejection, apply, status_view
from hub.payments import PaymentsProcessor
from hub.processing import (
    AvroStateProcessor,
    Deferred,
    InMemoryRunner,
    Message,
    Reject,
    Unchanged,
)
from hub.records import DossierState, DossierStatus, DossierSubmitted, FeePaid
from hub.routing import RoutingProcessor
from hub.sample import PROCEDURES, catalog_entry, sample_events
from hub.serde import AvroSerde, RegistryClient, load_schema, serde_for
from hub.sla import SlaProcessor, SlaSettings
from hub.topics import (
    DOSSIER_EVENTS,
    DOSSIER_STATE,
    PARTNER_COMMANDS,
    PAYMENTS,
    SLA_ALERTS,
    SLA_DEADLINES,
)
from tests.lifecycle._support import make_event

CATALOG = {p.code: catalog_entry(p) for p in PROCEDURES}


@pytest.fixture
def events(registry: RegistryClient, topic_prefix: str) -> AvroSerde:
    return serde_for(DOSSIER_EVENTS, topic_prefix, registry)


def test_the_event_has_the_schemas_fields() -> None:
    schema = load_schema("DossierEvent")
    envelope = [f["name"] for f in schema["fields"] if f["name"] != "payload"]
    ours = [f.name for f in dataclasses.fields(DossierEvent)]
    assert ours == [*envelope, "payload_name", "payload"]


def test_decoding_gives_the_typed_event(events: AvroSerde) -> None:
    record = make_event("HS-K1", "DOSSIER_SUBMITTED")
    event = decode_event(events, Message(events.encode(record), b"HS-K1", "t", 0, 0))
    assert isinstance(event, DossierEvent)
    assert event.event_id == str(record["event_id"])
    assert (event.event_type, event.payload_name) == ("DOSSIER_SUBMITTED", "DossierSubmitted")
    assert event.procedure_code == record["payload"][1]["procedure_code"]
    assert event.occurred_at == record["occurred_at"]


def test_the_payload_is_taken_as_its_own_record_only(events: AvroSerde) -> None:
    record = make_event("HS-K2", "DOSSIER_SUBMITTED")
    event = decode_event(events, Message(events.encode(record), b"HS-K2", "t", 0, 0))
    assert isinstance(event, DossierEvent)
    submitted = event.payload_as(DossierSubmitted)
    assert submitted["procedure_code"] == record["payload"][1]["procedure_code"]
    with pytest.raises(TypeError, match="DossierSubmitted payload is not a FeePaid"):
        event.payload_as(FeePaid)


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ("key", "VALIDATION_FAILED"),
        ("event_type", "VALIDATION_FAILED"),
        ("bytes", "UNDECODABLE"),
    ],
)
def test_decoding_rejects_what_no_processor_may_apply(
    events: AvroSerde, change: str, code: str
) -> None:
    record = make_event("HS-K2", "DOSSIER_SUBMITTED")
    key = b"HS-K2"
    if change == "event_type":
        record["event_type"] = "DOSSIER_ACCEPTED"  # a DossierSubmitted payload
    value = events.encode(record)
    if change == "key":
        key = b"HS-OTHER"
    if change == "bytes":
        value = b"\x00\x00\x00\x00\x01garbage"
    result = decode_event(events, Message(value, key, "t", 0, 0))
    assert isinstance(result, Reject)
    assert result.reason_code == code


def test_the_view_follows_the_lifecycles_history_on_random_walks() -> None:
    """Every processor but the lifecycle carries the view; the lifecycle derives it from its
    history: the two agree on what is legal and where each dossier stands after each event."""
    rng = random.Random(19)
    procedure = CATALOG[PROCEDURES[0].code]
    for walk in range(300):
        state: DossierState | None = None
        view = StatusView()
        for step in range(30):
            event = DossierEvent.from_record(
                make_event(f"HS-W{walk}", rng.choice(EVENT_TYPES), step)
            )
            result = apply(state, event, procedure)
            after = view.after(event.event_type)
            legal = not (
                isinstance(result, Rejection) and result.reason_code == "INVALID_TRANSITION"
            )
            assert legal == (after is not None), (view, event.event_type)
            if isinstance(result, Rejection) or after is None:
                continue
            state, view = result, after
            assert status_view(state).status == view.status
            if view.status == "FEE_REQUESTED":
                assert status_view(state).before_fee == view.before_fee


def test_every_processor_sees_the_same_status(
    registry: RegistryClient, topic_prefix: str, events: AvroSerde
) -> None:
    def serde(topic: Any) -> AvroSerde:
        return serde_for(topic, topic_prefix, registry)

    routing_states = AvroSerde(
        registry, f"{topic_prefix}routing-state-value", load_schema("RoutingState")
    )
    folds: dict[str, tuple[AvroStateProcessor[Any], str]] = {
        "lifecycle": (LifecycleProcessor(events, serde(DOSSIER_STATE), CATALOG.get), "status"),
        "routing": (
            RoutingProcessor(events, routing_states, serde(PARTNER_COMMANDS), CATALOG.get),
            "status",
        ),
        "sla": (
            SlaProcessor(
                events,
                serde(SLA_DEADLINES),
                serde(SLA_ALERTS),
                CATALOG.get,
                SlaSettings().policy(),
            ),
            "status",
        ),
        "payments": (
            PaymentsProcessor(events, serde(PAYMENTS), serde(PARTNER_COMMANDS)),
            "dossier_status",
        ),
    }
    messages = [
        Message(events.encode(e), str(e["dossier_id"]).encode(), "t", 0, offset)
        for offset, e in enumerate(sample_events(120, seed=5))
    ]
    statuses: dict[str, dict[bytes, str]] = {}
    for name, (processor, field) in folds.items():
        result = InMemoryRunner(processor).run(messages)
        assert not result.letters, (name, result.letters[:1])
        statuses[name] = {
            key: str(processor.decode_state(value)[field]) for key, value in result.table.items()
            if not key.startswith(b"\x00")
        }  # fmt: skip
    assert len(statuses["lifecycle"]) == 120
    for name, seen in statuses.items():
        assert {k: v for k, v in seen.items() if k in statuses["lifecycle"]} == statuses[
            "lifecycle"
        ], name


def test_a_submission_waits_for_its_procedure_only_where_a_catalogue_is_read(
    registry: RegistryClient, topic_prefix: str, events: AvroSerde
) -> None:
    unknown = make_event("HS-K3", "DOSSIER_SUBMITTED", procedure_code="9.999")
    message = Message(events.encode(unknown), b"HS-K3", "t", 0, 0)
    lifecycle = LifecycleProcessor(events, serde_for(DOSSIER_STATE, topic_prefix, registry),
                                   CATALOG.get)  # fmt: skip
    assert isinstance(lifecycle.fold(None, message), Deferred)
    payments = PaymentsProcessor(
        events, serde_for(PAYMENTS, topic_prefix, registry),
        serde_for(PARTNER_COMMANDS, topic_prefix, registry),
    )  # fmt: skip
    assert not isinstance(payments.fold(None, message), Deferred)


def test_a_duplicate_is_found_once_for_every_processor(
    registry: RegistryClient, topic_prefix: str, events: AvroSerde
) -> None:
    submitted = make_event("HS-K4", "DOSSIER_SUBMITTED")
    message = Message(events.encode(submitted), b"HS-K4", "t", 0, 0)
    lifecycle = LifecycleProcessor(events, serde_for(DOSSIER_STATE, topic_prefix, registry),
                                   CATALOG.get)  # fmt: skip
    sla = SlaProcessor(
        events, serde_for(SLA_DEADLINES, topic_prefix, registry),
        serde_for(SLA_ALERTS, topic_prefix, registry), CATALOG.get, SlaSettings().policy(),
    )  # fmt: skip
    for processor in (lifecycle, sla):
        first = processor.fold(None, message)
        state = getattr(first, "state", None)
        assert state is not None, processor.name
        again = processor.fold(state, message)
        assert isinstance(again, Unchanged), processor.name
        assert again.outcome == "duplicate", processor.name


@pytest.mark.parametrize(
    ("path", "returns_to"),
    [
        (("DOSSIER_SUBMITTED",), "ACCEPTED"),
        (("DOSSIER_SUBMITTED", "DOSSIER_ACCEPTED"), "ACCEPTED"),
        (("DOSSIER_SUBMITTED", "DOSSIER_ACCEPTED", "PROCESSING_STEP_RECORDED"), "PROCESSING"),
    ],
)
def test_a_paid_fee_returns_where_the_fee_step_came_from(
    path: tuple[str, ...], returns_to: DossierStatus
) -> None:
    view: StatusView | None = StatusView()
    for event_type in (*path, "FEE_REQUESTED", "FEE_PAID"):
        assert view is not None
        view = view.after(event_type)
    assert view == StatusView(returns_to, None)
