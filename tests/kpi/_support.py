"""Helpers of the KPI tests: a synthetic province (catalogue and dossiers built by hand), its
events as Messages on real Avro serdes, and the three folds on the in-memory runner."""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from hub.events import new_event
from hub.kpi import (
    KpiDossierProcessor,
    KpiProcessor,
    KpiReplay,
    PostalDeadlines,
    ProcedureHistoryProcessor,
    Targets,
    compute,
)
from hub.processing import Message
from hub.serde import RegistryClient, serde_for
from hub.sla import SlaSettings
from hub.topics import (
    CATALOG_PROCEDURES,
    DOSSIER_EVENTS,
    KPI,
    KPI_DOSSIERS,
    KPI_FACTS,
    KPI_PROCEDURES,
)
from tests.lifecycle._support import DESK, payload_for

VN = ZoneInfo("Asia/Ho_Chi_Minh")
Record = dict[str, Any]

#: The province's targets (DOMAIN.md §4), written out: 2024 70% for all; 2025 85% departments,
#: 70% districts.
TARGETS = Targets.parse("2024:*=70; 2025:PROVINCIAL_DEPARTMENT=85; 2025:*=70")
DOC = {"document_id": "don", "name": "Đơn.pdf", "media_type": "application/pdf",
       "sha256": "ab" * 32, "size_bytes": 10}  # fmt: skip


def vn(year: int, month: int, day: int, hour: int = 9, minute: int = 0) -> datetime:
    """A Vietnam wall-clock instant."""
    return datetime(year, month, day, hour, minute, tzinfo=VN)


def procedure(
    code: str,
    agency: str,
    agency_name: str,
    level: str,
    *,
    days: int = 5,
    updated_at: datetime = datetime(2024, 1, 1, tzinfo=UTC),
    valid_from: date | None = None,
) -> Record:
    """A Procedure record (``catalog.procedures``); S... agencies are provincial departments."""
    kind = "PROVINCIAL_DEPARTMENT" if agency.startswith("S") else "DISTRICT"
    return {
        "procedure_code": code, "name": f"Thủ tục {code}", "agency_code": agency,
        "agency_name": agency_name, "agency_type": kind, "level": level,
        "deadline_working_days": days, "fee_lines": [], "fee_before_processing": False,
        "postal_allowed": True, "supplement_clock_policy": None, "valid_from": valid_from,
        "valid_to": None, "updated_at": updated_at,
    }  # fmt: skip


def event(dossier_id: str, event_type: str, at: datetime, **payload: Any) -> Record:
    """A DossierEvent at ``at``: ``payload_for``'s payload with ``payload``'s fields."""
    name, record = payload_for(event_type)
    record.update(payload)
    return new_event(dossier_id, name, record, source="PROVINCIAL_PORTAL", occurred_at=at,
                     actor=DESK)  # fmt: skip


def dossier(
    dossier_id: str,
    catalog: Mapping[str, Mapping[str, Any]],
    code: str,
    channel: str,
    accepted_at: datetime,
    *,
    documents: bool = True,
    level: str | None = None,
    result_at: datetime | None = None,
    result_documents: bool = True,
    fee_paid_by: str | None = None,
    refused: bool = False,
) -> list[Record]:
    """One dossier: submitted 30 min before ``accepted_at``, accepted (``level`` as the source
    states it, None: the catalogue's), then optionally a fee asked and paid 1 h / 2 h after
    acceptance, and a result at ``result_at`` (after a processing step 1 min after the fee);
    ``refused``: refused at intake instead of accepted."""
    agency = str(catalog[code]["agency_code"])
    submitted = event(dossier_id, "DOSSIER_SUBMITTED", accepted_at - timedelta(minutes=30),
                      procedure_code=code, agency_code=agency, channel=channel,
                      postal_intake=channel == "POSTAL",
                      documents=[DOC] if documents else [])  # fmt: skip
    events = [submitted]
    if refused:
        return [*events, event(dossier_id, "DOSSIER_REFUSED", accepted_at)]
    events.append(event(dossier_id, "DOSSIER_ACCEPTED", accepted_at, deadline_working_days=None,
                        level=level))  # fmt: skip
    step_at = accepted_at + timedelta(minutes=1)
    if fee_paid_by is not None:
        events.append(event(dossier_id, "FEE_REQUESTED", accepted_at + timedelta(hours=1)))
        events.append(event(dossier_id, "FEE_PAID", accepted_at + timedelta(hours=2),
                            method=fee_paid_by))  # fmt: skip
        step_at = accepted_at + timedelta(hours=2, minutes=1)
    if result_at is not None:
        events.append(event(dossier_id, "PROCESSING_STEP_RECORDED", step_at, kind="STARTED"))
        events.append(event(dossier_id, "RESULT_READY", result_at,
                            documents=[DOC] if result_documents else []))  # fmt: skip
    return events


def partition_of(key: str, partitions: int = 3) -> int:
    return zlib.crc32(key.encode()) % partitions


class Rig:
    """The three KPI folds on real Avro serdes under ``prefix``, over hand-made messages."""

    def __init__(self, registry: RegistryClient, prefix: str) -> None:
        self.events = serde_for(DOSSIER_EVENTS, prefix, registry)
        self.catalog_serde = serde_for(CATALOG_PROCEDURES, prefix, registry)
        self.dossiers = serde_for(KPI_DOSSIERS, prefix, registry)
        self.facts = serde_for(KPI_FACTS, prefix, registry)
        self.snapshots = serde_for(KPI, prefix, registry)
        self.histories = serde_for(KPI_PROCEDURES, prefix, registry)

    def event_messages(self, events: Iterable[Mapping[str, Any]]) -> list[Message]:
        """``dossier.events`` messages: keyed by dossier, in 3 partitions, offsets per partition."""
        offsets = [0, 0, 0]
        out = []
        for record in events:
            key = str(record["dossier_id"])
            partition = partition_of(key)
            out.append(Message(self.events.encode(record), key.encode(), DOSSIER_EVENTS.suffix,
                               partition, offsets[partition]))  # fmt: skip
            offsets[partition] += 1
        return out

    def catalog_messages(self, versions: Sequence[Mapping[str, Any]]) -> list[Message]:
        serde, topic = self.catalog_serde, CATALOG_PROCEDURES.suffix
        return [
            Message(serde.encode(v), str(v["procedure_code"]).encode(), topic, 0, n)
            for n, v in enumerate(versions)
        ]

    def compute(
        self,
        events: Iterable[Mapping[str, Any]],
        versions: Sequence[Mapping[str, Any]],
        *,
        postal_counts_as: str = "DIRECT",
        pickup_days: int = PostalDeadlines.pickup_days,
        return_days: int = PostalDeadlines.return_days,
    ) -> KpiReplay:
        """The KPIs of ``events`` and the catalogue ``versions`` (the dossier fold looks up the
        latest version of each procedure, as the live catalogue view would once it has it)."""
        latest = {str(v["procedure_code"]): v for v in versions}
        dossiers = KpiDossierProcessor(
            self.events, self.dossiers, self.facts, latest.get, SlaSettings().policy(),
            postal_counts_as=postal_counts_as,
            postal_deadlines=PostalDeadlines(pickup_days, return_days),
        )  # fmt: skip
        return compute(
            self.event_messages(events), self.catalog_messages(versions), dossiers,
            KpiProcessor(self.facts, self.snapshots, TARGETS),
            ProcedureHistoryProcessor(self.catalog_serde, self.histories),
        )  # fmt: skip
