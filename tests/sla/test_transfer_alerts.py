"""TRANSFER_OVERDUE: the SLA worker's alert for a transfer step past its own deadline
(docs/desks.md), on real Avro serdes with the in-memory runner's timers, then in a worker
process whose clock the test moves.

Hand-computed (defaults: forward 1 working day, VNPost 2): a dossier for SXD filed at the
MC-CHOMOI desk Mon 3 March 2025 08:59 (10-working-day procedure, accepted 09:00) must be
forwarded by Tue 4 08:59; forwarded by post Tue 4 10:00, it must reach SXD by Thu 6 10:00.
"""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest

from hub.serde import RegistryClient
from hub.sla import Period, late_dossiers, write_csv
from tests.lifecycle._support import wait_until
from tests.sla._support import Rig, event, kinds, vn
from tests.sla.test_workers import Rig as LiveRig
from tests.sla.test_workers import rig as live_rig  # noqa: F401  (the live rig's fixture)

FORWARD_DUE, CARRY_DUE = vn(2025, 3, 4, 8, 59), vn(2025, 3, 6, 10)


@pytest.fixture
def rig(registry: RegistryClient, topic_prefix: str) -> Rig:
    return Rig(registry, topic_prefix)


def filed_at_desk(
    dossier_id: str, desk: str | None = "MC-CHOMOI", procedure: str = "P10"
) -> list[dict[str, Any]]:
    return [
        event(dossier_id, "DOSSIER_SUBMITTED", vn(2025, 3, 3, 8, 59), procedure_code=procedure,
              agency_code="SXD", receiving_desk=desk),
        event(dossier_id, "DOSSIER_ACCEPTED", vn(2025, 3, 3, 9), deadline_working_days=None),
    ]  # fmt: skip


def forwarded(dossier_id: str) -> dict[str, Any]:
    return event(dossier_id, "DOSSIER_FORWARDED", vn(2025, 3, 4, 10), desk_code="MC-CHOMOI",
                 agency_code="SXD", method="POSTAL")  # fmt: skip


def test_a_step_past_its_deadline_alerts_once_naming_the_step_agency_and_desk(rig: Rig) -> None:
    rig.feed(*filed_at_desk("HS-D1"))
    assert rig.record("HS-D1")["transfer"] == {
        "receiving_desk": "MC-CHOMOI", "competent_agency": "SXD", "where": "AT_DESK",
        "step": "FORWARD", "method": "UNKNOWN", "started_at": vn(2025, 3, 3, 8, 59),
        "due_at": FORWARD_DUE,
    }  # fmt: skip
    assert rig.due("HS-D1") == FORWARD_DUE
    assert rig.fire(vn(2025, 3, 4, 8, 58)) == []
    [alert] = rig.fire(vn(2025, 3, 4, 9, 30))
    assert (alert["kind"], alert["transfer_step"], alert["agency_code"], alert["receiving_desk"],
            alert["due_at"], alert["working_minutes_left"]) == (
        "TRANSFER_OVERDUE", "FORWARD", "SXD", "MC-CHOMOI", FORWARD_DUE, -31)  # fmt: skip
    assert rig.fire(vn(2025, 3, 4, 9, 45)) == []  # raised once
    rig.feed(forwarded("HS-D1"))  # the next step has its own deadline
    assert rig.due("HS-D1") == CARRY_DUE
    [late] = rig.fire(CARRY_DUE)
    assert (late["transfer_step"], late["due_at"]) == ("TO_AGENCY", CARRY_DUE)
    assert late["alert_id"] != alert["alert_id"]


def test_a_step_done_in_time_raises_nothing(rig: Rig) -> None:
    rig.feed(*filed_at_desk("HS-D2"), forwarded("HS-D2"))
    rig.feed(event("HS-D2", "DOSSIER_RECEIVED_BY_AGENCY", vn(2025, 3, 5, 15), agency_code="SXD"))
    transfer = rig.record("HS-D2")["transfer"]
    assert transfer is not None
    assert (transfer["where"], transfer["step"], transfer["due_at"]) == ("AT_AGENCY", None, None)
    # the forward was a working hour late (Tue 10:00, due 08:59): no timer kept it for later
    assert "TRANSFER_OVERDUE" not in kinds(rig.fire(vn(2025, 3, 7, 17)))


def test_a_dossier_filed_at_its_agencys_own_desk_has_no_transfer(rig: Rig) -> None:
    rig.feed(*filed_at_desk("HS-D3", desk=None))
    assert rig.record("HS-D3")["transfer"] is None
    assert "TRANSFER_OVERDUE" not in kinds(rig.fire(vn(2025, 3, 7, 17)))


def test_the_late_list_shows_the_desk_and_the_competent_agency_after_a_transfer(
    rig: Rig,
) -> None:
    """P1 (1 working day) accepted Mon 3 09:00 is due Tue 4 09:00; passed from SXD to STP
    Mon 11:00 by the province's staff (due at STP Tue 11:00); open on Wed 5 09:00: a working day
    late, listed under STP with its desk."""
    moved = event("HS-D5", "AGENCY_TRANSFERRED", vn(2025, 3, 3, 11), from_agency_code="SXD",
                  to_agency_code="STP", reason="Thẩm quyền STP", method="INTERNAL")  # fmt: skip
    rig.feed(*filed_at_desk("HS-D5", procedure="P1"), moved)
    [alert] = [a for a in rig.fire(vn(2025, 3, 4, 11)) if a["kind"] == "TRANSFER_OVERDUE"]
    assert (alert["transfer_step"], alert["agency_code"]) == ("TRANSFER", "STP")
    as_of = vn(2025, 3, 5, 9)
    [entry] = late_dossiers([rig.record("HS-D5")], Period.month("2025-03"), as_of=as_of,
                            calendar=rig.calendar)  # fmt: skip
    assert (entry.kind, entry.agency_code, entry.receiving_desk, entry.working_days_late) == (
        "OVERDUE", "STP", "MC-CHOMOI", 1.0)  # fmt: skip
    out = io.StringIO()
    write_csv([entry], out)
    [row] = csv.DictReader(io.StringIO(out.getvalue()))
    assert (row["agency_code"], row["receiving_desk"]) == ("STP", "MC-CHOMOI")


def test_the_worker_raises_it_when_its_clock_passes_the_due_time(live_rig: LiveRig) -> None:  # noqa: F811
    live_rig.start("w1")
    live_rig.events.send(filed_at_desk("HS-D4"))
    wait_until(lambda: live_rig.running() == 1, timeout_s=60)
    live_rig.clock.set(vn(2025, 3, 4, 9, 30))
    wait_until(lambda: "TRANSFER_OVERDUE" in kinds(live_rig.alerts()), timeout_s=60)
    [alert] = [a for a in live_rig.alerts() if a["kind"] == "TRANSFER_OVERDUE"]
    assert (alert["dossier_id"], alert["transfer_step"], alert["receiving_desk"]) == (
        "HS-D4", "FORWARD", "MC-CHOMOI")  # fmt: skip
