"""Each dossier's script: what the province's people and partners do to it, and when.

``scripts(province)`` is deterministic (one ``random.Random`` seeded by the province's seed; event
ids derived from it): the same configuration gives the same dossiers, events and instants. A
script is a sequence of ``Step``s at simulated instants: events pushed through the portal
connector (as the one-stop system sends them), the signing processor's ``ResultSigned``
published, a dossier filed on the national portal (taken in by the intake), VNPost moving an
order to its end, a payer paying (the IPN delivered, lost, or delivered twice). A step that
waits for the hub (``awaits``: an event type on ``dossier.events``) holds the dossier's next
steps until it is seen, as the desk would wait for the fee before handing out the result.

Handling times follow the SLA's working calendar (``hub.sla``): a dossier on time has its result
before its deadline in working time, a late one after it, with an apology and a new date first.
"""

from __future__ import annotations

import hashlib
import random
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any, Final

from dvchub.simulate._province import Province
from hub.dossier import REFUSED, RESULT_RETURNED
from hub.events import new_event
from hub.sample import SampleProcedure
from hub.sla import SlaSettings, WorkingCalendar

#: A DossierEvent record as ``hub.events.new_event`` builds it.
Event = dict[str, Any]
_NS: Final = uuid.UUID("6f1c2d0e-5b7a-4c1e-9a43-0d5e8f1b2c3a")
_MINUTE: Final = timedelta(minutes=1)
_FAMILY: Final = ("Nguyễn", "Trần", "Lê", "Phạm", "Huỳnh", "Võ", "Đặng", "Bùi")
_GIVEN: Final = ("Văn An", "Thị Bích", "Minh Châu", "Quốc Dũng", "Thị Hạnh", "Thanh Hải")
#: Notification channel orders (the notify simulator's 090999 numbers have no Zalo account).
_CONTACTS: Final = (("0909991234", None, ("ZNS",)), ("0913456789", None, ("ZNS", "SMS")),
                    ("0913456789", "cong.dan@example.vn", ("EMAIL",)))  # fmt: skip
_DESK: Final = {"official_id": "cb-0012", "official_name": "Lâm Thị Thu",
                "title": "Chuyên viên", "department": "Bộ phận Một cửa"}  # fmt: skip
_HANDLER: Final = {"official_id": "cb-0311", "official_name": "Tô Văn Khải",
                   "title": "Phó Trưởng phòng", "department": "Phòng chuyên môn"}  # fmt: skip


#: Working days an apology's new date lies after the deadline (the result comes a day after it).
NEW_DATE_AFTER_DAYS: Final = 3


class Action(StrEnum):
    PUSH = "push"  # events through the portal connector
    PUBLISH = "publish"  # straight to dossier.events (what the signing processor emits)
    FILE_NATIONAL = "file_national"  # filed on the national portal, for the intake
    POSTAL = "postal"  # VNPost moves the dossier's order (``direction``) to its end
    PAY = "pay"  # the payer pays the dossier's fee online


class Callback(StrEnum):
    """What becomes of a payment's IPN."""

    DELIVERED = "delivered"
    LOST = "lost"  # the payments worker's status query finds the payment
    DUPLICATED = "duplicated"  # the provider sends it twice: one FeePaid


@dataclass(frozen=True)
class Step:
    at: datetime
    action: Action
    events: tuple[Event, ...] = ()
    #: FILE_NATIONAL: the national portal's HoSo item
    filed: Mapping[str, object] | None = None
    #: POSTAL: INTAKE_PICKUP or RESULT_DELIVERY
    direction: str | None = None
    callback: Callback | None = None
    #: An event type the hub must have written for the dossier before its next step.
    awaits: str | None = None


@dataclass(frozen=True)
class Script:
    dossier_id: str
    agency_code: str
    procedure: SampleProcedure
    steps: tuple[Step, ...]
    final_status: str
    national: bool = False
    postal: bool = False
    supplement: bool = False
    late: bool = False
    fee_online: bool = False
    callback: Callback | None = None
    notify: bool = False
    filed_at: datetime = field(default=datetime.min.replace(tzinfo=UTC))

    @property
    def ends_at(self) -> datetime:
        return self.steps[-1].at


