"""Demo section: deadlines on an accelerated clock. Alerts fire, a late list is published.

An SLA worker (``python -m hub.processing worker sla``) and the query API share one simulated clock
(``DVC_CLOCK=accelerated:...``): it starts on a Monday morning after the sample history and runs
``RATE`` times faster than real time, so a one-working-day deadline passes in seconds. Four
dossiers, accepted "now" on that clock through the portal connector, each tell one rule: no
action by the officers (due soon, apology due: the hub writes and signs the apology letter with
the SLA's new date, then overdue), an officer's apology with a new date that is missed too, a
supplement request that pauses the clock, a result ready on time. The apology worker runs in
this process (a test PKI's key and TSA); the letter's path and ``verify``'s verdict are shown.
"""

from __future__ import annotations

import hashlib
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypedDict, TypeVar, cast

import httpx
from rich.table import Table

from connectors.portal.client import portal_item
from dvchub.demo._console import console
from dvchub.demo._lifecycle import RunningPortal
from dvchub.demo._servers import demo_pki, serving, worker
from hub import kafka
from hub.api import DEV_KEYS, bearer_headers, create_api, development_keys
from hub.events import new_event, payload_name_of
from hub.processing import AcceleratedClock, Clock, LoopOptions
from hub.records import SlaAlert
from hub.sample import PROCEDURES, VN_TZ, SampleProcedure, agency_name
from hub.serde import RegistryClient, serde_for
from hub.settings import REPO_ROOT, Settings
from hub.sla import TZ, SlaSettings, WorkingCalendar
from hub.topics import DOSSIER_EVENTS, SLA_ALERTS

if TYPE_CHECKING:  # signing is imported when the section runs (an extra of its own)
    from signing import LocalDocumentStore, TrustConfig

#: Simulated seconds per real second: the 24 hours to the next working day pass in 16 s.
RATE = 5400.0
#: Where the simulated clock starts: a Monday's opening after the sample history (March-April).
START = datetime(2025, 6, 2, 7, 30, tzinfo=VN_TZ)
DEMO_DIR = REPO_ROOT / ".cache" / "demo"

_HOUR = timedelta(hours=1)
_ONE_DAY = next(p for p in PROCEDURES if p.deadline_days == 1)
_THREE_DAYS = next(p for p in PROCEDURES if p.deadline_days == 3)
_DESK = {"official_id": "cb-0012", "official_name": "Lâm Thị Thu", "title": "Chuyên viên",
         "department": "Bộ phận Một cửa"}  # fmt: skip
_HANDLER = {"official_id": "cb-0311", "official_name": "Tô Văn Khải",
            "title": "Phó Trưởng phòng", "department": "Phòng Tư pháp - Hộ tịch"}  # fmt: skip


#: An event record as ``new_event`` builds it: handed on to the portal connector, never read here.
_Event = Mapping[str, object]
#: A payload record of one event (e.g. ``ApologyIssued``), in the order ``new_event`` takes it.
_Payload = Mapping[str, object]
_Official = Mapping[str, str | None]


class _DeadlineView(TypedDict, total=False):
    """The ``deadline`` of ``GET /v1/dossiers/{id}``, as far as this section shows it."""

    appointment_at: str | None
    clock: str
    working_minutes_left: int | None
    late: bool
    apology_issued_at: str | None


class _DossierView(TypedDict, total=False):
    """``GET /v1/dossiers/{id}``, the fields this section shows."""

    status: str
    deadline: _DeadlineView | None


class _LateLine(TypedDict):
    """One line of ``GET /v1/reports/late``."""

    dossier_id: str
    agency_code: str | None
    department: str | None
    official_name: str | None
    kind: str
    due_at: str | None
    working_days_late: float
    apology: str
    reappointed_at: str | None
    explanation: str
    explanation_due_at: str | None


class _LateReport(TypedDict, total=False):
    """``GET /v1/reports/late?month=...`` as JSON."""

    dossiers: list[_LateLine]


@dataclass(frozen=True)
class Story:
    """One dossier of the section: what happens to it, and the alerts that must come of it."""

    dossier_id: str
    events: tuple[_Event, ...]
    told: str
    awaited: frozenset[str]


