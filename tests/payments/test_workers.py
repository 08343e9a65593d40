"""The payments processor live: real Kafka, real registry, worker processes, a clock the test
moves (``--clock file:...``), the configuration from the environment (``DVC_PAYMENT_*``).

One worker: fee requests become PaymentRequest commands and PaymentStates on the compacted
topic; callbacks' events move them; the status-query timers fire for the unpaid payments only;
a reconciliation reads the states from the topic and publishes its mismatch with the ack.

kill -9 (slow): two workers, one SIGKILLed while it folds, another while its timers fire;
every command expected is on the topic, with the expected ids and no other.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from hub.kafka import ensure_topics
from hub.payments import (
    command_id,
    mismatch_id,
    payment_reference,
    refund_reference,
    run_reconciliation,
    status_query_id,
)
from hub.serde import RegistryClient
from hub.settings import Settings
from tests.lifecycle._support import wait_until
from tests.payments._live import EVENTS, FIRED, LiveRig
from tests.payments._support import DAY, at, created, event, fee_paid


@pytest.fixture
def live(stack_settings: Settings, registry: RegistryClient, tmp_path: Path) -> Iterator[LiveRig]:
    settings = stack_settings.model_copy(
        update={"topic_prefix": f"test.{uuid.uuid4().hex[:12]}.", "partitions": 4}
    )
    ensure_topics(settings)
    rig = LiveRig(settings, registry, tmp_path)
    yield rig
    rig.close()


def test_requests_callbacks_queries_and_reconciliation_live(live: LiveRig) -> None:
    live.start("w1")
    dossiers = [f"HS-L{n}" for n in range(6)]
    fees = live.request_fees(dossiers)
    refs = {d: payment_reference(d, fees[d]["event_id"]) for d in dossiers}
    wait_until(lambda: len(live.command_ids("PAYMENT_REQUEST")) >= 6, timeout_s=60)
    requests = live.commands("PAYMENT_REQUEST")
    assert {str(c["command_id"]) for c in requests} == {
        command_id(fees[d]["event_id"], "PAYMENT_REQUEST") for d in dossiers
    }
    assert {c["payload"][1]["payment_reference"] for c in requests} == set(refs.values())
    assert {c["payload"][1]["beneficiary_account"] for c in requests} == {"3511.0.1000001"}
    states = wait_until(lambda: (s := live.states()) and len(s) == 6 and s, timeout_s=30)
    assert {s["payments"][0]["payment_reference"] for s in states.values()} == set(refs.values())

    # the bank connector's events: created for all, paid for 0-2; 0 stopped after payment
    paid = dossiers[:3]
    live.events.send([created(d, refs[d], at(6)) for d in dossiers])
    live.events.send([fee_paid(d, refs[d], at(9), transaction=f"VNP-{d}") for d in paid])
    live.events.send([event(dossiers[0], "PROCESSING_STEP_RECORDED", at(11)),
                      event(dossiers[0], "PROCESSING_STOPPED", at(12))])  # fmt: skip
    [refund] = wait_until(lambda: live.commands("PAYMENT_REFUND"), timeout_s=30)
    stopped = dossiers[0]
    assert refund["payload"][1]["refund_reference"] == refund_reference(stopped, refs[stopped])

    def statuses() -> dict[str, str]:
        return {d: s["payments"][0]["status"] for d, s in live.states().items()}

    expected = {dossiers[0]: "REFUND_REQUESTED", **{d: "PAID" for d in paid[1:]},
                **{d: "CREATED" for d in dossiers[3:]}}  # fmt: skip
    wait_until(lambda: statuses() == expected, timeout_s=30)

    # 16 minutes after the request: the first status query of the unpaid payments only
    live.clock.set(at(21))
    wait_until(lambda: len(live.command_ids("PAYMENT_STATUS_QUERY")) >= 3, timeout_s=30)
    time.sleep(2)  # a query for a paid payment, or a second one, would show up by now
    queries = live.commands("PAYMENT_STATUS_QUERY")
    assert sorted(str(c["command_id"]) for c in queries) == sorted(
        status_query_id(refs[d], 1) for d in dossiers[3:]
    )
    # then 30 minutes later the second
    live.clock.set(at(51))
    wait_until(lambda: len(live.command_ids("PAYMENT_STATUS_QUERY")) >= 6, timeout_s=30)
    assert {c["payload"][1]["query_number"] for c in live.commands("PAYMENT_STATUS_QUERY")} == {
        1, 2,
    }  # fmt: skip

    # reconciliation: 1 and 2 match, 0's payment and refund match, 3 is paid only at the provider
    csv_path = live.log_dir / "vnpay-2026-03-02.csv"
    csv_path.write_text(
        "provider,transaction_id,payment_reference,amount_vnd,kind,occurred_at\n"
        + "".join(f"vnpay,VNP-{d},{refs[d]},200000,PAYMENT,2026-03-02T09:09:00+07:00\n"
                  for d in paid)
        + f"vnpay,VNR-0,{refund_reference(dossiers[0], refs[dossiers[0]])},200000,REFUND,"
          "2026-03-02T10:00:00+07:00\n"
        + f"vnpay,VNP-X,{refs[dossiers[3]]},200000,PAYMENT,2026-03-02T09:30:00+07:00\n",
        encoding="utf-8",
    )  # fmt: skip
    report = run_reconciliation(live.settings, DAY, "vnpay", csv_path, registry=live.registry)
    [mismatch] = report.mismatches
    assert (mismatch.kind, mismatch.dossier_id) == ("MISSING_IN_HUB", dossiers[3])
    assert mismatch.mismatch_id == mismatch_id("vnpay", DAY, "MISSING_IN_HUB", refs[dossiers[3]],
                                               ["VNP-X"])  # fmt: skip
    assert report.published == 1
    assert report.matched == 4
    [record] = live.mismatches()  # acknowledged: on the topic when the call returns
    assert str(record["mismatch_id"]) == mismatch.mismatch_id
    assert record["day"] == DAY
    again = run_reconciliation(live.settings, DAY, "vnpay", csv_path, registry=live.registry)
    assert [m.mismatch_id for m in again.mismatches] == [mismatch.mismatch_id]


@pytest.mark.slow
@pytest.mark.timeout(420)
def test_killed_workers_lose_no_command_and_make_no_other(live: LiveRig) -> None:
    first = live.start("w1", wait=False)
    second = live.start("w2", wait=False)
    first.wait_ready(90)
    second.wait_ready(90)
    wait_until(lambda: first.status().get("partitions") and second.status().get("partitions"), 60)
    dossiers = [f"HS-K{n:03d}" for n in range(60)]
    folded = first.metric(EVENTS)
    fees = live.request_fees(dossiers[:30])
    wait_until(lambda: first.metric(EVENTS) > folded, timeout_s=60, every_s=0.05)
    first.kill()  # SIGKILL while it folds: no flush, no commit
    fees |= live.request_fees(dossiers[30:])
    expected_requests = {command_id(fees[d]["event_id"], "PAYMENT_REQUEST") for d in dossiers}
    wait_until(lambda: set(live.command_ids("PAYMENT_REQUEST")) >= expected_requests, 120)
    assert set(live.command_ids("PAYMENT_REQUEST")) == expected_requests
    refs = {d: payment_reference(d, fees[d]["event_id"]) for d in dossiers}
    wait_until(lambda: len(live.states()) == len(dossiers), timeout_s=60)

    third = live.start("w3")  # a replacement: a rebalance moves partitions (and their timers)
    wait_until(lambda: second.status().get("partitions") and third.status().get("partitions"), 60)
    wait_until(lambda: second.ready() and third.ready(), 60)
    fired = second.metric(FIRED)
    live.clock.set(at(21))  # every payment's first status query is due
    wait_until(lambda: second.metric(FIRED) > fired or third.metric(FIRED) > 0, 60, 0.05)
    second.kill()  # SIGKILL while timers fire: the survivor rebuilds them from the changelog
    expected_queries = {status_query_id(refs[d], 1) for d in dossiers}
    wait_until(lambda: set(live.command_ids("PAYMENT_STATUS_QUERY")) >= expected_queries, 120)
    time.sleep(2)
    queries = live.command_ids("PAYMENT_STATUS_QUERY")
    assert set(queries) == expected_queries  # a re-fired timer sends the same id, never another
    wait_until(
        lambda: all(s["payments"][0]["status_queries"] == 1 for s in live.states().values()), 60
    )
    assert set(live.command_ids()) == expected_requests | expected_queries
