"""``NationalIntake``: dossiers filed on the national portal -> ``dossier.events``.

A poller (one per province; run it as one process): it calls LayDanhSachHoSoMoi with its cursor,
maps each listed dossier, produces the events with ``AckedPublisher`` and only then records the
page on its compacted state topic ``<prefix>national.intake`` (one partition)::

    key "cursor"            {"cursor": <the portal's cursor after the page>}
    key "dossier:<MaHoSo>"  {"event_ids": [...]}   one per imported dossier

At start-up the topic is read to its end: the cursor to resume from, and the set of national
dossier codes already imported. No consumer group and no local file: any host can take over.

What a listed dossier produces, by its state (the string states map to codes 1..10 in
``_states.NATIONAL_STATES``)::

    receiving (1)   DossierSubmitted
    new (2)         DossierSubmitted, DossierAccepted (appointment NgayHenTra)
    denied (3)      DossierSubmitted, DossierRefused (reason LyDo)
    4..10           dead letter VALIDATION_FAILED: the hub cannot invent the history of a
                    dossier it first sees in processing; an operator imports it by hand
    unknown string  dead letter VALIDATION_FAILED
    malformed item  dead letter VALIDATION_FAILED

DossierSubmitted carries from_national_portal=True, national_dossier_code=MaHoSo (also the hub's
dossier id), channel ONLINE, source NATIONAL_PORTAL. A dead letter's original value is the one
listed item re-serialised as compact UTF-8 JSON (a listing carries many; the item's own bytes
are not kept apart by the JSON parser), with the cursor the page was asked with in a header.

Never twice: event ids are uuid5 of (MaHoSo, state code, payload), so a re-poll builds the same
ids; a code in the imported set is skipped (counted as a duplicate), also when it is listed
again in another state: once imported, the province's own events carry the dossier on. A crash
between producing the events and recording the page re-imports the page with the same ids
(the lifecycle's dedupe by event id drops them); dead letters of that page are then repeated.
"""

from __future__ import annotations

import json
import logging
import threading
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from prometheus_client import Counter
from pydantic import ValidationError

from connectors.common import AckedPublisher, NotAcknowledged
from connectors.national._config import NationalConfig
from connectors.national._dates import from_portal
from connectors.national._errors import NationalPortalError, PortalUnavailable
from connectors.national._states import NATIONAL_STATES
from connectors.national._transport import PortalTransport
from connectors.national._wire import SERVICE_LIST_NEW, DanhSachHoSo, HoSoQuocGia
from hub.deadletter import DEADLETTERS, DeadLetterInput
from hub.events import new_event
from hub.kafka import create_topic, read_to_end
from hub.serde import RegistryClient
from hub.settings import Settings
from hub.topics import DEADLETTER, DOSSIER_EVENTS

log = logging.getLogger(__name__)

INTAKE_STATE_SUFFIX = "national.intake"
PROCESSOR = "national-intake"
#: uuid5 namespace of the intake's event ids.
INTAKE_NAMESPACE = uuid.UUID("2f0f3c1e-6c1a-5b8e-9d57-4a1b1e0c7a11")
CURSOR_KEY = "cursor"
_INTAKE_STATES = frozenset({1, 2, 3})

INTAKE = Counter(
    "dvchub_national_intake",
    "Dossiers listed by the national portal, by outcome (imported, duplicate, dead_lettered).",
    ["outcome"],
)


def intake_state_topic(settings: Settings) -> str:
    return f"{settings.topic_prefix}{INTAKE_STATE_SUFFIX}"


def intake_event_id(national_code: str, state_code: int, payload_name: str) -> str:
    """The event id the intake gives ``payload_name`` of a dossier listed in ``state_code``."""
    return str(uuid.uuid5(INTAKE_NAMESPACE, f"{national_code}|{state_code}|{payload_name}"))


class Refused(Exception):
    """A listed item the intake does not import (it is dead-lettered with this reason)."""


@dataclass(frozen=True)
class IntakeReport:
    """What one page (or a drain of several) did."""

    listed: int = 0
    imported: int = 0
    duplicates: int = 0
    dead_lettered: int = 0
    events: int = 0
    cursor: str | None = None
    more: bool = False

    def __add__(self, other: IntakeReport) -> IntakeReport:
        return IntakeReport(
            self.listed + other.listed,
            self.imported + other.imported,
            self.duplicates + other.duplicates,
            self.dead_lettered + other.dead_lettered,
            self.events + other.events,
            other.cursor,
            other.more,
        )


