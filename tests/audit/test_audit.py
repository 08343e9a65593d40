"""``dvchub audit`` on the real stack: a small province run live audits clean, then each defect
planted by hand is found by the right check, with the right kind and count, and nothing else
moves (``change``): an audit that ignored the defect fails its test.

The stories (``Events``, no postal service, fee or notification consent: commands for the
national portal and EMC only): dossier 2 in processing, 3 accepted, 4 stopped, 5 submitted; a
ResultReturned for 5 (an illegal transition) and bytes no schema reads, both dead-lettered by
the lifecycle, which their dead letters excuse.
"""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from connectors.emc import EmcClient, EmcConfig
from connectors.outbox import Command
from hub.audit import AuditReadError, Report, audit, audit_settled
from hub.kpi import read_kpis
from hub.lifecycle import read_states
from hub.serde import RegistryClient
from hub.settings import Settings
from hub.sla import alert_id
from hub.topics import (
    DEADLETTER,
    DOSSIER_EVENTS,
    DOSSIER_STATE,
    KPI,
    PARTNER_COMMANDS,
    PARTNER_OUTCOMES,
    SLA_ALERTS,
)
from tests.audit._rig import Rig, audit_rig, change

pytestmark = pytest.mark.slow

#: Checks that must have examined something in the clean run (alerts: none is due yet).
EXAMINED = ("events", "states", "timers", "kpis", "commands", "dead letters",
            "partner national", "partner emc")  # fmt: skip


@pytest.fixture(scope="module")
def rig(
    stack_settings: Settings, registry: RegistryClient, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Rig]:
    with audit_rig(stack_settings, registry, tmp_path_factory.mktemp("audit")) as running:
        e = running.events
        running.producer.send([
            e.submitted(2, "ONLINE", postal=False), e.accepted(2), e.step(2),
            e.submitted(3, "ONLINE", postal=False), e.accepted(3),
            e.submitted(4, "ONLINE", postal=False), e.accepted(4), e.step(4), e.stopped(4),
            e.submitted(5, "ONLINE", postal=False), e.returned(5),
        ])  # fmt: skip
        running.producer.send_raw(e.dossier_id(5), b"\x00not avro")
        running.producer.flush()
        yield running


@pytest.fixture(scope="module")
def settled(rig: Rig) -> Report:
    return audit_settled(rig.settings, rig.registry, partners=rig.ledgers(), timeout_s=300)


# the rig starts with this test: eight worker processes on a shared machine take minutes
@pytest.mark.timeout(900)
def test_a_province_run_live_audits_clean(settled: Report) -> None:
    assert settled.clean, settled.as_json()["checks"]
    assert settled.exit_code == 0
    for name in EXAMINED:
        row = settled.check(name)
        assert row.skipped is None, row
        assert row.examined > 0, row
    assert settled.check("states").examined == 4
    # the poison record and the illegal transition: dead-lettered with their bytes, excused
    assert settled.check("dead letters").examined >= 2
    assert settled.check("states").notes == ("2 events excused by a dead letter",)


def test_a_command_without_its_outcome_is_lost(rig: Rig, settled: Report) -> None:
    dossier = rig.events.dossier_id(5)
    cancel = {"direction": "INTAKE_PICKUP", "order_number": dossier, "reason": "planted"}
    command = {
        "command_id": str(uuid.uuid4()), "command_type": "POSTAL_CANCEL", "dossier_id": dossier,
        "idempotency_key": str(uuid.uuid4()), "created_at": datetime.now(UTC),
        "correlation_id": dossier, "causation_id": None,
        "payload": ("vn.dvchub.command.PostalCancel", cancel),
    }  # fmt: skip
    before = rig.audit()
    # no VNPost outbox runs here: the command never gets an outcome, as if it were removed
    rig.plant(PARTNER_COMMANDS, dossier, rig.encode(PARTNER_COMMANDS, command))
    assert change(before, rig.audit()) == {("commands", "lost"): 1}


def test_an_outcome_removed_from_the_log_is_lost(rig: Rig, settled: Report) -> None:
    """The first outcome of a partition deleted (each command has one outcome so far)."""
    partition = rig.messages(PARTNER_OUTCOMES)[0].partition or 0
    before = rig.audit()
    rig.remove_first(PARTNER_OUTCOMES, partition)
    assert change(before, rig.audit()) == {("commands", "lost"): 1}


def test_a_second_outcome_of_a_command_is_a_duplicate(rig: Rig, settled: Report) -> None:
    dossier = rig.events.dossier_id(4)
    outcome = next(o for o in rig.values(PARTNER_OUTCOMES) if o["dossier_id"] == dossier)
    before = rig.audit()
    # the same outcome again (a retry after a crash gives the same id) is no finding
    rig.plant(PARTNER_OUTCOMES, dossier, rig.encode(PARTNER_OUTCOMES, outcome))
    assert change(before, rig.audit()) == {}
    twice = {**outcome, "outcome_id": str(uuid.uuid4())}
    rig.plant(PARTNER_OUTCOMES, dossier, rig.encode(PARTNER_OUTCOMES, twice))
    assert change(before, rig.audit()) == {("commands", "duplicated"): 1}


def test_an_event_published_again_is_a_redelivery_every_fold_deduplicates(
    rig: Rig, settled: Report
) -> None:
    """At least once: the same event again under its id (a publisher killed before its commit)
    is no finding as long as every derived topic applied it once; the row counts it."""
    dossier = rig.events.dossier_id(2)
    first = next(m for m in rig.messages(DOSSIER_EVENTS) if m.key == dossier.encode())
    before = rig.audit()
    rig.plant(DOSSIER_EVENTS, dossier, first.value)
    after = rig.audit()
    assert change(before, after) == {}
    assert "1 redelivered under their id (deduplicated)" in after.check("events").notes


