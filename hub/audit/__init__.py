"""``dvchub audit``: was anything lost or doubled anywhere? The event log reconciled with every
thing derived from it, read whole from a topic prefix (a deployment or a test's own):

    events        each event id once on ``dossier.events``                      (``_states``)
    states        each dossier's state folded again = ``dossier.state``;
                  each refused event dead-lettered by the lifecycle             (``_states``)
    timers        a deadline record for every accepted open dossier            (``_sla``)
    alerts        each alert once, with its deterministic id; none for a dossier that
                  ended before it was due                                      (``_sla``)
    kpis          the published KPIs = the KPI folds replayed in memory        (``_kpi``)
    commands      each partner command one final outcome, per dossier in order (``_commands``)
    dead letters  each with a reason, its original bytes and its source        (``_deadletters``)
    partner X     what partner X applied: each accepted command once, in order (``_partners``,
                  from a ``PartnerLedger``: the simulators answer it)

``audit(settings, registry, partners=...)`` returns a ``Report``: a ``CheckResult`` row per check
(examined, lost, duplicated, disagreeing, the first findings), each finding a frozen ``Finding``;
``exit_code`` is 1 on any finding. A check whose derived topic does not exist on the prefix (the
part is not deployed) is reported skipped, not clean. ``hub.audit`` reads the log as it is: run
it on a quiet hub, else work in flight shows up; ``audit_settled`` audits again while it finds
something, for a bounded time (the end of a run that just stopped its traffic).

Exceptions (everything raised from this package is an ``AuditError``)::

    AuditError
    └── AuditReadError   the prefix could not be read (no event log on it, broker, registry, a
                         record no schema reads, a read that did not finish): no answer, not a
                         finding
"""

from hub.audit._audit import CHECKS, audit, audit_settled
from hub.audit._errors import AuditError, AuditReadError
from hub.audit._model import KINDS, CheckResult, Finding, Kind, Report
from hub.audit._partners import PartnerCall, PartnerLedger

__all__ = [
    "CHECKS",
    "KINDS",
    "AuditError",
    "AuditReadError",
    "CheckResult",
    "Finding",
    "Kind",
    "PartnerCall",
    "PartnerLedger",
    "Report",
    "audit",
    "audit_settled",
]
