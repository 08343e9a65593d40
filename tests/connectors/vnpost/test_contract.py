"""One contract for VNPost's PostalService, run against every way of talking to it:
the hub's zeep client, and raw lxml-built envelopes over httpx, both against the simulator
(a real SOAP server serving the same WSDL). Counts come from the simulator's ledger."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from connectors.outbox import Permanent, Transient
from connectors.vnpost import PostalPort, VnpostClient, VnpostSimulator, is_valid_waybill
from hub.processing import free_port
from tests.connectors.vnpost import samples
from tests.connectors.vnpost.conftest import CLIENT_TIMEOUT_S, client_config
from tests.connectors.vnpost.raw_port import RawSoapPort


def key() -> str:
    return f"cmd-{uuid.uuid4()}"


class VnpostContract:
    """What any PostalPort does against the simulator; subclasses provide ``make_port``."""

    def make_port(self, url: str, password: str | None = None) -> PostalPort:
        raise NotImplementedError

    @pytest.fixture
    def port(self, sim: VnpostSimulator) -> Iterator[PostalPort]:
        port = self.make_port(sim.url)
        yield port
        port.close()

    # -- creating ----------------------------------------------------------------------------
    def test_a_pickup_order_gets_an_s10_waybill(
        self, port: PostalPort, sim: VnpostSimulator
    ) -> None:
        order = samples.order("INTAKE_PICKUP")
        created = port.create_order(order, key())
        assert is_valid_waybill(created.waybill_number)
        assert created.waybill_number.startswith("EP")
        assert (created.direction, created.status, created.duplicate) == (
            "INTAKE_PICKUP",
            "REGISTERED",
            False,
        )
        assert created.order_number == order.order_number
        assert created.created_at.tzinfo is not None
        kept = sim.order(created.waybill_number)
        assert (kept.service_type, kept.order_number) == ("PICKUP", order.order_number)
        assert sim.orders_created == 1

    def test_a_delivery_order_carries_its_cod_amount(
        self, port: PostalPort, sim: VnpostSimulator
    ) -> None:
        order = samples.order("RESULT_DELIVERY", cod_amount_vnd=125_000)
        created = port.create_order(order, key())
        assert is_valid_waybill(created.waybill_number)
        assert created.cod_amount_vnd == 125_000
        assert sim.order(created.waybill_number).cod_amount_vnd == 125_000
        assert sim.order(created.waybill_number).service_type == "DELIVERY"

    def test_the_same_idempotency_key_gives_the_same_waybill_once(
        self, port: PostalPort, sim: VnpostSimulator
    ) -> None:
        order, same = samples.order(), key()
        first = port.create_order(order, same)
        again = port.create_order(order, same)
        assert again.waybill_number == first.waybill_number
        assert (first.duplicate, again.duplicate) == (False, True)
        other = port.create_order(order, key())  # a new command for the same dossier
        assert other.waybill_number != first.waybill_number
        assert (sim.orders_created, sim.duplicates) == (2, 1)

    def test_a_key_reused_for_another_order_is_refused_for_good(
        self, port: PostalPort, sim: VnpostSimulator
    ) -> None:
        same = key()
        port.create_order(samples.order(), same)
        with pytest.raises(Permanent, match="IDEMPOTENCY_CONFLICT"):
            port.create_order(samples.order(), same)
        assert sim.orders_created == 1

    def test_a_request_the_schema_refuses_is_permanent(
        self, port: PostalPort, sim: VnpostSimulator
    ) -> None:
        receiver = dict(samples.CITIZEN, phone="call me maybe")
        with pytest.raises(Permanent, match="INVALID_REQUEST"):
            port.create_order(samples.order(receiver=receiver), key())
        assert sim.orders_created == 0

    # -- cancelling and tracking -------------------------------------------------------------
    def test_cancel_an_order_not_yet_collected(
        self, port: PostalPort, sim: VnpostSimulator
    ) -> None:
        order, cancel_key = samples.order("INTAKE_PICKUP"), key()
        created = port.create_order(order, key())
        cancelled = port.cancel_order("INTAKE_PICKUP", order.order_number, "withdrawn", cancel_key)
        assert (cancelled.waybill_number, cancelled.status) == (created.waybill_number, "CANCELLED")
        again = port.cancel_order("INTAKE_PICKUP", order.order_number, "withdrawn", cancel_key)
        assert again.duplicate
        assert again.waybill_number == created.waybill_number
        assert sim.order(created.waybill_number).status == "CANCELLED"
        assert sim.count("CancelOrder", "cancelled") == 1
        assert sim.count("CancelOrder", "duplicate") == 1

    def test_cancel_after_collection_or_of_nothing_is_permanent(
        self, port: PostalPort, sim: VnpostSimulator
    ) -> None:
        order = samples.order("INTAKE_PICKUP")
        created = port.create_order(order, key())
        sim.move(created.waybill_number, "COLLECTED")
        with pytest.raises(Permanent, match="NOT_CANCELLABLE"):
            port.cancel_order("INTAKE_PICKUP", order.order_number, "too late", key())
        with pytest.raises(Permanent, match="UNKNOWN_ORDER"):
            port.cancel_order("RESULT_DELIVERY", order.order_number, "no such order", key())

    def test_track_returns_the_history_oldest_first(
        self, port: PostalPort, sim: VnpostSimulator
    ) -> None:
        created = port.create_order(samples.order("INTAKE_PICKUP"), key())
        for status in ("COLLECTING", "COLLECTED", "IN_TRANSIT"):
            sim.move(created.waybill_number, status, location="Bưu cục Sài Gòn")
        tracking = port.track(created.waybill_number)
        assert tracking.status == "IN_TRANSIT"
        assert tracking.direction == "INTAKE_PICKUP"
        assert [e.status for e in tracking.events] == [
            "REGISTERED",
            "COLLECTING",
            "COLLECTED",
            "IN_TRANSIT",
        ]
        assert all(e.event_time.tzinfo is not None for e in tracking.events)
        times = [e.event_time for e in tracking.events]
        assert times == sorted(times)
        with pytest.raises(Permanent, match="UNKNOWN_ORDER"):
            port.track("EE123456785VN")

    # -- faults ------------------------------------------------------------------------------
    def test_a_server_fault_is_transient_and_the_retry_succeeds(
        self, port: PostalPort, sim: VnpostSimulator
    ) -> None:
        order, same = samples.order(), key()
        sim.inject("server_error", 2)
        for _ in range(2):
            with pytest.raises(Transient, match="SOAP_SERVER"):
                port.create_order(order, same)
        assert is_valid_waybill(port.create_order(order, same).waybill_number)
        assert (sim.orders_created, sim.duplicates) == (1, 0)

    def test_http_503_is_transient(self, port: PostalPort, sim: VnpostSimulator) -> None:
        sim.inject("unavailable")
        with pytest.raises(Transient, match="HTTP_503"):
            port.create_order(samples.order(), key())
        assert sim.orders_created == 0

    def test_a_timeout_is_transient_and_the_retry_is_a_duplicate(
        self, port: PostalPort, sim: VnpostSimulator
    ) -> None:
        order, same = samples.order(), key()
        sim.inject("timeout")
        with pytest.raises(Transient, match="TIMEOUT"):
            port.create_order(order, same)
        retried = port.create_order(order, same)
        assert retried.duplicate
        assert (sim.orders_created, sim.duplicates) == (1, 1)  # nothing doubled at VNPost

    def test_a_malformed_reply_is_transient_and_the_retry_is_a_duplicate(
        self, port: PostalPort, sim: VnpostSimulator
    ) -> None:
        order, same = samples.order(), key()
        sim.inject("malformed")
        with pytest.raises(Transient, match="MALFORMED_REPLY"):
            port.create_order(order, same)
        assert port.create_order(order, same).duplicate
        assert (sim.orders_created, sim.duplicates) == (1, 1)

    def test_a_reply_with_a_bad_waybill_is_transient(
        self, port: PostalPort, sim: VnpostSimulator
    ) -> None:
        sim.inject("bad_waybill")
        with pytest.raises(Transient, match="wrong S10 check digit"):
            port.create_order(samples.order(), key())

    def test_latency_below_the_timeout_is_only_slow(
        self, port: PostalPort, sim: VnpostSimulator
    ) -> None:
        sim.latency_s = CLIENT_TIMEOUT_S / 4
        assert is_valid_waybill(port.create_order(samples.order(), key()).waybill_number)

    def test_wrong_credentials_are_transient_and_create_nothing(self, sim: VnpostSimulator) -> None:
        port = self.make_port(sim.url, password="not-the-password")
        try:
            with pytest.raises(Transient, match="SOAP_SECURITY"):
                port.create_order(samples.order(), key())
        finally:
            port.close()
        assert sim.orders_created == 0
        assert sim.count(outcome="refused:SECURITY") == 1

    def test_nobody_listening_is_transient(self) -> None:
        port = self.make_port(f"http://127.0.0.1:{free_port()}/vnpost/soap")
        try:
            with pytest.raises(Transient, match="CONNECTION"):
                port.create_order(samples.order(), key())
        finally:
            port.close()


class TestZeepClient(VnpostContract):
    def make_port(self, url: str, password: str | None = None) -> PostalPort:
        overrides = {} if password is None else {"password": password}
        return VnpostClient(client_config(url, **overrides))


class TestRawEnvelopes(VnpostContract):
    def make_port(self, url: str, password: str | None = None) -> PostalPort:
        from tests.connectors.vnpost.conftest import HUB_PASSWORD, HUB_USER

        return RawSoapPort(url, HUB_USER, password or HUB_PASSWORD, timeout_s=CLIENT_TIMEOUT_S)
