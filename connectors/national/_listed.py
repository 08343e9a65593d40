"""A dossier or a rating listed by the national portal -> its DossierEvent records, or a
refusal.

The pure half of the intake (``_intake`` runs it on the inbound shell): what a listed dossier
produces by its state, the event ids (uuid5 of MaHoSo, state code and payload, so a re-poll
builds the same ones), and the dead letter of an item not imported (see ``_intake``). A rating
(LayDanhSachDanhGia, the QĐ 766 criteria on the contract's 1-5 scale) becomes one
SatisfactionRated of its dossier, its event id the uuid5 of its MaDanhGia; whether it counts
(once handling ended, the latest of the dossier) is the hub's to judge (``hub.kpi._ratings``).
Each listing is a ``Feed``: its service, its items, its cursor and how an item is keyed.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from pydantic import ValidationError

from connectors.common import AvroRecord
from connectors.national._dates import from_portal
from connectors.national._states import NATIONAL_STATES
from connectors.national._wire import (
    SERVICE_LIST_NEW,
    SERVICE_LIST_RATINGS,
    DanhGiaQuocGia,
    DanhSachDanhGia,
    DanhSachHoSo,
    HoSoQuocGia,
)
from hub.deadletter import DeadLetterInput
from hub.events import new_event

PROCESSOR = "national-intake"
#: uuid5 namespace of the intake's event ids.
INTAKE_NAMESPACE = uuid.UUID("2f0f3c1e-6c1a-5b8e-9d57-4a1b1e0c7a11")
_INTAKE_STATES = frozenset({1, 2, 3})


def intake_event_id(national_code: str, state_code: int, payload_name: str) -> str:
    """The event id the intake gives ``payload_name`` of a dossier listed in ``state_code``."""
    return str(uuid.uuid5(INTAKE_NAMESPACE, f"{national_code}|{state_code}|{payload_name}"))


class Refused(Exception):
    """A listed item the intake does not import (it is dead-lettered with this reason)."""


def _refused(exc: ValidationError, what: str) -> Refused:
    where = "; ".join(
        f"{'.'.join(str(p) for p in err['loc'])}: {err['type']}" for err in exc.errors()[:10]
    )
    return Refused(f"not a listed {what}: {where}")


def dossier_events(item: object, *, recorded_at: datetime) -> list[AvroRecord]:
    """The DossierEvent records of one listed dossier; ``Refused`` if it is not importable."""
    try:
        dossier = HoSoQuocGia.model_validate(item)
    except ValidationError as exc:
        raise _refused(exc, "dossier") from exc
    state = NATIONAL_STATES.get(dossier.TrangThai)
    if state is None:
        raise Refused(f"unknown national portal state {dossier.TrangThai[:64]!r}")
    if state not in _INTAKE_STATES:
        raise Refused(
            f"state {dossier.TrangThai!r} (code {state}) is beyond intake: a dossier first seen "
            "in processing has no history in the hub; import it by hand"
        )
    try:
        filed_at = from_portal(dossier.NgayNop)
        received_at = from_portal(dossier.NgayTiepNhan) if dossier.NgayTiepNhan else filed_at
        appointment = from_portal(dossier.NgayHenTra) if dossier.NgayHenTra else None
    except ValueError as exc:
        raise Refused(f"not a date: {exc}") from exc
    code = dossier.MaHoSo

    def event(name: str, state_code: int, payload: AvroRecord, at: datetime) -> AvroRecord:
        return new_event(
            code,
            name,
            payload,
            source="NATIONAL_PORTAL",
            occurred_at=at,
            source_event_id=f"{code}:{state_code}",
            event_id=intake_event_id(code, state_code, name),
            recorded_at=recorded_at,
        )

    owner = dossier.ChuHoSo
    address = owner.DiaChi
    submitted: AvroRecord = {
        "procedure_code": dossier.MaTTHC,
        "procedure_name": dossier.TenTTHC,
        "agency_code": dossier.DonViXuLy,
        "channel": "ONLINE",
        "applicant": {
            "kind": "CITIZEN" if owner.LoaiDoiTuong == 1 else "ORGANIZATION",
            "full_name": owner.HoTen,
            "id_number": owner.SoGiayTo,
            "phone": owner.SoDienThoai,
            "email": owner.Email,
            "address": None
            if address is None
            else {
                "line": address.DiaChiChiTiet,
                "ward": address.PhuongXa,
                "district": address.QuanHuyen,
                "province": address.TinhThanh,
            },
        },
        "postal_intake": False,
        "postal_return": dossier.HinhThuc == 1,
        "from_national_portal": True,
        "national_dossier_code": code,
        "documents": [],
    }
    events = [event("DossierSubmitted", 1, submitted, filed_at)]
    if state == 2:
        accepted = {"appointment_at": appointment, "deadline_working_days": None, "level": None}
        events.append(event("DossierAccepted", 2, accepted, received_at))
    elif state == 3:
        reason = dossier.LyDo or "refused on the national portal"
        events.append(event("DossierRefused", 3, {"reason": reason}, received_at))
    return events


def rating_events(item: object, *, recorded_at: datetime) -> list[AvroRecord]:
    """The SatisfactionRated of one listed rating; ``Refused`` if it is not importable (a score
    off the 1-5 scale, say). The comment goes into the event's ``comment``, marked personal in
    the contract: never logged, never in a dead letter's reason."""
    try:
        rating = DanhGiaQuocGia.model_validate(item)
        rated_at = from_portal(rating.NgayDanhGia)
    except ValidationError as exc:
        raise _refused(exc, "rating") from exc
    except ValueError as exc:
        raise Refused(f"not a date: {exc}") from exc
    payload: AvroRecord = {
        "attitude": rating.ThaiDo, "time": rating.ThoiGian, "publicity": rating.CongKhai,
        "fees": rating.PhiLePhi, "overall": rating.HaiLong, "channel": "NATIONAL_PORTAL",
        "official_id": rating.MaCanBo, "comment": rating.NoiDung,
    }  # fmt: skip
    event_id = str(uuid.uuid5(INTAKE_NAMESPACE, f"rating|{rating.MaDanhGia}"))
    rated = new_event(rating.MaHoSo, "SatisfactionRated", payload, source="NATIONAL_PORTAL",
                      occurred_at=rated_at, source_event_id=f"rating:{rating.MaDanhGia}",
                      event_id=event_id, recorded_at=recorded_at)  # fmt: skip
    return [rated]


