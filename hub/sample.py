"""A small, realistic sample of dossier lifecycles, for the demo, tests and benchmarks.

Procedures, agencies and names are plausible, not real people: the generator is seeded so a run
can be repeated. Times are office hours in Asia/Ho_Chi_Minh, stored in UTC.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from hub.events import new_event
from hub.kafka import make_producer
from hub.serde import RegistryClient, serde_for
from hub.settings import Settings
from hub.topics import CATALOG_PROCEDURES

VN_TZ = ZoneInfo("Asia/Ho_Chi_Minh")


@dataclass(frozen=True)
class SampleProcedure:
    code: str
    name: str
    agency_code: str
    level: str
    deadline_days: int
    fee_vnd: int


PROCEDURES: tuple[SampleProcedure, ...] = (
    SampleProcedure(
        "1.001612", "Cấp giấy phép xây dựng nhà ở riêng lẻ", "UBND-LX", "FULL_ONLINE", 15, 75_000
    ),
    SampleProcedure(
        "2.000889", "Đăng ký thành lập hộ kinh doanh", "UBND-CD", "FULL_ONLINE", 3, 100_000
    ),
    SampleProcedure("1.004227", "Cấp phiếu lý lịch tư pháp", "STP", "FULL_ONLINE", 10, 200_000),
    SampleProcedure("1.000656", "Đăng ký khai sinh", "UBND-PX-MX", "PARTIAL_ONLINE", 1, 0),
    SampleProcedure(
        "1.010733", "Cấp đổi giấy chứng nhận quyền sử dụng đất", "STNMT", "PARTIAL_ONLINE", 10, 0
    ),
    SampleProcedure(
        "2.001823", "Chứng thực bản sao từ bản chính", "UBND-PX-MX", "DIRECT_ONLY", 0, 2_000
    ),
)
_FAMILY = ("Nguyễn", "Trần", "Lê", "Phạm", "Huỳnh", "Võ", "Đặng", "Bùi")
_GIVEN = ("Văn An", "Thị Bích", "Minh Châu", "Quốc Dũng", "Thị Hạnh", "Thanh Hải", "Ngọc Lan")
_OFFICIALS = (
    {
        "official_id": "cb-0012",
        "official_name": "Lâm Thị Thu",
        "title": "Chuyên viên",
        "department": "Bộ phận Một cửa",
    },
    {
        "official_id": "cb-0311",
        "official_name": "Tô Văn Khải",
        "title": "Phó Trưởng phòng",
        "department": "Phòng Quản lý đô thị",
    },
)


def _office_time(rng: random.Random, day: datetime) -> datetime:
    minute = rng.randrange(7 * 60 + 15, 16 * 60 + 30)
    return day.replace(hour=minute // 60, minute=minute % 60, second=rng.randrange(60))


def dossier_lifecycle(rng: random.Random, number: int, start: datetime) -> list[dict[str, Any]]:
    """The events of one dossier, from submission to returned result (or an early end)."""
    proc = rng.choice(PROCEDURES)
    dossier_id = f"{proc.agency_code}-{start:%y%m%d}-{number:06d}"
    channel = (
        "DIRECT"
        if proc.level == "DIRECT_ONLY"
        else rng.choice(["ONLINE", "ONLINE", "DIRECT", "POSTAL"])
    )
    t = _office_time(rng, start.astimezone(VN_TZ))
    desk = {**_OFFICIALS[0], "agency_code": proc.agency_code}
    handler = {**_OFFICIALS[1], "agency_code": proc.agency_code}
    src = "PROVINCIAL_PORTAL"
    name = f"{rng.choice(_FAMILY)} {rng.choice(_GIVEN)}"
    content = f"{dossier_id}:{name}".encode()
    doc = {
        "document_id": "don-de-nghi",
        "name": "Đơn đề nghị.pdf",
        "media_type": "application/pdf",
        "sha256": hashlib.sha256(content).hexdigest(),
        "size_bytes": 48_213,
        "reused_from": None,
    }
    events = [
        new_event(
            dossier_id,
            "DossierSubmitted",
            {
                "procedure_code": proc.code,
                "procedure_name": proc.name,
                "agency_code": proc.agency_code,
                "receiving_desk": None,  # the agency's own desk
                "channel": channel,
                "postal_intake": channel == "POSTAL",
                "postal_return": channel == "POSTAL",
                "from_national_portal": rng.random() < 0.2,
                "national_dossier_code": None,
                "applicant": {
                    "kind": "CITIZEN",
                    "full_name": name,
                    "id_number": f"0{rng.randrange(10**10, 10**11)}",
                    "phone": f"09{rng.randrange(10**7, 10**8)}",
                    "email": None,
                    "address": {
                        "line": f"{rng.randrange(1, 300)} Trần Hưng Đạo",
                        "ward": "Mỹ Xuyên",
                        "district": "Long Xuyên",
                        "province": "An Giang",
                    },
                    "notify_channels": [],  # no consent: the samples cause no notification
                    "notify_consent": False,
                },
                "documents": [doc],
            },
            source=src,
            occurred_at=t,
        )
    ]
    t += timedelta(minutes=rng.randrange(20, 240))
    if rng.random() < 0.05:
        events.append(
            new_event(
                dossier_id,
                "DossierRefused",
                {"reason": "Hồ sơ không thuộc thẩm quyền"},
                source=src,
                occurred_at=t,
                actor=desk,
            )
        )
        return events
    events.append(
        new_event(
            dossier_id,
            "DossierAccepted",
            {
                "appointment_at": None,
                "deadline_working_days": proc.deadline_days,
                "level": proc.level,
            },
            source=src,
            occurred_at=t,
            actor=desk,
        )
    )
    t += timedelta(hours=rng.randrange(1, 30))
    events.append(
        new_event(
            dossier_id,
            "ProcessingStepRecorded",
            {
                "kind": "STARTED",
                "content": "Thụ lý hồ sơ",
                "to_department": handler["department"],
                "to_agency_code": None,
                "step_due_at": None,
            },
            source=src,
            occurred_at=t,
            actor=handler,
        )
    )
    if rng.random() < 0.15:
        t += timedelta(hours=rng.randrange(2, 48))
        events.append(
            new_event(
                dossier_id,
                "SupplementRequested",
                {
                    "reason": "Thiếu bản vẽ thiết kế",
                    "requested_documents": ["Bản vẽ mặt bằng"],
                    "respond_by": None,
                },
                source=src,
                occurred_at=t,
                actor=handler,
            )
        )
        t += timedelta(days=rng.randrange(1, 5))
        events.append(
            new_event(
                dossier_id,
                "SupplementReceived",
                {"documents": [doc]},
                source=src,
                occurred_at=t,
                actor=desk,
            )
        )
    t += timedelta(hours=rng.randrange(4, 24 * max(1, proc.deadline_days)))
    result = {**doc, "document_id": "ket-qua", "name": "Giấy phép.pdf"}
    ret = "POSTAL" if channel == "POSTAL" else rng.choice(["ONLINE", "DESK"])
    events.append(
        new_event(
            dossier_id,
            "ResultReady",
            {"decision_number": f"{number}/QĐ-UBND", "documents": [result], "return_channel": ret},
            source=src,
            occurred_at=t,
            actor=handler,
        )
    )
    t += timedelta(hours=rng.randrange(1, 24))
    events.append(
        new_event(
            dossier_id,
            "ResultReturned",
            {"return_channel": ret, "waybill_number": None},
            source=src,
            occurred_at=t,
            actor=desk,
        )
    )
    return events


def sample_events(
    count: int, *, seed: int = 2025, start: datetime | None = None
) -> Iterator[dict[str, Any]]:
    """Events of ``count`` dossiers, each dossier's events in order."""
    rng = random.Random(seed)
    day = start or datetime(2025, 3, 3, tzinfo=VN_TZ)
    for number in range(1, count + 1):
        yield from dossier_lifecycle(rng, number, day + timedelta(days=number % 20))


