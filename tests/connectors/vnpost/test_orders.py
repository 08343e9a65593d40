"""``SentOrders``, the callback endpoint's view of the orders the hub created, on the real
partner.outcomes topic: what it keeps, and how ``check`` waits for a view that lags.

A lagging view is made by holding the follower thread inside ``apply`` (the records are on the
broker, the view has not applied them): deterministic, where racing a real follower is not.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from connectors.vnpost import SoapFault, StatusNotice, new_waybill
from connectors.vnpost._orders import SentOrders
from hub.serde import RegistryClient, serde_for
from hub.settings import Settings
from hub.topics import PARTNER_OUTCOMES
from tests.connectors.vnpost import samples
from tests.connectors.vnpost.conftest import Outbox

TIMEOUT_S = 30.0
#: How long the test holds the view before letting it apply: well inside the wait below.
HELD_S = 0.5
WAIT_S = 10.0


class HeldOrders(SentOrders):
    """The real view, whose thread waits for ``release`` before applying anything."""

    def __init__(self, settings: Settings, registry: RegistryClient) -> None:
        serde = serde_for(PARTNER_OUTCOMES, settings.topic_prefix, registry)
        super().__init__(settings, serde)
        self.release = threading.Event()
        self.release.set()

    def apply(self, key: bytes | None, value: bytes | None) -> None:
        self.release.wait(TIMEOUT_S)
        super().apply(key, value)


@pytest.fixture
def orders(outbox: Outbox, event_topic: Settings, registry: RegistryClient) -> Iterator[HeldOrders]:
    view = HeldOrders(event_topic, registry).start()
    assert view.wait_ready(TIMEOUT_S)
    yield view
    view.release.set()
    view.stop()


def notice(waybill: str, order_number: str) -> StatusNotice:
    return StatusNotice(
        callback_id="cb-1", waybill_number=waybill, order_number=order_number,
        service_type="DELIVERY", status="COLLECTED", event_time=datetime.now(UTC),
        location=None, note=None,
    )  # fmt: skip


async def check_releasing_after(view: HeldOrders, sent: StatusNotice, held_s: float) -> object:
    asyncio.get_running_loop().call_later(held_s, view.release.set)
    return await view.check(sent, WAIT_S)


def test_only_vnposts_accepted_postal_orders_are_kept(orders: HeldOrders, outbox: Outbox) -> None:
    waybill = new_waybill(1)
    outbox.sent(waybill, "HS-1", behind=3)  # three national sync outcomes first
    rejected = samples.command("POSTAL_ORDER", "PostalOrder", samples.order_payload())
    outbox.record(rejected, new_waybill(2), partner="emc")
    assert orders.catch_up().wait(TIMEOUT_S)
    assert len(orders) == 1
    kept = orders.get(waybill)
    assert kept is not None
    assert (kept.waybill_number, kept.dossier_id) == (waybill, "HS-1")


def test_an_order_the_view_has_not_applied_yet_is_waited_for(
    orders: HeldOrders, outbox: Outbox
) -> None:
    orders.release.clear()
    waybill = new_waybill(3)
    outbox.sent(waybill, "HS-3")  # acknowledged: on the topic, not in the view
    assert orders.get(waybill) is None
    found = asyncio.run(check_releasing_after(orders, notice(waybill, "HS-3"), HELD_S))
    assert found == orders.get(waybill)
    assert orders.get(waybill) is not None


def test_an_unknown_waybill_is_refused_once_the_view_has_caught_up(
    orders: HeldOrders, outbox: Outbox
) -> None:
    orders.release.clear()
    outbox.sent(new_waybill(4), "HS-4", behind=10)
    with pytest.raises(SoapFault) as refused:
        asyncio.run(check_releasing_after(orders, notice(new_waybill(5), "HS-4"), HELD_S))
    assert (refused.value.code, refused.value.error_code) == ("Client", "UNKNOWN_ORDER")
    assert len(orders) == 1  # refused after the view applied everything, not before


def test_a_view_held_past_the_wait_is_a_server_fault(orders: HeldOrders, outbox: Outbox) -> None:
    orders.release.clear()
    waybill = new_waybill(6)
    outbox.sent(waybill, "HS-6")

    async def held() -> object:
        return await orders.check(notice(waybill, "HS-6"), HELD_S)

    with pytest.raises(SoapFault) as refused:
        asyncio.run(held())
    assert (refused.value.code, refused.value.outcome) == ("Server", "orders_lagging")
    orders.release.set()
    assert orders.catch_up().wait(TIMEOUT_S)
    assert orders.get(waybill) is not None  # it was there: "send it again" was right


def test_another_order_number_is_refused_without_naming_the_real_one(
    orders: HeldOrders, outbox: Outbox
) -> None:
    waybill = new_waybill(7)
    outbox.sent(waybill, "HS-7")
    assert orders.catch_up().wait(TIMEOUT_S)
    with pytest.raises(SoapFault) as refused:
        asyncio.run(orders.check(notice(waybill, "HS-8"), WAIT_S))
    assert (refused.value.code, refused.value.error_code) == ("Client", "ORDER_MISMATCH")
    assert "HS-7" not in refused.value.message