def scripts(province: Province) -> tuple[Script, ...]:
    """Every dossier of the province's run, in filing order."""
    rng = random.Random(province.seed)  # noqa: S311 (seeded simulation data, no secret)
    calendar = SlaSettings().calendar()
    writer = _Writer(province, rng, calendar)
    found: list[Script] = []
    for day in range(province.days):
        date = province.start + timedelta(days=day)
        if not calendar.is_working_day(date):
            continue
        for instant in sorted(_filing_instants(province, rng, date)):
            found.append(writer.script(len(found) + 1, instant))
    return tuple(found)


def _filing_instants(province: Province, rng: random.Random, date: Any) -> Iterator[datetime]:
    """The day's filing instants: a burst at each session's opening, the rest spread out."""
    hours = province.office_hours
    sessions = [(datetime.combine(date, a, hours.tz), datetime.combine(date, b, hours.tz))
                for a, b in hours.sessions]  # fmt: skip
    burst = timedelta(minutes=hours.burst_minutes)
    for _ in range(province.dossiers_per_day):
        opening, closing = rng.choice(sessions)
        if rng.random() < hours.burst_share:
            closing = min(closing, opening + burst)
        span = (closing - opening).total_seconds()
        yield opening + timedelta(seconds=rng.uniform(0, span))


