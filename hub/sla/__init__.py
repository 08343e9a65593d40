"""The SLA engine: working calendar, deadlines, durable timers, alerts and late lists.

``dossier.events`` -> ``SlaProcessor`` (a ``hub.processing`` fold with timers) -> ``deadlines``
table -> ``sla.deadlines`` (each dossier's DossierDeadline) and ``sla.alerts`` (SlaAlert). The
calendar is Vietnam's (``holidays``) with the province's overrides; the clock is the runner's
(wall time live, accelerated or file-set in tests and the demo).

* ``WorkingCalendar``: working days and office hours; working-time arithmetic.
* ``apply_event`` / ``raise_due_alerts``: the rules (DOMAIN.md §3), pure; a late dossier's
  explanation (ExplanationRecorded) is due ``DVC_SLA_EXPLANATION_WORKING_DAYS`` (3) working
  days after it became late, else EXPLANATION_OVERDUE. APOLOGY_DUE and OVERDUE_WITHOUT_APOLOGY
  propose the apology's new date (``Reappointment``: ``DVC_SLA_APOLOGY_EXTENSION_WORKING_DAYS``,
  5 by default, or per procedure, after the appointment or the alert if later).
* ``SlaProcessor``: the fold; ``SPEC`` (``dvchub worker sla``): it live.
* ``deadline_view`` / ``read_deadlines``: a deadline as of now, from the topic.
* ``Transfers`` / ``follow``: the transfer steps of acceptance anywhere in the province (desk ->
  agency -> desk, agency -> agency) with their own deadlines (``TransferDeadlines``,
  ``DVC_SLA_TRANSFER_*``); ``late_transfers`` / ``transfer_counts``: the late steps by
  competent agency and by receiving desk.
* ``late_dossiers`` / ``late_counts`` / ``write_csv`` / ``write_xlsx``: the published late lists,
  each dossier with its explanation; ``missing_explanations``: late dossiers still owing one.

Exceptions: configuration errors are ``ValueError`` (bad office hours, bad override file);
an event the rules refuse is a value (``Refusal``), dead-lettered by the runner.
"""

from hub.sla._alerts import (
    ALERT_KINDS,
    Reappointment,
    alert_id,
    alert_tag,
    next_due,
    raise_due_alerts,
    scheduled_alerts,
)
from hub.sla._app import ALERTS, SPEC
from hub.sla._calendar import TZ, CalendarOverrides, OfficeHours, WorkingCalendar
from hub.sla._config import SlaSettings
from hub.sla._deadline import Refusal, SlaPolicy, apply_event, new_record
from hub.sla._late import LateDossier, Period, late_dossiers, missing_explanations
from hub.sla._late_counts import LateCount, late_counts
from hub.sla._late_export import CSV_COLUMNS, as_json, write_csv, write_xlsx
from hub.sla._processor import SlaProcessor
from hub.sla._transfers import (
    LateTransfer,
    TransferCount,
    TransferDeadlines,
    Transfers,
    TransferSettings,
    TransferStep,
    follow,
    late_transfers,
    transfer_counts,
)
from hub.sla._view import DeadlineView, deadline_view, read_deadlines

__all__ = [
    "ALERTS",
    "ALERT_KINDS",
    "CSV_COLUMNS",
    "SPEC",
    "TZ",
    "CalendarOverrides",
    "DeadlineView",
    "LateCount",
    "LateDossier",
    "LateTransfer",
    "OfficeHours",
    "Period",
    "Reappointment",
    "Refusal",
    "SlaPolicy",
    "SlaProcessor",
    "SlaSettings",
    "TransferCount",
    "TransferDeadlines",
    "TransferSettings",
    "TransferStep",
    "Transfers",
    "WorkingCalendar",
    "alert_id",
    "alert_tag",
    "apply_event",
    "as_json",
    "deadline_view",
    "follow",
    "late_counts",
    "late_dossiers",
    "late_transfers",
    "missing_explanations",
    "new_record",
    "next_due",
    "raise_due_alerts",
    "read_deadlines",
    "scheduled_alerts",
    "transfer_counts",
    "write_csv",
    "write_xlsx",
]
