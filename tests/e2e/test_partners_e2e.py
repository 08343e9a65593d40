"""End to end through every partner, on real Kafka, real HTTP/SOAP and real worker processes:
portal connector -> dossier.events -> routing + payments workers -> partner.commands -> four
outbox workers -> the VNPost, national portal, EMC and paygov simulators; VNPost's status
callbacks and paygov's IPN come back through their connectors' endpoints.

One rig for the module (starting six processes is most of the run time). The stories, pushed
in the order the status machine takes them (as the demo does):

1. postal both ways: VNPost collects the dossier, then delivers the result with the fee
   collected on delivery (COD, nothing was paid online);
2. a fee paid online at paygov before processing, its IPN sent twice: one FeePaid;
3. a fee paid, then processing stopped: refunded;
4. a postal dossier refused before VNPost collected it: the pickup is cancelled.

Then the national portal answers 503 for a while: its outbox worker's breaker opens (``/ready``
says so), the portal comes back (losing a few replies, so some calls are resent), and every
status arrives once and in order.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import pytest

from connectors.national import SERVICE_PROGRESS, NationalPortalSimulator
from connectors.vnpost import HUB_STATUS
from hub.records import PartnerOutcome, Payment
from hub.sample import PROCEDURES
from hub.serde import RegistryClient
from hub.settings import Settings
from tests.e2e._partners import Rig, expected_calls, of_type, partner_rig, wait_for
from tests.lifecycle._support import dead_letters

pytestmark = pytest.mark.slow

POSTAL, ONLINE, PAID, STOPPED, REFUSED = 1, 2, 3, 4, 5
OUTAGE = (11, 12, 13, 14)
NATIONAL = {  # DongBoHoSoMC status codes, in order, for each story
    POSTAL: [1, 2, 4, 9, 10],
    ONLINE: [1, 2, 6, 2, 4, 9, 10],
    PAID: [1, 2, 4, 6, 4, 8],
    REFUSED: [1, 3],
    **{n: [1, 2, 4, 9, 10] for n in OUTAGE},
}
BUILDING_FEE = next(p for p in PROCEDURES if p.code == "1.001612").fee_vnd
RECORD_FEE = next(p for p in PROCEDURES if p.code == "1.004227").fee_vnd


@dataclass(frozen=True)
class Outage:
    breaker: dict[str, Any]  # the national worker's /ready while the portal was down
    emc_during: int  # EMC records of the outage dossiers received while it was down
    statuses_during: int  # DongBoHoSoMC calls of those dossiers recorded while it was down
    duplicates: int  # resends the portal deduped since the outage began
    lost_replies: int


@pytest.fixture(scope="module")
def rig(
    stack_settings: Settings, registry: RegistryClient, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Rig]:
    prefix = f"test.{uuid.uuid4().hex[:12]}."
    settings = stack_settings.model_copy(update={"topic_prefix": prefix, "partitions": 3})
    logs: Path = tmp_path_factory.mktemp("partners-e2e")
    with partner_rig(settings, registry, logs, uuid.uuid4().hex[:8]) as running:
        yield running


def _synced(national: NationalPortalSimulator, dossier: str, count: int) -> bool:
    return len(national.statuses(dossier)) >= count


def _payment_url(rig: Rig, dossier_id: str) -> Payment | None:
    payment = rig.topics.payment(dossier_id)
    return payment if payment and payment.get("payment_url") else None


@pytest.fixture(scope="module")
def stories(rig: Rig) -> list[PartnerOutcome]:
    """The four stories, run to their end; the outcomes once every command has one."""
    ev, d = rig.events, rig.events.dossier_id
    rig.push(ev.submitted(POSTAL, "POSTAL", postal=True),
             ev.submitted(REFUSED, "POSTAL", postal=True),
             ev.event(REFUSED, "DossierRefused", {"reason": "Hồ sơ không hợp lệ"}),
             ev.submitted(ONLINE, "ONLINE", postal=False), ev.accepted(ONLINE),
             ev.fee_requested(ONLINE),
             ev.submitted(PAID, "ONLINE", postal=False), ev.accepted(PAID), ev.step(PAID),
             ev.fee_requested(PAID))  # fmt: skip
    # 4: the pickup is cancelled before VNPost moves (FINAL: advance_all leaves it alone)
    refused_pickup = wait_for(lambda: rig.waybills(d(REFUSED)).get("INTAKE_PICKUP"), 60,
                              "the refused dossier's pickup order")  # fmt: skip
    wait_for(lambda: rig.vnpost.order(refused_pickup).status == "CANCELLED", 60,
             "the pickup cancelled at VNPost")  # fmt: skip
    # 1: VNPost collects the paper dossier and delivers it to the agency
    pickup = wait_for(lambda: rig.waybills(d(POSTAL)).get("INTAKE_PICKUP"), 60, "the pickup")
    # VNPost's callbacks are accepted for orders whose outcome the outbox has written
    wait_for(lambda: pickup in rig.topics.postal_waybills(d(POSTAL)), 60, "the pickup's outcome")
    rig.vnpost.advance_all(until_final=True)
    # 2 and 3: the payer pays at paygov; the IPN comes back as one FeePaid
    references = {}
    for dossier in (d(ONLINE), d(PAID)):
        payment = wait_for(partial(_payment_url, rig, dossier), 60, f"{dossier}'s payment URL")
        references[dossier] = str(payment["payment_reference"])
        answers = rig.paygov.pay(references[dossier])
        assert answers, dossier
        assert all(a.http_status == 200 for a in answers), answers
        wait_for(partial(rig.dossier_events, dossier, "FEE_PAID"), 60, f"{dossier}'s FeePaid")
    rig.paygov.pay(references[d(ONLINE)])  # paid again: the IPN is resent
    # 1 to a result returned by post, 2 to an online result, 3 stopped (refund)
    rig.push(ev.accepted(POSTAL), ev.step(POSTAL), ev.result_ready(POSTAL, "POSTAL"),
             ev.step(ONLINE), ev.result_ready(ONLINE, "ONLINE"), ev.stopped(PAID))  # fmt: skip
    rig.sign(ev.result_signed(POSTAL), ev.result_signed(ONLINE))
    rig.push(ev.returned(ONLINE))
    delivery = wait_for(lambda: rig.waybills(d(POSTAL)).get("RESULT_DELIVERY"), 60, "the delivery")
    wait_for(lambda: delivery in rig.topics.postal_waybills(d(POSTAL)), 60, "its outcome")
    rig.vnpost.advance_all(until_final=True)
    wait_for(lambda: rig.dossier_events(d(POSTAL), "RESULT_RETURNED"), 60, "the result returned")
    wait_for(lambda: rig.dossier_events(d(PAID), "PAYMENT_REFUNDED"), 60, "the refund")
    return rig.settle()


@pytest.fixture(scope="module")
def outage(rig: Rig, stories: list[PartnerOutcome]) -> Outage:
    """The national portal answers 503 while four dossiers move, then comes back."""
    ev, national, worker = rig.events, rig.national, rig.workers["national"]
    duplicates_before = national.duplicates
    lost_before = national.faults.fired["lost_replies"]
    national.faults.arm("error_5xx", 1_000_000)
    rig.push(*(e for n in OUTAGE for e in (
        ev.submitted(n, "ONLINE", postal=False), ev.accepted(n), ev.step(n), ev.step(n),
        ev.result_ready(n, "ONLINE"), ev.returned(n))))  # fmt: skip
    breaker = wait_for(lambda: (s := worker.status()).get("breaker") == "open" and s, 60,
                       "the national worker's breaker open", every=0.05)  # fmt: skip
    # the other partners are not held up by the one that is down
    emc_during = wait_for(
        lambda: (n := sum(len(rig.emc.received(ev.dossier_id(d))) for d in OUTAGE)) >= 24 and n,
        60, "EMC's records of the outage dossiers",
    )  # fmt: skip
    statuses_during = sum(len(national.statuses(ev.dossier_id(n))) for n in OUTAGE)
    national.faults.clear()
    national.faults.arm("lost_replies", 3)  # back, but three replies get lost: resent
    for n in OUTAGE:
        dossier = ev.dossier_id(n)
        wait_for(partial(_synced, national, dossier, len(NATIONAL[n])), 90,
                 f"{dossier}'s statuses at the national portal")  # fmt: skip
    rig.settle()
    return Outage(breaker, emc_during, statuses_during, national.duplicates - duplicates_before,
                  national.faults.fired["lost_replies"] - lost_before)  # fmt: skip


def test_postal_orders_pickup_delivery_with_cod_and_cancel(rig: Rig, stories: object) -> None:
    events = rig.read_events()
    d = rig.events.dossier_id
    postal = rig.waybills(d(POSTAL), events)
    pickup = rig.vnpost.order(postal["INTAKE_PICKUP"])
    delivery = rig.vnpost.order(postal["RESULT_DELIVERY"])
    assert (pickup.service_type, pickup.cod_amount_vnd) == ("PICKUP", 0)
    assert pickup.status == "DELIVERED_TO_AGENCY"
    # nothing was paid online: the whole fee is collected on delivery
    assert delivery.service_type == "DELIVERY"
    assert delivery.cod_amount_vnd == BUILDING_FEE
    assert delivery.status == "DELIVERED_TO_CITIZEN"
    refused = rig.waybills(d(REFUSED), events)
    assert list(refused) == ["INTAKE_PICKUP"]
    assert rig.vnpost.order(refused["INTAKE_PICKUP"]).status == "CANCELLED"
    for n in (ONLINE, PAID):
        assert rig.waybills(d(n), events) == {}
    # one order per postal order command, whatever was resent
    assert rig.vnpost.orders_created == 3


def test_vnpost_callbacks_come_back_as_events(rig: Rig, stories: object) -> None:
    events = rig.read_events()
    dossier = rig.events.dossier_id(POSTAL)
    changes = of_type(events[dossier], "POSTAL_STATUS_CHANGED")
    for direction, waybill in rig.waybills(dossier, events).items():
        sent = [c for c in rig.vnpost.callbacks if c.waybill_number == waybill]
        assert sent, direction
        assert all(c.result.accepted for c in sent), sent
        got = [c["payload"][1] for c in changes if c["payload"][1]["waybill_number"] == waybill]
        assert [g["status"] for g in got] == [HUB_STATUS[c.status] for c in sent], direction
        assert {g["direction"] for g in got} == {direction}
    returned = of_type(events[dossier], "RESULT_RETURNED")
    assert len(returned) == 1
    assert returned[0]["payload"][1]["return_channel"] == "POSTAL"
    assert (
        returned[0]["payload"][1]["waybill_number"]
        == rig.waybills(dossier, events)["RESULT_DELIVERY"]
    )


def test_national_portal_gets_every_status_in_order_and_each_step(
    rig: Rig, stories: object
) -> None:
    events = rig.read_events()
    for n in (POSTAL, ONLINE, PAID, REFUSED):
        dossier = rig.events.dossier_id(n)
        expected = expected_calls(events[dossier])
        assert expected.national == NATIONAL[n], dossier  # the fold agrees with the story
        assert rig.national.statuses(dossier) == NATIONAL[n], dossier
        assert rig.national.statuses(dossier, SERVICE_PROGRESS) == expected.progress, dossier
        steps = of_type(events[dossier], "PROCESSING_STEP_RECORDED")
        contents = [r.data["NoiDungXuLy"] for r in rig.national.received(dossier, SERVICE_PROGRESS)]
        assert len(steps) <= contents.count("Thụ lý hồ sơ"), (dossier, contents)
    assert rig.national.order_violations == []


def test_emc_gets_one_record_per_status_change_and_step(rig: Rig, stories: object) -> None:
    events = rig.read_events()
    for n in (POSTAL, ONLINE, PAID, REFUSED):
        dossier = rig.events.dossier_id(n)
        expected = expected_calls(events[dossier])
        assert len(rig.emc.received(dossier)) == expected.emc == len(NATIONAL[n]), dossier


def test_fee_paid_online_once_and_refunded_after_stop(rig: Rig, stories: object) -> None:
    events = rig.read_events()
    d = rig.events.dossier_id
    for n in (ONLINE, PAID):
        payment = rig.topics.payment(d(n))
        assert payment is not None
        reference = str(payment["payment_reference"])
        at_paygov = rig.paygov.ledger.payment(reference)
        assert at_paygov.amount_vnd == RECORD_FEE
        assert len(of_type(events[d(n)], "PAYMENT_REQUEST_CREATED")) == 1
        fee_paid = of_type(events[d(n)], "FEE_PAID")
        assert len(fee_paid) == 1, fee_paid  # for ONLINE the IPN came twice
        paid = fee_paid[0]["payload"][1]
        assert (paid["payment_reference"], paid["amount_vnd"]) == (reference, RECORD_FEE)
        assert paid["method"] == "NATIONAL_PAYMENT_PLATFORM"
        assert paid["provider_transaction_id"] == at_paygov.payments[0].transaction_id
    assert of_type(events[d(ONLINE)], "PAYMENT_REFUNDED") == []
    refunded = of_type(events[d(PAID)], "PAYMENT_REFUNDED")
    assert len(refunded) == 1
    refund = refunded[0]["payload"][1]
    at_paygov = rig.paygov.ledger.payment(refund["payment_reference"])
    assert [(r.refund_reference, r.amount_vnd) for r in at_paygov.refunds] == [
        (refund["refund_reference"], RECORD_FEE)
    ]
    assert refund["amount_vnd"] == RECORD_FEE


def test_national_portal_down_then_back_loses_and_doubles_nothing(rig: Rig, outage: Outage) -> None:
    events = rig.read_events()
    assert outage.breaker["breaker"] == "open"
    assert outage.breaker["ready"] is False
    assert outage.emc_during >= 24  # EMC kept getting its records
    assert outage.statuses_during == 0  # nothing got through a portal answering 503
    assert rig.workers["national"].status().get("breaker") == "closed"
    for n in OUTAGE:
        dossier = rig.events.dossier_id(n)
        expected = expected_calls(events[dossier])
        assert expected.national == NATIONAL[n]
        assert rig.national.statuses(dossier) == NATIONAL[n], dossier
        assert rig.national.statuses(dossier, SERVICE_PROGRESS) == expected.progress, dossier
        assert len(rig.emc.received(dossier)) == expected.emc, dossier
    assert rig.national.order_violations == []
    # the lost replies were resent with their keys: deduped, not applied again
    assert outage.lost_replies == 3
    assert outage.duplicates >= outage.lost_replies
    keys = [r.idempotency_key for r in rig.national.received()]
    assert len(keys) == len(set(keys))


def test_every_command_has_exactly_one_accepted_outcome(
    rig: Rig, stories: object, outage: Outage
) -> None:
    commands = rig.commands()
    outcomes = rig.settle()
    per_command = Counter(str(o["command_id"]) for o in outcomes)
    assert set(per_command) == {str(c["command_id"]) for c in commands}
    assert [c for c, count in per_command.items() if count > 1] == []
    assert Counter(o["outcome"] for o in outcomes) == {"ACCEPTED": len(commands)}
    types = Counter(str(c["command_type"]) for c in commands)
    assert set(types) >= {"POSTAL_ORDER", "POSTAL_CANCEL", "PAYMENT_REQUEST", "PAYMENT_REFUND",
                          "NATIONAL_DOSSIER_SYNC", "NATIONAL_PROGRESS_UPDATE",
                          "EMC_TRACKING_RECORD"}, types  # fmt: skip
    assert (types["POSTAL_ORDER"], types["POSTAL_CANCEL"]) == (3, 1)
    assert (types["PAYMENT_REQUEST"], types["PAYMENT_REFUND"]) == (2, 1)
    # every push was in an order the status machine takes: nothing dead-lettered on the way
    assert [
        (x["processor"], x["reason_code"], x["reason"])
        for x in dead_letters(rig.settings, rig.registry)
    ] == []