class _Writer:
    def __init__(self, province: Province, rng: random.Random, calendar: WorkingCalendar) -> None:
        self.p, self.rng, self.calendar = province, rng, calendar
        self.weights = [a.weight for a in province.agencies]
        self.prefix = f"{province.start:%y%m%d}"

    def script(self, number: int, filed_at: datetime) -> Script:
        p, rng, shares = self.p, self.rng, self.p.shares
        agency = rng.choices(p.agencies, self.weights)[0]
        procedure = rng.choice([q for q in p.catalogue if q.agency_code == agency.code])
        dossier_id = f"{agency.code}-{self.prefix}-{number:06d}"
        direct = procedure.level == "DIRECT_ONLY"
        national = not direct and rng.random() < shares.national_portal
        refused = rng.random() < shares.refused
        postal = not (national or refused or direct) and rng.random() < shares.postal
        notify = rng.random() < shares.notify
        # a procedure of 0 working days is handled on the spot: the SLA's appointment is the
        # acceptance itself (``hub.sla``), so its result is ready then, with no pause before it
        immediate = procedure.deadline_days == 0
        late = not immediate and rng.random() < shares.late
        # a supplement moves the appointment by the SLA's policy: a late dossier's apology must
        # name a date after the appointment, so late ones get none (their date is known here)
        supplement = not (late or immediate) and rng.random() < shares.supplement
        fee_online = procedure.fee_vnd > 0 and not direct and rng.random() < shares.fee_online
        draw = rng.random()
        callback = None if not fee_online else (
            Callback.LOST if draw < shares.callback_lost
            else Callback.DUPLICATED if draw < shares.callback_lost + shares.callback_duplicated
            else Callback.DELIVERED)  # fmt: skip
        b = _Builder(dossier_id, procedure, filed_at, self.calendar, rng)
        if national:
            b.file_national(rng, notify)
        else:
            channel = "POSTAL" if postal else "DIRECT" if direct else "ONLINE"
            b.push("DossierSubmitted", _submitted(procedure, rng, channel, notify), actor=None)
        if postal:
            b.postal("INTAKE_PICKUP", b.working(timedelta(hours=rng.uniform(1, 6))))
        accepted = b.working(timedelta(minutes=rng.uniform(20, 180)))
        if refused:
            b.push("DossierRefused", {"reason": "Hồ sơ không thuộc thẩm quyền"}, at=accepted)
            return b.done(REFUSED, national=national, notify=notify)
        b.push("DossierAccepted", {"appointment_at": None, "level": procedure.level,
                                   "deadline_working_days": procedure.deadline_days},
               at=accepted)  # fmt: skip
        deadline = self.calendar.add_working_days(accepted, procedure.deadline_days)
        started = accepted if immediate else b.working(timedelta(minutes=rng.uniform(5, 60)))
        b.push("ProcessingStepRecorded", {"kind": "STARTED", "content": "Thụ lý hồ sơ",
               "to_department": _HANDLER["department"], "to_agency_code": None,
               "step_due_at": None}, at=started)  # fmt: skip
        if late:
            # the delay foreseen early, before any pause: the SLA then moves only the new date
            # (a fee step's pause ends with the FeePaid, stamped in wall time on the status
            # query path by the outbox: it would pass any date written here)
            apology = b.working(timedelta(hours=rng.uniform(1, 4)))
            new_date = self.calendar.add_working_days(deadline, NEW_DATE_AFTER_DAYS)
            b.push("ApologyIssued", {"reason": "Cần xác minh thêm với cơ quan liên quan",
                                     "new_appointment_at": max(new_date, apology + _MINUTE),
                                     "letter": None}, at=apology)  # fmt: skip
        # the supplement before the fee: the national portal's progress service is told of the
        # fee step (6) but not of its payment (no official acts), so a later supplement (5)
        # would reach it as a step back (its simulator's order check)
        if supplement:
            # asked while the deadline runs, halfway at the latest (a short procedure's day
            # would otherwise be over before the request: late before the pause)
            left = self.calendar.working_time_between(b.last, deadline)
            asked = min(timedelta(hours=rng.uniform(1, 8)), left / 2)
            b.push("SupplementRequested", {"reason": "Thiếu bản sao giấy tờ",
                   "requested_documents": ["Bản sao CCCD"], "respond_by": None},
                   at=b.working(max(asked, _MINUTE)))  # fmt: skip
            b.push("SupplementReceived", {"documents": [_document(dossier_id, "bo-sung")]},
                   at=b.working(timedelta(hours=rng.uniform(4, 24))))  # fmt: skip
        if fee_online:
            fee = {"code": "LP", "name": "Lệ phí", "kind": "CHARGE",
                   "amount_vnd": procedure.fee_vnd}  # fmt: skip
            b.push("FeeRequested", {"fee_lines": [fee], "total_vnd": procedure.fee_vnd,
                                    "due_at": None}, at=b.working(5 * _MINUTE))  # fmt: skip
            b.step(Action.PAY, b.working(timedelta(minutes=rng.uniform(10, 120))),
                   callback=callback, awaits="FEE_PAID")  # fmt: skip
        if late:
            ready = self.calendar.add_working_days(max(deadline, b.last), 1)
        elif immediate:
            ready = b.last
        else:
            left = self.calendar.working_time_between(b.last, deadline)
            ready = b.working(max(left * rng.uniform(0.2, 0.8), 10 * _MINUTE))
        channel = "POSTAL" if postal else rng.choice(["ONLINE", "DESK"])
        result = _document(dossier_id, "ket-qua")
        b.push("ResultReady", {"decision_number": f"{number}/QĐ-UBND", "documents": [result],
                               "return_channel": channel}, at=ready)  # fmt: skip
        b.publish_signed(result, b.last + 5 * _MINUTE)
        if postal:
            b.postal("RESULT_DELIVERY", b.working(timedelta(hours=rng.uniform(4, 24))),
                     awaits="RESULT_RETURNED")  # fmt: skip
        else:
            b.push("ResultReturned", {"return_channel": channel, "waybill_number": None},
                   at=b.working(timedelta(hours=rng.uniform(1, 16))))  # fmt: skip
        return b.done(RESULT_RETURNED, national=national, postal=postal,
                      supplement=supplement, late=late, fee_online=fee_online,
                      callback=callback, notify=notify)  # fmt: skip


