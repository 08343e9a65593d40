"""The public pages' rebuild time for a province's month.

    .venv/bin/python bench/publish.py                        # 55,000 dossiers, 30 agencies
    .venv/bin/python bench/publish.py --dossiers 5000 --builds 5

A generated month (An Giang took 663,690 dossiers in 2024: ~55,000 a month) over ``--agencies``
agencies (10 procedures each, every level; the busiest district ~11% of the dossiers, as in An
Giang), each dossier submitted, accepted, some with a fee (paid online or at the desk), handled
by one of three officials of its agency, resolved on time, late, or not yet (overdue). The events
are encoded on real Avro serdes (the registry of the local stack) and folded by the SLA fold and the
three KPI folds on the in-memory runner, as the workers fold them; then, timed, the publisher
builds the site from those states (``--builds`` times): the two published months' late lists
and QĐ 766 pages, the year's full-online table, in HTML, JSON and CSV, swapped in whole.
Printed: dossiers, events, fold seconds, pages, files, bytes, and the build's seconds.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
import uuid
import zlib
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._report import peak_rss_mib
from hub.events import new_event
from hub.kpi import KpiDossierProcessor, KpiProcessor, KpiSettings, ProcedureHistoryProcessor
from hub.kpi import compute as compute_kpis
from hub.processing import AcceleratedClock, InMemoryRunner, Message
from hub.publish import Inputs, Publisher, PublishSettings
from hub.sample import VN_TZ
from hub.serde import RegistryClient, serde_for
from hub.settings import get_settings
from hub.sla import SlaProcessor, SlaSettings, WorkingCalendar
from hub.topics import (
    CATALOG_PROCEDURES,
    DOSSIER_EVENTS,
    KPI,
    KPI_DOSSIERS,
    KPI_FACTS,
    KPI_PROCEDURES,
    SLA_ALERTS,
    SLA_DEADLINES,
)

LEVELS = ("DIRECT_ONLY", "PARTIAL_ONLINE", "PARTIAL_ONLINE", "FULL_ONLINE", "FULL_ONLINE")
PARTITIONS = 3
#: Shares of the outcomes of a month's dossier (the rest are resolved on time).
LATE, OPEN = 0.08, 0.05
#: The busiest district's share (An Giang 2024: 75,152 of 663,690).
BUSIEST = 75_152 / 663_690
DOC = {"document_id": "don", "name": "Đơn.pdf", "media_type": "application/pdf",
       "sha256": "ab" * 32, "size_bytes": 10}  # fmt: skip
_NAMES = ("Nguyễn Văn An", "Trần Thị Bích", "Lê Minh Châu", "Phạm Quốc Dũng", "Võ Thị Hạnh")


def catalogue(agencies: int) -> list[dict[str, Any]]:
    versions = []
    for a in range(agencies):
        code = f"SO{a:02d}" if a < agencies // 3 else f"UBND{a:02d}"
        kind = "PROVINCIAL_DEPARTMENT" if code.startswith("SO") else "DISTRICT"
        for p in range(10):
            versions.append({
                "procedure_code": f"{code}-{p}", "name": f"Thủ tục {p} của {code}",
                "agency_code": code, "agency_name": f"Cơ quan {code}", "agency_type": kind,
                "level": LEVELS[p % len(LEVELS)], "deadline_working_days": 3 + p % 8,
                "fee_lines": [], "fee_before_processing": False, "postal_allowed": True,
                "supplement_clock_policy": None, "valid_from": None, "valid_to": None,
                "updated_at": datetime(2024, 1, 1, tzinfo=UTC),
            })  # fmt: skip
    return versions


def _event(dossier_id: str, name: str, at: datetime, actor: dict[str, str], **payload: Any) -> Any:
    return new_event(dossier_id, name, payload, source="PROVINCIAL_PORTAL", occurred_at=at,
                     actor=actor)  # fmt: skip


def dossier(rng: random.Random, n: int, procedure: dict[str, Any], accepted: datetime,
            calendar: WorkingCalendar) -> Iterator[Any]:  # fmt: skip
    agency = str(procedure["agency_code"])
    dossier_id = f"{agency}-{accepted:%y%m%d}-{n:06d}"
    official = {"official_id": f"{agency}-cb{n % 3}", "official_name": _NAMES[n % 3],
                "title": "Chuyên viên", "department": f"Phòng {n % 3 + 1}",
                "agency_code": agency}  # fmt: skip
    level = str(procedure["level"])
    channel = "DIRECT" if level == "DIRECT_ONLY" else rng.choice(("ONLINE", "ONLINE", "DIRECT"))
    yield _event(dossier_id, "DossierSubmitted", accepted - timedelta(minutes=20), official,
                 procedure_code=procedure["procedure_code"], procedure_name=None,
                 agency_code=agency, channel=channel, applicant={"kind": "CITIZEN",
                 "full_name": "Công dân", "id_number": "001090000001", "phone": None,
                 "email": None, "address": None}, postal_intake=False, postal_return=False,
                 from_national_portal=False, national_dossier_code=None,
                 documents=[DOC])  # fmt: skip
    yield _event(dossier_id, "DossierAccepted", accepted, official, appointment_at=None,
                 deadline_working_days=None, level=None)  # fmt: skip
    at = accepted + timedelta(minutes=5)
    if rng.random() < 0.3:
        method = rng.choice(("ONLINE_BANK", "DESK_CASH"))
        yield _event(dossier_id, "FeeRequested", at, official, fee_lines=[{"code": "LP",
                     "name": "Lệ phí", "kind": "CHARGE", "amount_vnd": 50_000}],
                     total_vnd=50_000, due_at=None)  # fmt: skip
        at += timedelta(hours=1)
        yield _event(dossier_id, "FeePaid", at, official, payment_reference=f"P-{dossier_id}",
                     amount_vnd=50_000, method=method, provider="VCB",
                     provider_transaction_id=f"T-{dossier_id}")  # fmt: skip
    yield _event(dossier_id, "ProcessingStepRecorded", at + timedelta(minutes=1), official,
                 kind="STARTED", content="Thụ lý", to_department=None, to_agency_code=None,
                 step_due_at=None)  # fmt: skip
    draw = rng.random()
    if draw < OPEN:
        return  # still being handled: overdue once its appointment passes
    days = int(procedure["deadline_working_days"])
    late = draw < OPEN + LATE
    done = calendar.add_working_days(at, days + 2 if late else max(1, days // 2))
    yield _event(dossier_id, "ResultReady", done, official, decision_number=None,
                 documents=[DOC], return_channel="ONLINE")  # fmt: skip


def month_events(args: argparse.Namespace, versions: list[dict[str, Any]],
                 calendar: WorkingCalendar) -> list[Any]:  # fmt: skip
    rng = random.Random(args.seed)
    year, month = (int(part) for part in args.month.split("-"))
    days = [date(year, month, d) for d in range(1, 29)]
    others = args.agencies - 1  # the busiest district takes BUSIEST of the dossiers
    weights = [BUSIEST * others / (1 - BUSIEST) if others else 1.0] + [1.0] * others
    by_agency: dict[str, list[dict[str, Any]]] = {}
    for version in versions:
        by_agency.setdefault(str(version["agency_code"]), []).append(version)
    agencies = sorted(by_agency, key=lambda code: not code.startswith("UBND"))
    events: list[Any] = []
    for n in range(args.dossiers):
        agency = rng.choices(agencies, weights)[0]
        procedure = rng.choice(by_agency[agency])
        day = rng.choice(days)
        minute = rng.randrange(7 * 60 + 15, 16 * 60 + 30)
        accepted = datetime(day.year, day.month, day.day, minute // 60, minute % 60, tzinfo=VN_TZ)
        events += dossier(rng, n, procedure, accepted, calendar)
    return events


def messages(serde: Any, records: list[Any], key: str, topic: str) -> list[Message]:
    offsets = [0] * PARTITIONS
    out = []
    for record in records:
        partition = zlib.crc32(str(record[key]).encode()) % PARTITIONS
        out.append(Message(serde.encode(record), str(record[key]).encode(), topic, partition,
                           offsets[partition]))  # fmt: skip
        offsets[partition] += 1
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dossiers", type=int, default=55_000)
    parser.add_argument("--agencies", type=int, default=30)
    parser.add_argument("--month", default="2025-03")
    parser.add_argument("--builds", type=int, default=3)
    parser.add_argument("--seed", type=int, default=21)
    args = parser.parse_args()
    settings = get_settings()
    prefix = f"bench.publish.{uuid.uuid4().hex[:8]}."
    sla_settings, kpi_settings = SlaSettings(), KpiSettings()
    calendar = sla_settings.calendar()
    versions = catalogue(args.agencies)
    events = month_events(args, versions, calendar)
    with RegistryClient(settings.schema_registry_url) as registry:

        def serde(spec: Any) -> Any:
            return serde_for(spec, prefix, registry)

        event_messages = messages(serde(DOSSIER_EVENTS), events, "dossier_id",
                                  DOSSIER_EVENTS.suffix)  # fmt: skip
        catalog_messages = messages(serde(CATALOG_PROCEDURES), versions, "procedure_code",
                                    CATALOG_PROCEDURES.suffix)  # fmt: skip
        latest = {str(v["procedure_code"]): v for v in versions}
        started = time.perf_counter()
        sla = InMemoryRunner(SlaProcessor(
            serde(DOSSIER_EVENTS), serde(SLA_DEADLINES), serde(SLA_ALERTS), latest.get,
            sla_settings.policy(),
        ))  # fmt: skip
        sla.run(event_messages)
        deadlines = list(sla.states().values())
        kpis = compute_kpis(
            event_messages, catalog_messages,
            KpiDossierProcessor(serde(DOSSIER_EVENTS), serde(KPI_DOSSIERS), serde(KPI_FACTS),
                                latest.get, sla_settings.policy()),
            KpiProcessor(serde(KPI_FACTS), serde(KPI), kpi_settings.parsed_targets()),
            ProcedureHistoryProcessor(serde(CATALOG_PROCEDURES), serde(KPI_PROCEDURES)),
        )  # fmt: skip
        folded = time.perf_counter() - started
    year, month = (int(part) for part in args.month.split("-"))
    as_of = datetime(year + month // 12, month % 12 + 1, 5, 9, tzinfo=VN_TZ)  # next month's 5th
    inputs = Inputs(deadlines, kpis)
    config = PublishSettings(months=2, keep_builds=1)
    with tempfile.TemporaryDirectory(prefix="dvchub-publish-") as folder:
        clock = AcceleratedClock.starting(as_of, 0.0)  # stopped: every build as at one instant
        publisher = Publisher(Path(folder), lambda: inputs, clock=clock, config=config,
                              sla=sla_settings, kpi=kpi_settings)  # fmt: skip
        timings = []
        for _ in range(args.builds):
            built = publisher.rebuild()
            timings.append(built.seconds)
        size = sum(p.stat().st_size for p in built.release.path.iterdir())
        late_rows = (built.release.path / f"late-{args.month}.csv").read_text().count("\n") - 1
    print(f"publish: {args.dossiers:,} dossiers, {len(events):,} events, {args.agencies} agencies,"
          f" {len(deadlines):,} deadlines, {len(kpis.snapshots):,} KPI snapshots; folds "
          f"{folded:.1f} s")  # fmt: skip
    print(f"publish: {built.pages} pages, {len(built.release.files)} files, {size / 1024:,.0f} KiB,"
          f" {late_rows} late-list rows; build {min(timings):.2f} s best, "
          f"{statistics.median(timings):.2f} s median of {len(timings)}; "
          f"peak RSS {peak_rss_mib():,.0f} MiB")  # fmt: skip


if __name__ == "__main__":
    main()
