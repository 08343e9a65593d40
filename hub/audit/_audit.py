"""``audit``: every check over one read of the prefix's topics, into a ``Report``."""

from __future__ import annotations

import time
from collections.abc import Sequence

from kafka.errors import KafkaError

from hub import kafka
from hub.audit._commands import check_commands, read_commands
from hub.audit._deadletters import check_dead_letters
from hub.audit._errors import AuditReadError
from hub.audit._kpi import check_kpis
from hub.audit._log import LogReader
from hub.audit._model import Report
from hub.audit._partners import PartnerLedger, check_partner
from hub.audit._sla import check_alerts, check_timers
from hub.audit._states import check_events, check_states, replay_states
from hub.dossier import DossierError
from hub.serde import RegistryClient, SerdeError
from hub.settings import Settings
from hub.topics import DOSSIER_EVENTS

#: The checks in the order of the report's rows (then one row per partner ledger).
CHECKS = ("events", "states", "timers", "alerts", "kpis", "commands", "dead letters")


def audit(
    settings: Settings,
    registry: RegistryClient,
    *,
    partners: Sequence[PartnerLedger] | None = None,
) -> Report:
    """Reconcile the log of ``settings.topic_prefix`` with everything derived from it.

    Run it on a quiet hub (traffic stopped and the workers caught up, as at the end of a
    simulation): work still in flight shows as lost or disagreeing. ``partners``: the ledgers
    of the partners that can be asked (the simulators), each a row of its own.
    """
    reader = LogReader(settings, registry)
    if not reader.exists(DOSSIER_EVENTS):  # a mistyped prefix is no clean audit
        raise AuditReadError(f"no event log {reader.name(DOSSIER_EVENTS)} to audit")
    try:
        events = check_events(reader)
        replayed, refused = replay_states(reader)
        commands = read_commands(reader)
        checks = (
            events,
            check_states(reader, replayed, refused),
            check_timers(reader, replayed),
            check_alerts(reader, replayed),
            check_kpis(reader),
            check_commands(reader, commands),
            check_dead_letters(reader),
            *(check_partner(ledger, commands) for ledger in partners or ()),
        )
    except (KafkaError, TimeoutError, kafka.TopicNotFound, SerdeError, DossierError) as exc:
        raise AuditReadError(f"the audit of {settings.topic_prefix} could not read: {exc}") from exc
    return Report(settings.topic_prefix, checks)


def audit_settled(
    settings: Settings,
    registry: RegistryClient,
    *,
    partners: Sequence[PartnerLedger] | None = None,
    timeout_s: float = 120.0,
    every_s: float = 2.0,
) -> Report:
    """``audit`` again every ``every_s`` while it finds something, for up to ``timeout_s``: what
    a run that just stopped its traffic calls (``dvchub simulate``, the tests), so the workers
    and outboxes can finish what is in flight. The first clean report, else the last one."""
    deadline = time.monotonic() + timeout_s
    while True:
        report = audit(settings, registry, partners=partners)
        if report.clean or time.monotonic() + every_s > deadline:
            return report
        time.sleep(every_s)
