"""VnpostClient as the outbox's PartnerClient: commands as the registry decodes them, the
answers and events the outbox gets, against the simulator."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import pytest

from connectors.outbox import Command, EventDraft, Permanent, Transient
from connectors.vnpost import POSTAL_CANCEL, POSTAL_ORDER, VnpostClient, VnpostSimulator
from hub.serde import RegistryClient, serde_for
from hub.settings import Settings
from hub.topics import PARTNER_COMMANDS
from tests.connectors.vnpost import samples


def decoded(
    settings: Settings,
    registry: RegistryClient,
    command_type: str,
    name: str,
    payload: dict[str, Any],
) -> Command:
    """The command after an Avro round trip, as the outbox worker hands it over."""
    serde = serde_for(PARTNER_COMMANDS, settings.topic_prefix, registry)
    record = {
        "command_id": str(uuid.uuid4()),
        "command_type": command_type,
        "dossier_id": payload["order_number"],
        "idempotency_key": f"{payload['order_number']}:{command_type}:{uuid.uuid4().hex[:8]}",
        "created_at": datetime.now(UTC),
        "correlation_id": payload["order_number"],
        "causation_id": None,
        "payload": (f"vn.dvchub.command.{name}", payload),
    }
    return Command.of_record(serde.decode(serde.encode(record)))


def test_the_client_is_the_vnpost_partner(client: VnpostClient) -> None:
    assert client.partner == "vnpost"
    assert client.command_types == frozenset({POSTAL_ORDER, POSTAL_CANCEL})


@pytest.mark.parametrize(
    ("direction", "cod", "service"),
    [("INTAKE_PICKUP", 0, "PICKUP"), ("RESULT_DELIVERY", 75_000, "DELIVERY"),
     # a desk's office-to-office legs: collected at one office, delivered to the other
     ("DESK_TO_AGENCY", 0, "PICKUP"), ("AGENCY_TO_AGENCY", 0, "PICKUP"),
     ("AGENCY_TO_DESK", 0, "PICKUP")],
)  # fmt: skip
def test_a_postal_order_is_accepted_with_its_waybill_and_event(
    client: VnpostClient, sim: VnpostSimulator, settings: Settings, registry: RegistryClient,
    direction: str, cod: int, service: str,
) -> None:  # fmt: skip
    payload = samples.order_payload(direction, cod_amount_vnd=cod)
    command = decoded(settings, registry, POSTAL_ORDER, "PostalOrder", payload)
    accepted = client.call(command, attempt=1)
    [order] = sim.orders
    assert accepted.reference == order.waybill_number
    assert accepted.events == (
        EventDraft(
            "PostalOrderCreated",
            {
                "direction": direction,
                "order_number": payload["order_number"],
                "waybill_number": order.waybill_number,
                "cod_amount_vnd": cod,
            },
            "VNPOST",
        ),
    )
    assert order.idempotency_key == command.idempotency_key
    assert (order.service_type, order.cod_amount_vnd) == (service, cod)
    # The outbox redelivers the command (a crash before its offset was committed).
    assert client.call(command, attempt=2) == accepted
    assert (sim.orders_created, sim.duplicates) == (1, 1)


def test_a_postal_cancel_is_accepted_without_events(
    client: VnpostClient, sim: VnpostSimulator, settings: Settings, registry: RegistryClient
) -> None:
    payload = samples.order_payload("INTAKE_PICKUP")
    created = client.call(decoded(settings, registry, POSTAL_ORDER, "PostalOrder", payload), 1)
    cancel = {"direction": "INTAKE_PICKUP", "order_number": payload["order_number"],
              "reason": "the citizen withdrew the dossier"}  # fmt: skip
    accepted = client.call(decoded(settings, registry, POSTAL_CANCEL, "PostalCancel", cancel), 1)
    assert (accepted.reference, accepted.events) == (created.reference, ())
    assert sim.order(str(created.reference)).status == "CANCELLED"
    with pytest.raises(Permanent, match="UNKNOWN_ORDER"):
        client.call(decoded(settings, registry, POSTAL_CANCEL, "PostalCancel",
                            dict(cancel, direction="RESULT_DELIVERY")), 1)  # fmt: skip


def test_commands_it_cannot_send_are_permanent(client: VnpostClient, sim: VnpostSimulator) -> None:
    unknown = samples.command(
        POSTAL_ORDER, "PostalOrder", samples.order_payload(direction="UNKNOWN")
    )
    with pytest.raises(Permanent, match="INVALID_COMMAND"):
        client.call(unknown, 1)
    with_cod = samples.order_payload(direction="AGENCY_TO_DESK", cod_amount_vnd=75_000)
    with pytest.raises(Permanent, match="AGENCY_TO_DESK: an office-to-office consignment"):
        client.call(samples.command(POSTAL_ORDER, "PostalOrder", with_cod), 1)
    broken = samples.command(POSTAL_ORDER, "PostalOrder", {"order_number": "X-1"})
    with pytest.raises(Permanent, match="INVALID_COMMAND"):
        client.call(broken, 1)
    other = samples.command("EMC_TRACKING_RECORD", "EmcTrackingRecord", {"order_number": "X-1"})
    with pytest.raises(Permanent, match="UNSUPPORTED_COMMAND"):
        client.call(other, 1)
    assert sim.requests == []


def test_a_5xx_storm_then_success_creates_one_order(
    client: VnpostClient, sim: VnpostSimulator
) -> None:
    command = samples.command(POSTAL_ORDER, "PostalOrder", samples.order_payload())
    sim.inject("server_error", 3)
    sim.inject("unavailable", 2)
    for attempt in range(1, 6):
        with pytest.raises(Transient) as caught:
            client.call(command, attempt)
        assert client.failure_events(command, caught.value, attempt, will_retry=True) == ()
    assert client.call(command, 6).reference == sim.orders[0].waybill_number
    assert sim.orders_created == 1