def catalog_entry(procedure: SampleProcedure) -> dict[str, Any]:
    """A sample procedure's catalogue entry, as the portal's PUT /v1/procedures/{code} takes it."""
    fee_lines = (
        [{"code": "LP", "name": "Lệ phí", "kind": "CHARGE", "amount_vnd": procedure.fee_vnd}]
        if procedure.fee_vnd
        else []
    )
    # Codes of provincial departments (Sở) start with S in the sample catalogue.
    agency_type = "PROVINCIAL_DEPARTMENT" if procedure.agency_code.startswith("S") else "DISTRICT"
    return {
        "name": procedure.name,
        "agency_code": procedure.agency_code,
        "agency_name": None,
        "agency_type": agency_type,
        "level": procedure.level,
        "deadline_working_days": procedure.deadline_days,
        "fee_lines": fee_lines,
        "fee_before_processing": False,
        "postal_allowed": True,
        "supplement_clock_policy": None,
        "valid_from": None,
        "valid_to": None,
    }


def procedure_record(procedure: SampleProcedure) -> dict[str, Any]:
    """A sample procedure as the Procedure record on ``catalog.procedures``."""
    return {
        "procedure_code": procedure.code,
        **catalog_entry(procedure),
        "updated_at": datetime(2025, 1, 1, tzinfo=UTC),
    }


def publish_catalog(settings: Settings, registry: RegistryClient) -> dict[str, dict[str, Any]]:
    """Publish the sample procedures to ``catalog.procedures``; returns them by code."""
    serde = serde_for(CATALOG_PROCEDURES, settings.topic_prefix, registry)
    topic = CATALOG_PROCEDURES.name(settings.topic_prefix)
    records = {p.code: procedure_record(p) for p in PROCEDURES}
    producer = make_producer(settings)
    try:
        for code, record in records.items():
            producer.send(topic, key=code.encode(), value=serde.encode(record))
        producer.flush()
    finally:
        producer.close()
    return records