def dossier_events(item: Mapping[str, Any], *, recorded_at: datetime) -> list[dict[str, Any]]:
    """The DossierEvent records of one listed dossier; ``Refused`` if it is not importable."""
    try:
        dossier = HoSoQuocGia.model_validate(item)
    except ValidationError as exc:
        where = "; ".join(
            f"{'.'.join(str(p) for p in err['loc'])}: {err['type']}" for err in exc.errors()[:10]
        )
        raise Refused(f"not a listed dossier: {where}") from exc
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

    def event(name: str, state_code: int, payload: dict[str, Any], at: datetime) -> dict[str, Any]:
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
    submitted: dict[str, Any] = {
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


@dataclass
class _State:
    cursor: str | None = None
    imported: set[str] = field(default_factory=set)


class NationalIntake:
    """Polls the national portal's listing into ``dossier.events`` (blocking; one thread)."""

    def __init__(
        self,
        settings: Settings,
        registry: RegistryClient,
        config: NationalConfig | None = None,
        *,
        transport: PortalTransport | None = None,
        publisher: AckedPublisher | None = None,
    ) -> None:
        self.settings = settings
        self.config = config or NationalConfig()
        self.topic = intake_state_topic(settings)
        self._transport = transport or PortalTransport(self.config)
        self._own_publisher = publisher is None
        self._publisher = publisher or AckedPublisher(
            settings, registry, client_id="dvchub-national-intake"
        )
        self._state: _State | None = None

    @property
    def cursor(self) -> str | None:
        return self._load().cursor

    def imported(self, national_code: str) -> bool:
        return national_code in self._load().imported

    def _load(self) -> _State:
        """The cursor and the imported codes, read from the state topic (once)."""
        if self._state is None:
            create_topic(
                self.settings, self.topic, config={"cleanup.policy": "compact"}, partitions=1
            )
            state = _State()
            for record in read_to_end(self.settings, self.topic):
                if record.key is None or record.value is None:
                    continue
                key = record.key.decode()
                if key == CURSOR_KEY:
                    state.cursor = json.loads(record.value)["cursor"]
                elif key.startswith("dossier:"):
                    state.imported.add(key.removeprefix("dossier:"))
            self._publisher.warm_up(DOSSIER_EVENTS, DEADLETTER)
            log.info(
                "national intake resumes at cursor %r (%d dossiers imported before)",
                state.cursor,
                len(state.imported),
            )
            self._state = state
        return self._state

    def poll_once(self) -> IntakeReport:
        """One page: list, produce, record. Raises ``NationalPortalError`` / ``NotAcknowledged``
        (nothing recorded then: the next poll asks for the same page again)."""
        state = self._load()
        asked_with = state.cursor
        data = self._transport.call(
            SERVICE_LIST_NEW, {"Cursor": asked_with, "SoLuong": self.config.page_size}
        )
        try:
            page = DanhSachHoSo.model_validate(data)
        except ValidationError as exc:  # e.g. a receipt where a listing belongs
            raise PortalUnavailable(
                "MALFORMED_REPLY", f"{SERVICE_LIST_NEW} reply is not a listing"
            ) from exc
        recorded_at = datetime.now(UTC)
        events: list[tuple[str, dict[str, Any]]] = []
        letters: list[DeadLetterInput] = []
        fresh: dict[str, list[str]] = {}
        duplicates = 0
        for item in page.DanhSachHoSo:
            code = item.get("MaHoSo") if isinstance(item, dict) else None
            if isinstance(code, str) and (code in state.imported or code in fresh):
                duplicates += 1
                continue
            try:
                if not isinstance(item, dict):
                    raise Refused("a listed item is not a JSON object")
                built = dossier_events(item, recorded_at=recorded_at)
            except Refused as exc:
                letters.append(_dead_letter(item, code, str(exc), asked_with))
                continue
            fresh[built[0]["dossier_id"]] = [e["event_id"] for e in built]
            events.extend((e["dossier_id"], e) for e in built)
        if events:
            self._publisher.publish(DOSSIER_EVENTS, events)
        if letters:
            self._publisher.publish(
                DEADLETTER,
                [((lt.original_key or b"").decode(), lt.to_record()) for lt in letters],
            )
            for letter in letters:
                DEADLETTERS.labels(letter.processor, letter.reason_code).inc()
        marks: list[tuple[str, bytes | None]] = [
            (f"dossier:{code}", json.dumps({"event_ids": ids}).encode())
            for code, ids in fresh.items()
        ]
        if page.Cursor is not None and page.Cursor != asked_with:
            marks.append((CURSOR_KEY, json.dumps({"cursor": page.Cursor}).encode()))
        if marks:
            self._publisher.publish_bytes(self.topic, marks)
        state.imported.update(fresh)
        if page.Cursor is not None:
            state.cursor = page.Cursor
        INTAKE.labels("imported").inc(len(fresh))
        INTAKE.labels("duplicate").inc(duplicates)
        INTAKE.labels("dead_lettered").inc(len(letters))
        return IntakeReport(
            listed=len(page.DanhSachHoSo),
            imported=len(fresh),
            duplicates=duplicates,
            dead_lettered=len(letters),
            events=len(events),
            cursor=state.cursor,
            more=page.ConNua,
        )

    def drain(self, max_pages: int = 10_000) -> IntakeReport:
        """Pages until the portal says there is no more (or ``max_pages``)."""
        total = IntakeReport(cursor=self.cursor)
        for _ in range(max_pages):
            report = self.poll_once()
            total += report
            if not report.more:
                break
        return total

    def run(self, stop: threading.Event) -> None:
        """Drain, pause ``poll_interval_s``, repeat until ``stop``; failures back off (max 60 s)
        and never end the loop."""
        backoff = self.config.poll_interval_s
        while not stop.is_set():
            try:
                report = self.drain()
            except (NationalPortalError, NotAcknowledged) as exc:
                log.warning("national intake: %s; retrying in %.0f s", exc, backoff)
                stop.wait(backoff)
                backoff = min(backoff * 2, 60.0)
                continue
            backoff = self.config.poll_interval_s
            if report.listed:
                log.info(
                    "national intake: %d listed, %d imported, %d duplicates, %d dead-lettered",
                    report.listed,
                    report.imported,
                    report.duplicates,
                    report.dead_lettered,
                )
            stop.wait(self.config.poll_interval_s)

    def close(self) -> None:
        self._transport.close()
        if self._own_publisher:
            self._publisher.close()


def _dead_letter(item: object, code: object, reason: str, cursor: str | None) -> DeadLetterInput:
    original = json.dumps(item, ensure_ascii=False, separators=(",", ":")).encode()
    return DeadLetterInput(
        processor=PROCESSOR,
        reason_code="VALIDATION_FAILED",
        reason=reason,
        original_value=original,
        source_topic=f"national:{SERVICE_LIST_NEW}",
        original_key=code.encode() if isinstance(code, str) else None,
        headers=(("cursor", cursor.encode() if cursor is not None else None),),
    )