class _Builder:
    """One dossier's steps, in order, each event with an id derived from the dossier."""

    def __init__(self, dossier_id: str, procedure: SampleProcedure, filed_at: datetime,
                 calendar: WorkingCalendar, rng: random.Random) -> None:  # fmt: skip
        self.dossier_id, self.procedure, self.calendar = dossier_id, procedure, calendar
        self.filed_at = self.last = filed_at
        self.steps: list[Step] = []
        self.rng = rng

    def working(self, after: timedelta) -> datetime:
        """``after`` of working time after the last step."""
        return self.calendar.add_working_time(self.last, after)

    def step(self, action: Action, at: datetime, **fields: Any) -> None:
        self.last = max(at, self.last)
        self.steps.append(Step(self.last, action, **fields))

    def event(self, name: str, payload: Mapping[str, object], at: datetime,
              actor: Mapping[str, object] | None,
              source: str = "PROVINCIAL_PORTAL") -> Event:  # fmt: skip
        event_id = str(uuid.uuid5(_NS, f"{self.dossier_id}:{len(self.steps)}:{name}"))
        return new_event(self.dossier_id, name, payload, source=source, occurred_at=at,
                         actor=actor, event_id=event_id, recorded_at=at)  # fmt: skip

    def push(self, name: str, payload: Mapping[str, object], *, at: datetime | None = None,
             actor: Mapping[str, object] | bool | None = True) -> None:  # fmt: skip
        when = max(at or self.last, self.last)
        who = actor if actor is not True else {
            **(_DESK if name in ("DossierAccepted", "DossierRefused", "ResultReturned")
               else _HANDLER), "agency_code": self.procedure.agency_code}  # fmt: skip
        self.step(Action.PUSH, when, events=(self.event(name, payload, when, who or None),))

    def publish_signed(self, result: Mapping[str, object], at: datetime) -> None:
        digest = hashlib.sha256(f"{self.dossier_id}:signed".encode()).hexdigest()
        payload = {"document_id": result["document_id"], "original_sha256": result["sha256"],
                   "signed_sha256": digest, "signer_certificate_sha256": digest,
                   "signer_subject": "CN=UBND tinh (mo phong)", "signature_level": "PADES_B_T",
                   "timestamp_at": None}  # fmt: skip
        event = self.event("ResultSigned", payload, at, None, source="SIGNING")
        self.step(Action.PUBLISH, at, events=(event,))

    def postal(self, direction: str, at: datetime, awaits: str | None = None) -> None:
        self.step(Action.POSTAL, at, direction=direction, awaits=awaits)

    def file_national(self, rng: random.Random, notify: bool) -> None:
        del notify  # the national portal's own intake asks no notification consent
        filed = f"{self.filed_at.astimezone(self.calendar.tz):%Y%m%d%H%M%S}"
        p = self.procedure
        item = {"MaHoSo": self.dossier_id, "MaTTHC": p.code, "TenTTHC": p.name,
                "DonViXuLy": p.agency_code, "TrangThai": "receiving", "NgayNop": filed,
                "ChuHoSo": {"HoTen": _name(rng), "LoaiDoiTuong": 1,
                            "SoGiayTo": f"0{rng.randrange(10**10, 10**11)}",
                            "SoDienThoai": "0912345678",
                            "DiaChi": {"DiaChiChiTiet": "12 Lê Lợi", "PhuongXa": "Mỹ Bình",
                                       "TinhThanh": "An Giang"}}}  # fmt: skip
        self.step(Action.FILE_NATIONAL, self.filed_at, filed=item, awaits="DOSSIER_SUBMITTED")

    def done(self, final_status: str, **flags: Any) -> Script:
        return Script(self.dossier_id, self.procedure.agency_code, self.procedure,
                      tuple(self.steps), final_status, filed_at=self.filed_at, **flags)  # fmt: skip


def _name(rng: random.Random) -> str:
    return f"{rng.choice(_FAMILY)} {rng.choice(_GIVEN)}"


def _document(dossier_id: str, kind: str) -> dict[str, object]:
    content = f"{dossier_id}:{kind}".encode()
    return {"document_id": kind, "name": f"{kind}.pdf", "media_type": "application/pdf",
            "sha256": hashlib.sha256(content).hexdigest(), "size_bytes": len(content)}  # fmt: skip


def _submitted(procedure: SampleProcedure, rng: random.Random, channel: str,
               notify: bool) -> dict[str, object]:  # fmt: skip
    phone, email, channels = rng.choice(_CONTACTS)
    postal = channel == "POSTAL"
    return {
        "procedure_code": procedure.code, "procedure_name": procedure.name,
        "agency_code": procedure.agency_code, "channel": channel,
        "postal_intake": postal, "postal_return": postal, "from_national_portal": False,
        "national_dossier_code": None, "documents": [],
        "applicant": {"kind": "CITIZEN", "full_name": _name(rng),
                      "id_number": f"0{rng.randrange(10**10, 10**11)}",
                      "address": {"line": f"{rng.randrange(1, 300)} Trần Hưng Đạo",
                                  "ward": "Mỹ Xuyên", "district": "Long Xuyên",
                                  "province": "An Giang"},
                      "phone": phone, "email": email, "notify_consent": notify,
                      "notify_channels": list(channels) if notify else []},
    }  # fmt: skip