@dataclass(frozen=True)
class Feed:
    """One listing the intake polls: its service and reply model (``items`` its list field),
    the key of its cursor on the intake's topic, and each item's id field, marker prefix (an
    imported item's marker is ``dossier:<prefix><id>``) and events."""

    service: str
    listing: type[DanhSachHoSo] | type[DanhSachDanhGia]
    items: str
    cursor_key: str
    id_field: str
    marker_prefix: str
    events: Callable[..., list[AvroRecord]]


DOSSIERS: Final = Feed(SERVICE_LIST_NEW, DanhSachHoSo, "DanhSachHoSo", "cursor", "MaHoSo", "",
                       dossier_events)  # fmt: skip
RATINGS: Final = Feed(SERVICE_LIST_RATINGS, DanhSachDanhGia, "DanhSachDanhGia", "rating-cursor",
                      "MaDanhGia", "rating:", rating_events)  # fmt: skip


def dead_letter(
    item: object, code: object, reason: str, cursor: str | None, service: str = SERVICE_LIST_NEW
) -> DeadLetterInput:
    original = json.dumps(item, ensure_ascii=False, separators=(",", ":")).encode()
    return DeadLetterInput(
        processor=PROCESSOR,
        reason_code="VALIDATION_FAILED",
        reason=reason,
        original_value=original,
        source_topic=f"national:{service}",
        original_key=code.encode() if isinstance(code, str) else None,
        headers=(("cursor", cursor.encode() if cursor is not None else None),),
    )
