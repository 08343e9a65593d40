"""NationalPortalClient driven by the real outbox worker over the real broker, against the
simulator: every status of every dossier reaches the portal once, in order, through a 5xx
storm, lost replies and expired sessions; NationalSyncCompleted lands on dossier.events."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from connectors.national import (
    SERVICE_DOSSIER_SYNC,
    NationalConfig,
    NationalPortalClient,
    NationalPortalSimulator,
)
from connectors.outbox import BreakerPolicy, OutboxOptions, OutboxWorker, RetryPolicy
from hub.kafka import ensure_topics, make_producer, read_to_end
from hub.serde import RegistryClient, serde_for
from hub.settings import Settings
from hub.topics import DEADLETTER, DOSSIER_EVENTS, PARTNER_COMMANDS, PARTNER_OUTCOMES

FAST = OutboxOptions(
    concurrency=8,
    retry=RetryPolicy(base_s=0.05, cap_s=0.3, report_after=50),
    breaker=BreakerPolicy(failure_threshold=50, cooldown_s=0.2, max_cooldown_s=0.5),
)
#: A dossier's life as the national portal sees it (fee step, supplement round, way back).
LIFE = (1, 6, 2, 4, 5, 4, 9, 10)
SUPPLEMENT_STEP = LIFE.index(5)


def sync_command(dossier_id: str, step: int, code: int) -> dict[str, Any]:
    command_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"national-e2e:{dossier_id}:{step}"))
    start = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
    at = start + timedelta(hours=step)
    # the supplement round from its request on, closed at the next step
    rounds: list[dict[str, Any]] = []
    if step >= SUPPLEMENT_STEP:
        received = start + timedelta(hours=SUPPLEMENT_STEP + 1)
        rounds = [{"requested_at": start + timedelta(hours=SUPPLEMENT_STEP),
                   "received_at": received if step > SUPPLEMENT_STEP else None,
                   "old_appointment_at": None, "new_appointment_at": None,
                   "reason": "Thiếu bản vẽ"}]  # fmt: skip
    return {
        "command_id": command_id,
        "command_type": "NATIONAL_DOSSIER_SYNC",
        "dossier_id": dossier_id,
        "idempotency_key": f"{command_id}:sync",
        "created_at": at,
        "correlation_id": dossier_id,
        "causation_id": None,
        "payload": (
            "vn.dvchub.command.NationalDossierSync",
            {"procedure_code": "1.001612", "procedure_name": None, "agency_code": "SXD",
             "applicant_name": "Nguyễn Văn An", "received_at": at, "appointment_at": None,
             "returned_at": None, "status_code": code, "postal": False, "fee_lines": [],
             "supplements": rounds, "result_documents": []},
        ),
    }  # fmt: skip


def wait_until(check: Callable[[], bool], timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while not check():
        if time.monotonic() > deadline:
            raise TimeoutError("condition not met in time")
        time.sleep(0.1)


@pytest.mark.slow
def test_every_status_reaches_the_portal_once_and_in_order(
    settings: Settings, registry: RegistryClient
) -> None:
    ensure_topics(settings, [PARTNER_COMMANDS, PARTNER_OUTCOMES, DOSSIER_EVENTS, DEADLETTER])
    dossiers = [f"HS-E2E-{i:03d}" for i in range(12)]
    with NationalPortalSimulator(token_lifetime_s=3600) as simulator:
        for dossier in dossiers:
            simulator.expect_order(dossier, LIFE)
        client = NationalPortalClient(NationalConfig(url=simulator.url, timeout_s=1.0))
        worker = OutboxWorker(settings, client, FAST, registry=registry)
        thread = threading.Thread(target=worker.run, daemon=True)
        serde = serde_for(PARTNER_COMMANDS, settings.topic_prefix, registry)
        producer = make_producer(settings)
        topic = PARTNER_COMMANDS.name(settings.topic_prefix)
        simulator.faults.arm("error_5xx", 25)  # a storm from the first call
        simulator.faults.arm("lost_replies", 5)
        thread.start()
        try:
            total = len(dossiers) * len(LIFE)
            half = len(LIFE) // 2

            def send(steps: range) -> None:
                for step in steps:
                    for dossier in dossiers:
                        record = sync_command(dossier, step, LIFE[step])
                        producer.send(topic, key=dossier.encode(), value=serde.encode(record))
                producer.flush()

            send(range(half))
            wait_until(lambda: len(simulator.received()) >= len(dossiers) * half, 90)
            simulator.expire_sessions()  # the portal forgets every session; then the rest
            send(range(half, len(LIFE)))
            wait_until(lambda: len(simulator.received(service=SERVICE_DOSSIER_SYNC)) >= total, 90)
            events = serde_for(DOSSIER_EVENTS, settings.topic_prefix, registry)
            events_topic = DOSSIER_EVENTS.name(settings.topic_prefix)

            def completed() -> list[dict[str, Any]]:
                decoded = [events.decode(r.value) for r in read_to_end(settings, events_topic)]
                return [e for e in decoded if e["event_type"] == "NATIONAL_SYNC_COMPLETED"]

            wait_until(lambda: len({e["event_id"] for e in completed()}) >= total, 60)
        finally:
            worker.stop()
            thread.join(30)
            producer.close()
        assert simulator.faults.fired["error_5xx"] == 25
        assert simulator.faults.fired["lost_replies"] == 5
        assert simulator.duplicates >= 5  # the lost replies' retries, answered without effect
        assert len(simulator.received()) == total  # nothing doubled on the portal
        for dossier in dossiers:
            assert simulator.statuses(dossier) == list(LIFE)
        assert simulator.order_violations == []
        assert simulator.logins >= 2  # renewed after the sessions were expired
        # the round went through the Avro contract and the outbox into DanhSachHoSoBoSung
        rounds = [r.data["DanhSachHoSoBoSung"] for r in simulator.received("HS-E2E-000")]
        assert rounds[SUPPLEMENT_STEP - 1] == []
        sent = {"NgayYeuCau": "20260302120000", "NgayHenTraCu": None, "NgayHenTraMoi": None,
                "LyDo": "Thiếu bản vẽ"}  # fmt: skip
        assert rounds[SUPPLEMENT_STEP:] == [[sent]] * (len(LIFE) - SUPPLEMENT_STEP)
        synced = {(e["dossier_id"], e["payload"][1]["status_synced"]) for e in completed()}
        assert ("HS-E2E-000", "RESULT_RETURNED") in synced