def stories(run_id: str, now: datetime, calendar: WorkingCalendar) -> list[Story]:
    """The four dossiers, accepted at ``now`` on the simulated clock."""
    one = calendar.add_working_days(now, _ONE_DAY.deadline_days)
    new_date = calendar.add_working_time(one, timedelta(hours=2))
    minute = timedelta(minutes=1)

    def dossier(
        number: int, procedure: SampleProcedure, *steps: tuple[str, _Payload]
    ) -> tuple[str, tuple[_Event, ...]]:
        dossier_id = f"SLA-{run_id}-{number}"
        agency = procedure.agency_code
        events = [
            _event(dossier_id, "DossierSubmitted", now - minute, _submitted(procedure), None),
            _event(dossier_id, "DossierAccepted", now, {
                "appointment_at": None, "deadline_working_days": procedure.deadline_days,
                "level": procedure.level}, {**_DESK, "agency_code": agency}),
        ]  # fmt: skip
        for n, (name, payload) in enumerate(steps, start=1):
            events.append(
                _event(dossier_id, name, now + n * minute, payload,
                       {**_HANDLER, "agency_code": agency})
            )  # fmt: skip
        return dossier_id, tuple(events)

    apology = ("ApologyIssued", {"reason": "Cần xác minh thêm với cơ quan liên quan",
                                 "new_appointment_at": new_date, "letter": None})  # fmt: skip
    supplement = ("SupplementRequested", {"reason": "Thiếu bản sao giấy tờ tùy thân",
                                          "requested_documents": ["Bản sao CCCD"],
                                          "respond_by": None})  # fmt: skip
    result = {"document_id": "trich-luc", "name": "Trích lục khai sinh.pdf",
              "media_type": "application/pdf", "sha256": hashlib.sha256(b"demo").hexdigest(),
              "size_bytes": 4}  # fmt: skip
    started = ("ProcessingStepRecorded", {"kind": "STARTED", "content": "Thụ lý hồ sơ",
                                          "to_department": _HANDLER["department"],
                                          "to_agency_code": None, "step_due_at": None})  # fmt: skip
    ready = ("ResultReady", {"decision_number": "15/QĐ-UBND", "documents": [result],
                             "return_channel": "ONLINE"})  # fmt: skip
    return [
        Story(*dossier(1, _ONE_DAY), "no action: the hub's signed apology, then overdue",
              frozenset({"APOLOGY_DUE", "OVERDUE"})),
        Story(*dossier(2, _ONE_DAY, apology),
              "an apology with a new date, which is missed too",
              frozenset({"OVERDUE", "REAPPOINTMENT_MISSED"})),
        Story(*dossier(3, _THREE_DAYS, started, supplement),
              "a supplement requested: the clock stops", frozenset()),
        Story(*dossier(4, _THREE_DAYS, started, ready), "the result is ready on time", frozenset()),
    ]  # fmt: skip


def show_sla(
    settings: Settings, registry: RegistryClient, portal: RunningPortal, run_id: str
) -> None:
    console.rule("[bold]SLA: working-day deadlines, durable timers, alerts, the late list")
    clock = AcceleratedClock.starting(START, RATE)
    sla = SlaSettings()
    calendar = sla.calendar()
    log_path = DEMO_DIR / "sla-worker.log"
    console.print(
        f"simulated clock from {_local(START)} (Asia/Ho_Chi_Minh), {RATE:,.0f}x real time; "
        f"office hours {calendar.hours}; an SLA worker on it (log: {log_path})"
    )
    with (
        _apology_letters(settings, registry) as letters,
        worker("sla", settings, log_path, env={"DVC_CLOCK": clock.spec}) as sla_worker,
    ):
        while not all(calendar.is_working_time(clock.now() + d) for d in (timedelta(), _HOUR)):
            time.sleep(0.05)  # the clock ran on while the worker started: a night passes in 9 s
        told = stories(run_id, clock.now(), calendar)  # in office hours, an hour of them left
        accepted = list(portal.client.push_all(portal_item(e) for s in told for e in s.events))
        at = cast(datetime, told[0].events[1]["occurred_at"])
        console.print(
            f"{sum(r.accepted for r in accepted)} events of {len(told)} dossiers accepted at "
            f"{_local(at)} through the portal connector"
        )
        alerts = _await_alerts(settings, registry, told, clock)
        fired = sla_worker.metric("dvchub_processor_timers_fired_total")
        console.print(_alert_table(alerts, told))
        console.print(f"{len(alerts)} alerts on {SLA_ALERTS.name(settings.topic_prefix)}; "
                      f"the worker fired {fired:.0f} timers")  # fmt: skip
        letters.show(settings, registry, told[0].dossier_id)
        api = create_api(settings, clock=clock, sla=sla, keys=development_keys())
        pki = demo_pki()
        with (
            serving(api, "query-api-sla", pki.tls()) as url,
            httpx.Client(base_url=url, headers=bearer_headers(DEV_KEYS.ops),
                         verify=pki.client()) as http,
        ):  # fmt: skip
            _show_deadlines(http, told)
            _show_late_list(http, clock, {s.dossier_id for s in told})