def test_a_state_disagreeing_with_the_log_is_found(rig: Rig, settled: Report) -> None:
    dossier = rig.events.dossier_id(3)
    topic = DOSSIER_STATE.name(rig.settings.topic_prefix)
    state = read_states(rig.settings, rig.registry, topic)[dossier]
    assert state["status"] == "ACCEPTED"
    before = rig.audit()
    rig.plant(DOSSIER_STATE, dossier, rig.encode(DOSSIER_STATE, {**state, "status": "PROCESSING"}))
    assert change(before, rig.audit()) == {("states", "disagreeing"): 1}


def test_an_alert_raised_again_is_a_redelivery_under_another_id_a_finding(
    rig: Rig, settled: Report
) -> None:
    dossier = rig.events.dossier_id(2)
    due = datetime.now(UTC).replace(microsecond=0) + timedelta(days=3)
    alert = {
        "alert_id": alert_id(dossier, "DUE_SOON", due), "dossier_id": dossier, "kind": "DUE_SOON",
        "agency_code": "STP", "procedure_code": "1.004227", "due_at": due,
        "raised_at": datetime.now(UTC), "working_minutes_left": 60, "handler": None,
        "proposed_appointment_at": None,
    }  # fmt: skip
    value = rig.encode(SLA_ALERTS, alert)
    before = rig.audit()
    rig.plant(SLA_ALERTS, dossier, value)
    once = rig.audit()
    assert change(before, once) == {}, "one alert under its own id is no finding"
    rig.plant(SLA_ALERTS, dossier, value)  # a worker killed before its timer's fold was kept
    again = rig.audit()
    assert change(once, again) == {}
    assert "1 redelivered under their id (deduplicated)" in again.check("alerts").notes
    other = rig.encode(SLA_ALERTS, {**alert, "alert_id": str(uuid.uuid4())})
    rig.plant(SLA_ALERTS, dossier, other)  # the same alert under an id not its own
    assert change(again, rig.audit()) == {("alerts", "disagreeing"): 1}


def test_a_dead_letter_without_its_bytes_is_lost(rig: Rig, settled: Report) -> None:
    event = rig.messages(DOSSIER_EVENTS)[0]
    letter: dict[str, object] = {
        "dead_letter_id": str(uuid.uuid4()), "processor": "routing",
        "source_topic": event.topic, "source_partition": event.partition,
        "source_offset": event.offset, "original_key": event.key, "original_value": b"",
        "headers": [], "reason_code": "VALIDATION_FAILED", "reason": "planted",
        "failed_at": datetime.now(UTC),
    }  # fmt: skip
    before = rig.audit()
    rig.plant(DEADLETTER, (event.key or b"").decode(), rig.encode(DEADLETTER, letter))
    assert change(before, rig.audit()) == {("dead letters", "lost"): 1}


def test_a_kpi_snapshot_off_by_one_is_found(rig: Rig, settled: Report) -> None:
    key, snapshot = sorted(read_kpis(rig.settings, rig.registry).snapshots.items())[0]
    off = {**snapshot, "received_full_online": snapshot["received_full_online"] + 1}
    before = rig.audit()
    rig.plant(KPI, key, rig.encode(KPI, off))
    assert change(before, rig.audit()) == {("kpis", "duplicated"): 1}


def test_a_call_the_partner_got_twice_under_another_key_is_found(rig: Rig, settled: Report) -> None:
    """EMC records a tracking record the hub sent already, under a key of no command (a resend
    that lost its idempotency key): the hub's side sees nothing, EMC's ledger does."""
    emc = rig.simulators["emc"]
    command = next(c for c in rig.values(PARTNER_COMMANDS)
                   if c["command_type"] == "EMC_TRACKING_RECORD")  # fmt: skip
    resent = Command.of_record({**command, "idempotency_key": str(uuid.uuid4())})
    before = rig.audit()
    client = EmcClient(EmcConfig(url=emc.url))
    try:
        client.call(resent, attempt=1)
    finally:
        client.close()
    assert change(before, rig.audit()) == {("partner emc", "disagreeing"): 1}


def test_the_command_prints_the_findings_and_exits_one(rig: Rig, settled: Report) -> None:
    report = audit(rig.settings, rig.registry)  # as the command runs it: no simulator at hand
    assert not report.clean, "the defects planted above"
    command = [sys.executable, "-m", "dvchub", "audit", "--prefix", rig.settings.topic_prefix]
    run = subprocess.run([*command, "--json"], capture_output=True, text=True, timeout=300,
                         check=False)  # fmt: skip
    assert run.returncode == 1, run.stderr[-2000:]
    printed = json.loads(run.stdout)
    # the command has no simulators to ask: the hub's rows, with the same findings
    assert printed["totals"] == dict(report.totals())
    table = subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)
    assert table.returncode == 1
    assert "dead letters" in table.stdout


def test_a_prefix_without_an_event_log_is_no_answer(
    stack_settings: Settings, registry: RegistryClient
) -> None:
    """A mistyped prefix has nothing derived either: every check would be skipped or empty, and
    a clean report would be a lie."""
    nowhere = stack_settings.model_copy(update={"topic_prefix": f"test.{uuid.uuid4().hex}."})
    with pytest.raises(AuditReadError, match="no event log"):
        audit(nowhere, registry)
