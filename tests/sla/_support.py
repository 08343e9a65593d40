"""Helpers of the SLA tests: dated events, a processor on real serdes, the in-memory runner."""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from hub.events import new_event
from hub.processing import InMemoryRunner, Message, RunResult
from hub.records import DossierDeadline
from hub.serde import RegistryClient, serde_for
from hub.sla import SlaPolicy, SlaProcessor, WorkingCalendar
from hub.topics import DOSSIER_EVENTS, SLA_ALERTS, SLA_DEADLINES
from tests.lifecycle._support import DESK, payload_for, procedure_record

VN = ZoneInfo("Asia/Ho_Chi_Minh")


def vn(year: int, month: int, day: int, hour: int = 9, minute: int = 0) -> datetime:
    """A Vietnam wall-clock instant."""
    return datetime(year, month, day, hour, minute, tzinfo=VN)


def procedures(**days_and_policy: tuple[int, str | None]) -> dict[str, dict[str, Any]]:
    """Catalogue entries: code -> (deadline working days, supplement policy or None)."""
    found = {}
    for code, (days, policy) in days_and_policy.items():
        record = procedure_record(code)
        record.update(deadline_working_days=days, supplement_clock_policy=policy,
                      agency_name="Sở Tư pháp")  # fmt: skip
        found[code] = record
    return found


CATALOG = procedures(P3=(3, None), P1=(1, None), P3R=(3, "RESTART"), P10=(10, None))


def event(dossier_id: str, event_type: str, at: datetime, **payload: Any) -> dict[str, Any]:
    name, record = payload_for(event_type, payload.pop("procedure_code", "P3"))
    record.update(payload)
    return new_event(dossier_id, name, record, source="PROVINCIAL_PORTAL", occurred_at=at,
                     actor=DESK)  # fmt: skip


class Rig:
    """An SLA processor (real Avro serdes under ``prefix``) on the in-memory runner."""

    def __init__(
        self,
        registry: RegistryClient,
        prefix: str,
        *,
        calendar: WorkingCalendar | None = None,
        supplement_policy: str = "PAUSE",
        catalog: Mapping[str, Mapping[str, Any]] = CATALOG,
    ) -> None:
        self.calendar = calendar or WorkingCalendar()
        self.policy = SlaPolicy(self.calendar, self.calendar.hours.day_length, supplement_policy)
        self.events = serde_for(DOSSIER_EVENTS, prefix, registry)
        self.alert_serde = serde_for(SLA_ALERTS, prefix, registry)
        self.processor = SlaProcessor(
            self.events, serde_for(SLA_DEADLINES, prefix, registry), self.alert_serde,
            catalog.get, self.policy,
        )  # fmt: skip
        self.runner: InMemoryRunner[DossierDeadline] = InMemoryRunner(self.processor)
        self._offsets = itertools.count()

    def message(self, record: Mapping[str, Any]) -> Message:
        return Message(self.events.encode(record), str(record["dossier_id"]).encode(),
                       DOSSIER_EVENTS.suffix, 0, next(self._offsets))  # fmt: skip

    def feed(self, *records: Mapping[str, Any]) -> RunResult[DossierDeadline]:
        return self.runner.run(self.message(r) for r in records)

    def record(self, dossier_id: str) -> DossierDeadline:
        found = self.runner.state(dossier_id.encode())
        assert found is not None, dossier_id
        return found

    def fire(self, now: datetime) -> list[dict[str, Any]]:
        """The alerts raised by the timers due at ``now``."""
        result = self.runner.fire_due(now)
        return [self.alert_serde.decode(emit.value) for emit in result.emits if emit.value]

    def due(self, dossier_id: str) -> datetime | None:
        return self.runner.due().get(dossier_id.encode())

    def restart(self) -> None:
        """A new runner on this one's table: what a restarted worker recovers."""
        self.runner = InMemoryRunner(self.processor, self.runner.table)


def accepted(dossier_id: str, at: datetime, procedure: str = "P3") -> list[dict[str, Any]]:
    """Submitted one minute before ``at``, accepted at ``at`` (days from the catalogue)."""
    return [
        event(dossier_id, "DOSSIER_SUBMITTED", at - timedelta(minutes=1), procedure_code=procedure),
        event(dossier_id, "DOSSIER_ACCEPTED", at, deadline_working_days=None),
    ]


def kinds(alerts: Iterable[Mapping[str, Any]]) -> list[str]:
    return [str(a["kind"]) for a in alerts]