@dataclass(frozen=True)
class _Letters:
    """The apology worker's document store and trust: where a letter is, whether it verifies."""

    store: LocalDocumentStore
    trust: TrustConfig

    def show(self, settings: Settings, registry: RegistryClient, dossier_id: str) -> None:
        from signing import verify

        serde = serde_for(DOSSIER_EVENTS, settings.topic_prefix, registry)

        def apology() -> dict[str, Any] | None:
            records = kafka.read_to_end(settings, DOSSIER_EVENTS.name(settings.topic_prefix))
            events = (serde.decode(r.value) for r in records if r.key == dossier_id.encode())
            found = [e for e in events if payload_name_of(e) == "ApologyIssued"]
            return found[-1]["payload"][1] if found else None

        issued = _wait(apology, timeout_s=60)
        report = verify(self.store.get(issued["letter"]["sha256"]), trust=self.trust)
        level = "B-T" if all(s.timestamp_time for s in report.signatures) else "B-B"
        verdict = "[green]valid" if report.valid else "[red]INVALID"
        console.print(f"the hub's apology letter of {dossier_id}: PAdES {level}, verify: {verdict}")
        console.print(f"  Phiếu xin lỗi và hẹn lại ngày trả kết quả, new date "
                      f"{_local(issued['new_appointment_at'])}: "
                      f"{self.store.path_for(issued['letter']['sha256'])}")  # fmt: skip


@contextmanager
def _apology_letters(settings: Settings, registry: RegistryClient) -> Iterator[_Letters]:
    """``signing._apology_worker`` in a thread, its key and TSA a throwaway test PKI's."""
    import signing
    from signing.testing import running_test_pki

    with tempfile.TemporaryDirectory() as temp, running_test_pki(Path(temp)) as pki:
        store = signing.LocalDocumentStore(DEMO_DIR / "documents")
        config = signing.SigningConfig(pki.pkcs12_key_source(), pki.trust_config(),
                                       signing.TimestampConfig(pki.tsa_url))  # fmt: skip
        service = signing.SigningService(config, store)
        writer = signing.ApologyWriter(service, store, timestamped=True)
        options = LoopOptions(group_id=f"dvchub-demo-apology-{uuid.uuid4().hex}")
        processor = signing.ApologyProcessor(settings, writer, registry, options=options)
        thread = threading.Thread(target=processor.run, name="apology-letters")
        thread.start()
        try:
            yield _Letters(store, pki.trust_config())
        finally:
            processor.stop()
            thread.join(timeout=30)


def _await_alerts(
    settings: Settings, registry: RegistryClient, told: list[Story], clock: Clock
) -> list[SlaAlert]:
    """The alerts of ``told`` on ``sla.alerts``, once every awaited kind came (or 120 s)."""
    serde = serde_for(SLA_ALERTS, settings.topic_prefix, registry)
    ours = {s.dossier_id for s in told}
    awaited = {(s.dossier_id, kind) for s in told for kind in s.awaited}
    deadline = time.monotonic() + 120
    found: list[SlaAlert] = []
    while True:
        records = kafka.read_to_end(settings, SLA_ALERTS.name(settings.topic_prefix))
        # The decoding boundary: ``sla.alerts`` holds SlaAlert records.
        found = [cast(SlaAlert, serde.decode(r.value)) for r in records if r.key.decode() in ours]
        if awaited <= {(a["dossier_id"], a["kind"]) for a in found}:
            return found
        if time.monotonic() > deadline:
            console.print(f"[red]alerts still missing at {_local(clock.now())}")
            return found
        time.sleep(1.0)


def _alert_table(alerts: Iterable[SlaAlert], told: list[Story]) -> Table:
    number = {s.dossier_id: n for n, s in enumerate(told, start=1)}
    table = Table("raised (simulated)", "alert", "dossier", "about", "working min left",
                  "agency", "name", title="Alerts fired by the durable timers")  # fmt: skip
    for alert in sorted(alerts, key=lambda a: (a["raised_at"], number[a["dossier_id"]])):
        table.add_row(
            _local(alert["raised_at"]), str(alert["kind"]), alert["dossier_id"],
            _local(alert["due_at"]), str(alert["working_minutes_left"]), alert["agency_code"],
            agency_name(alert["agency_code"]),
        )  # fmt: skip
    return table


def _show_deadlines(http: httpx.Client, told: list[Story]) -> None:
    states = _wait(lambda: _deadlines(http, told), timeout_s=60)
    table = Table("dossier", "story", "status", "appointment", "clock", "left (min)", "late",
                  "apology", title="GET /v1/dossiers/{id}: the deadline, judged now")  # fmt: skip
    for story in told:
        state = states.get(story.dossier_id, _DossierView())
        d = state.get("deadline") or _DeadlineView()
        table.add_row(
            story.dossier_id, story.told, str(state.get("status", "?")),
            _local(d.get("appointment_at")), str(d.get("clock", "?")),
            str(d.get("working_minutes_left")), "yes" if d.get("late") else "no",
            "yes" if d.get("apology_issued_at") else "no",
        )  # fmt: skip
    console.print(table)


