"""The new date the SLA proposes for an apology letter (``Reappointment``), pure.

Hand-computed on the real working calendar (07:00-11:30, 13:30-17:00; no holiday in March
2025): a 3-working-day procedure accepted Monday 3 March 09:00 is due Thursday 6 March 09:00;
its apology is due Wednesday 5 March 09:00. Five working days after Thursday 6 March 09:00 is
Thursday 13 March 09:00 (the weekend does not count); once the appointment passed, the extension
counts from the alert: Friday 7 March 09:00 + 5 is Friday 14 March 09:00.
"""

from __future__ import annotations

import pytest

from hub.records import DossierDeadline, SlaAlert
from hub.sla import Reappointment, SlaSettings, raise_due_alerts
from tests.sla._support import accepted, event, vn
from tests.sla.test_explanations import POLICY, fold

APOLOGY_DUE_AT = vn(2025, 3, 5, 9)
FIVE_DAYS = Reappointment(5)


def dossier(procedure: str = "P3") -> DossierDeadline:
    return fold(accepted("HS-R", vn(2025, 3, 3, 9), procedure))


def by_kind(alerts: list[SlaAlert]) -> dict[str, SlaAlert]:
    return {str(a["kind"]): a for a in alerts}


def test_apology_due_proposes_the_extension_after_the_appointment() -> None:
    _, alerts = raise_due_alerts(dossier(), APOLOGY_DUE_AT, POLICY, FIVE_DAYS)
    raised = by_kind(alerts)
    assert set(raised) == {"DUE_SOON", "APOLOGY_DUE"}
    assert raised["APOLOGY_DUE"]["proposed_appointment_at"] == vn(2025, 3, 13, 9)
    assert raised["DUE_SOON"]["proposed_appointment_at"] is None


def test_a_procedure_of_its_own_extension() -> None:
    extension = Reappointment(5, {"P3": 2, "P1": 9})
    _, alerts = raise_due_alerts(dossier(), APOLOGY_DUE_AT, POLICY, extension)
    assert by_kind(alerts)["APOLOGY_DUE"]["proposed_appointment_at"] == vn(2025, 3, 10, 9)


def test_overdue_without_apology_counts_from_the_alert() -> None:
    # the worker was down on Thursday: the advance notices are swallowed, the overdue ones raised
    _, alerts = raise_due_alerts(dossier(), vn(2025, 3, 7, 9), POLICY, FIVE_DAYS)
    raised = by_kind(alerts)
    assert set(raised) == {"OVERDUE", "OVERDUE_WITHOUT_APOLOGY"}
    assert raised["OVERDUE_WITHOUT_APOLOGY"]["proposed_appointment_at"] == vn(2025, 3, 14, 9)
    assert raised["OVERDUE"]["proposed_appointment_at"] is None


def test_no_reappointment_no_proposal() -> None:
    _, alerts = raise_due_alerts(dossier(), APOLOGY_DUE_AT, POLICY)
    assert [a["proposed_appointment_at"] for a in alerts] == [None, None]


def test_the_proposed_date_is_one_the_sla_accepts() -> None:
    state = dossier()
    _, alerts = raise_due_alerts(state, APOLOGY_DUE_AT, POLICY, FIVE_DAYS)
    proposed = by_kind(alerts)["APOLOGY_DUE"]["proposed_appointment_at"]
    apology = event("HS-R", "APOLOGY_ISSUED", APOLOGY_DUE_AT, new_appointment_at=proposed)
    after = fold([apology], state)
    assert after["appointment_at"] == proposed
    assert after["original_appointment_at"] == vn(2025, 3, 6, 9)


def test_extensions_must_be_positive() -> None:
    with pytest.raises(ValueError, match="positive"):
        Reappointment(0)
    with pytest.raises(ValueError, match="P3"):
        Reappointment(5, {"P3": -1})


def test_settings_read_the_extensions(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DVC_SLA_APOLOGY_EXTENSION_WORKING_DAYS", "7")
    monkeypatch.setenv("DVC_SLA_APOLOGY_EXTENSION_BY_PROCEDURE", '{"1.001": 10}')
    extension = SlaSettings().reappointment()
    assert (extension.days_for("1.001"), extension.days_for("2.002"), extension.days_for(None)) == (
        10, 7, 7
    )  # fmt: skip