def _deadlines(http: httpx.Client, told: list[Story]) -> dict[str, _DossierView] | None:
    """Every dossier's state with its deadline, or None while one is not there yet."""
    states: dict[str, _DossierView] = {}
    for story in told:
        response = http.get(f"/v1/dossiers/{story.dossier_id}")
        if response.status_code != 200 or "deadline" not in response.json():
            return None
        states[story.dossier_id] = cast(_DossierView, response.json())
    return states


def _show_late_list(http: httpx.Client, clock: Clock, ours: set[str]) -> None:
    month = clock.now().astimezone(TZ).strftime("%Y-%m")
    report = _wait(lambda: _late_report(http, month, ours), timeout_s=60)
    listed = [d for d in report.get("dossiers", []) if d["dossier_id"] in ours]
    title = f"Late list {month} (GET /v1/reports/late)"
    table = Table("agency", "name", "department", "official", "dossier", "kind", "due", "days late",
                  "apology", "new date", "explanation due", title=title)  # fmt: skip
    for d in listed:
        table.add_row(
            d["agency_code"] or "-", agency_name(d["agency_code"]), d["department"] or "-",
            d["official_name"] or "-",
            d["dossier_id"], d["kind"], _local(d["due_at"]), f"{d['working_days_late']:.1f}",
            d["apology"], _local(d["reappointed_at"]),
            f"{d['explanation']}, by {_local(d['explanation_due_at'])}",
        )  # fmt: skip
    console.print(table)
    owing = cast(_LateReport, http.get("/v1/reports/late/explanations").json())
    owing_ids = [d["dossier_id"] for d in owing.get("dossiers", [])]
    ours_owing = sorted(d for d in owing_ids if d in ours)
    console.print(f"GET /v1/reports/late/explanations: {len(ours_owing)} of this run's late "
                  f"dossiers still owe their unit's explanation ({', '.join(ours_owing) or '-'}); "
                  "an ExplanationRecorded clears one, an EXPLANATION_OVERDUE alert fires "
                  "3 working days after it became late")  # fmt: skip
    console.print(f"{len(listed)} late dossiers of this run in the list of {month} "
                  f"({len(report.get('dossiers', []))} in all, earlier runs included)")  # fmt: skip
    for fmt in ("csv", "xlsx"):
        response = http.get("/v1/reports/late", params={"month": month, "format": fmt})
        path = DEMO_DIR / f"late-{month}.{fmt}"
        path.write_bytes(response.content)
        console.print(f"GET /v1/reports/late?month={month}&format={fmt} -> {path}")
    overdue = [line for line in http.get("/metrics").text.splitlines()
               if line.startswith("dvchub_sla_overdue_dossiers{")]  # fmt: skip
    console.print("query API /metrics: " + ("; ".join(overdue) or "no overdue dossiers"))


def _late_report(http: httpx.Client, month: str, ours: set[str]) -> _LateReport | None:
    response = http.get("/v1/reports/late", params={"month": month})
    body = cast(_LateReport, response.json()) if response.status_code == 200 else {}
    listed = {d["dossier_id"] for d in body.get("dossiers", [])}
    return body if len(listed & ours) >= 2 else None


T = TypeVar("T")


def _wait(probe: Callable[[], T | None], *, timeout_s: float) -> T:
    deadline = time.monotonic() + timeout_s
    while True:
        found = probe()
        if found is not None:
            return found
        if time.monotonic() > deadline:
            raise RuntimeError("the query API did not answer in time")
        time.sleep(0.5)


def _event(dossier_id: str, name: str, at: datetime, payload: _Payload,
           actor: _Official | None) -> _Event:  # fmt: skip
    return new_event(dossier_id, name, payload, source="PROVINCIAL_PORTAL", occurred_at=at,
                     actor=actor)  # fmt: skip


def _submitted(procedure: SampleProcedure) -> _Payload:
    return {
        "procedure_code": procedure.code, "procedure_name": procedure.name,
        "agency_code": procedure.agency_code, "channel": "ONLINE", "postal_intake": False,
        "postal_return": False, "from_national_portal": False, "national_dossier_code": None,
        "applicant": {"kind": "CITIZEN", "full_name": "Nguyễn Thị Mai", "id_number": "001190000123",
                      "phone": "0912000123", "email": None, "address": None},
        "documents": [],
    }  # fmt: skip


def _local(moment: datetime | str | None) -> str:
    if moment is None:
        return "-"
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    return str(moment.astimezone(TZ).strftime("%a %d/%m %H:%M"))
