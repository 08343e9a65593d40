"""Demo section: the partners. VNPost, the national portal, EMC and a payment provider, each a
real simulator speaking its protocol, wired through the hub.

On its own topic prefix (``<prefix>partners-demo.<run>.``, so the other sections' thousands of
events are not sent to partners): the routing and payments processors and four outbox workers run as
processes; VNPost's status callbacks and the provider's IPN come back through the connectors'
endpoints; a dossier filed on the national portal is taken in. Four dossiers:

1. postal both ways: VNPost collects the dossier, delivers it to the agency, then returns the
   result with the fee collected on delivery (COD);
2. a fee paid online (paygov style IPN, SHA-256 checksum) before processing;
3. a fee paid, then processing stopped: the fee is refunded;
4. a dossier filed on the national portal, taken in by the intake.

Then the counts the simulators received, the outcomes, and the day's reconciliation.
"""

from __future__ import annotations

import hashlib
import io
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

from rich.table import Table

from connectors.bank import PaygovSimulator, create_ipn_app
from connectors.common import AckedPublisher, PartnerSpec
from connectors.emc import EmcSimulator
from connectors.national import NationalConfig, NationalIntake, NationalPortalSimulator
from connectors.partners import NAMES, spec
from connectors.portal.client import portal_item
from connectors.vnpost import CALLBACK_PATH, VnpostSimulator, create_callback_app
from dvchub.demo._console import console
from dvchub.demo._lifecycle import portal_connector
from dvchub.demo._servers import demo_pki, outbox_process, serving, worker_process
from hub import kafka
from hub.events import new_event
from hub.kafka import ensure_topics
from hub.processing import WorkerProcess
from hub.sample import PROCEDURES, VN_TZ, catalog_entry
from hub.serde import RegistryClient, serde_for
from hub.settings import REPO_ROOT, Settings
from hub.stack import as_service, services_granted
from hub.topics import DOSSIER_EVENTS, PARTNER_OUTCOMES, PAYMENTS

DEMO_DIR = REPO_ROOT / ".cache" / "demo"
#: Seconds after a payment request the payments worker asks the provider, if no callback came.
QUERY_AFTER_S = 15
T = TypeVar("T")

_BUILDING = next(p for p in PROCEDURES if p.code == "1.001612")  # 75,000 VND, full online
_RECORD = next(p for p in PROCEDURES if p.code == "1.004227")  # 200,000 VND
_RESULT = {"document_id": "giay-phep", "name": "Giấy phép xây dựng.pdf",
           "media_type": "application/pdf", "sha256": hashlib.sha256(b"result").hexdigest(),
           "size_bytes": 6}  # fmt: skip
_DESK = {"official_id": "cb-0012", "official_name": "Lâm Thị Thu", "title": "Chuyên viên",
         "department": "Bộ phận Một cửa"}  # fmt: skip
_HANDLER = {"official_id": "cb-0311", "official_name": "Tô Văn Khải",
            "title": "Phó Trưởng phòng", "department": "Phòng Quản lý đô thị"}  # fmt: skip


def _wait(check: Callable[[], T | None], timeout_s: float, what: str) -> T:
    deadline = time.monotonic() + timeout_s
    while True:
        found = check()
        if found:
            return found
        if time.monotonic() > deadline:
            raise RuntimeError(f"the demo waited {timeout_s:.0f} s for {what}")
        time.sleep(0.3)


class Events:
    """This section's events, built like the one-stop system would send them."""

    def __init__(self, run_id: str) -> None:
        self.run_id = run_id
        self.minute = 0

    def dossier_id(self, n: int) -> str:
        return f"PT-{self.run_id}-{n}"

    def at(self) -> datetime:
        self.minute += 1
        return datetime.now(UTC) - timedelta(minutes=30) + timedelta(seconds=10 * self.minute)

    def event(self, n: int, name: str, payload: dict[str, Any], actor: bool = True) -> Any:
        procedure = _BUILDING if n == 1 else _RECORD
        who = {**(_HANDLER if name != "DossierAccepted" else _DESK),
               "agency_code": procedure.agency_code} if actor else None  # fmt: skip
        return new_event(self.dossier_id(n), name, payload, source="PROVINCIAL_PORTAL",
                         occurred_at=self.at(), actor=who)  # fmt: skip

    def submitted(self, n: int, channel: str, postal: bool) -> Any:
        procedure = _BUILDING if n == 1 else _RECORD
        applicant = {
            "kind": "CITIZEN", "full_name": "Trần Thị Mai", "id_number": "089301004512",
            "phone": "0913456789", "email": None,
            "address": {"line": "25 Hai Bà Trưng", "ward": "Mỹ Long", "district": "Long Xuyên",
                        "province": "An Giang"},
        }  # fmt: skip
        return self.event(n, "DossierSubmitted", {
            "procedure_code": procedure.code, "procedure_name": procedure.name,
            "agency_code": procedure.agency_code, "channel": channel, "applicant": applicant,
            "postal_intake": postal, "postal_return": postal, "from_national_portal": False,
            "national_dossier_code": None, "documents": [],
        }, actor=False)  # fmt: skip

    def accepted(self, n: int) -> Any:
        procedure = _BUILDING if n == 1 else _RECORD
        return self.event(n, "DossierAccepted", {"appointment_at": None, "level": "FULL_ONLINE",
                          "deadline_working_days": procedure.deadline_days})  # fmt: skip

    def step(self, n: int) -> Any:
        return self.event(n, "ProcessingStepRecorded", {
            "kind": "STARTED", "content": "Thụ lý hồ sơ", "to_department": _HANDLER["department"],
            "to_agency_code": None, "step_due_at": None})  # fmt: skip

    def fee_requested(self, n: int) -> Any:
        fee = {"code": "LP-01", "name": "Lệ phí", "kind": "CHARGE", "amount_vnd": _RECORD.fee_vnd}
        return self.event(n, "FeeRequested", {"fee_lines": [fee], "total_vnd": _RECORD.fee_vnd,
                                               "due_at": None})  # fmt: skip

    def result_ready(self, n: int, channel: str) -> Any:
        return self.event(n, "ResultReady", {"decision_number": f"{n}/QĐ-UBND",
                          "documents": [_RESULT], "return_channel": channel})  # fmt: skip

    def result_signed(self, n: int) -> Any:
        """What the signing processor emits once it signed the result (the signing section
        shows the signing itself)."""
        digest = hashlib.sha256(b"signed").hexdigest()
        payload = {"document_id": _RESULT["document_id"], "original_sha256": _RESULT["sha256"],
                   "signed_sha256": digest, "signer_certificate_sha256": digest,
                   "signer_subject": "CN=UBND TP Long Xuyen", "signature_level": "PADES_B_T",
                   "timestamp_at": None}  # fmt: skip
        return new_event(self.dossier_id(n), "ResultSigned", payload, source="SIGNING",
                         occurred_at=self.at())  # fmt: skip

    def returned(self, n: int) -> Any:
        return self.event(n, "ResultReturned", {"return_channel": "ONLINE",
                                                "waybill_number": None})  # fmt: skip

    def stopped(self, n: int) -> Any:
        return self.event(n, "ProcessingStopped", {"reason": "Công dân đề nghị dừng xử lý"})


class Topics:
    """Reads this section's topics back (decoded)."""

    def __init__(self, settings: Settings, registry: RegistryClient) -> None:
        self.settings = settings
        self.events = serde_for(DOSSIER_EVENTS, settings.topic_prefix, registry)
        self.outcomes = serde_for(PARTNER_OUTCOMES, settings.topic_prefix, registry)
        self.payments = serde_for(PAYMENTS, settings.topic_prefix, registry)

    def _read(self, spec: Any, serde: Any) -> list[dict[str, Any]]:
        records = kafka.read_to_end(self.settings, spec.name(self.settings.topic_prefix))
        return [serde.decode(r.value) for r in records if r.value]

    def dossier_events(self, dossier_id: str, event_type: str | None = None) -> list[Any]:
        events = self._read(DOSSIER_EVENTS, self.events)
        return [
            e for e in events
            if e["dossier_id"] == dossier_id and event_type in (None, e["event_type"])
        ]  # fmt: skip

    def outcome_records(self) -> list[dict[str, Any]]:
        return self._read(PARTNER_OUTCOMES, self.outcomes)

    def postal_waybills(self, dossier_id: str) -> list[str]:
        """Waybills of the orders the outbox created for the dossier (its outcomes: what the
        VNPost callback endpoint accepts callbacks for)."""
        return [str(o["partner_reference"]) for o in self.outcome_records()
                if o["dossier_id"] == dossier_id and o["command_type"] == "POSTAL_ORDER"
                and o["partner"] == "vnpost" and o["outcome"] == "ACCEPTED"]  # fmt: skip

    def payment(self, dossier_id: str) -> dict[str, Any] | None:
        states = [s for s in self._read(PAYMENTS, self.payments) if s["dossier_id"] == dossier_id]
        return states[-1]["payments"][-1] if states and states[-1]["payments"] else None


def _stopped_with(stack: ExitStack, process: WorkerProcess) -> WorkerProcess:
    """``process``, stopped when ``stack`` closes."""
    stack.callback(process.stop)
    return process


def show_partners(settings: Settings, registry: RegistryClient, run_id: str) -> None:
    console.rule("[bold]Partners: VNPost (SOAP), national portal, EMC, payments, via the outbox")
    prefix = f"{settings.topic_prefix}partners-demo.{run_id}."
    ps = settings.model_copy(update={"topic_prefix": prefix})
    ensure_topics(ps)
    # HTTPS; mutual TLS: VNPost's callbacks and paygov's IPN present their own CAs' certificates.
    pki = demo_pki()
    vnpost_tls, paygov_tls = pki.client(pki.vnpost_client), pki.client(pki.paygov_client)
    with ExitStack() as stack:
        # The services' ACLs cover the stack's prefix; this section's is granted for its run.
        stack.enter_context(services_granted(settings, prefix))
        app = create_callback_app(as_service(ps, "vnpost-callbacks"), registry=registry)
        callbacks = stack.enter_context(serving(app, "vnpost-callbacks", pki.tls(pki.vnpost)))
        app = create_ipn_app(as_service(ps, "bank-ipn"), registry=registry)
        ipn = stack.enter_context(serving(app, "bank-ipn", pki.tls(pki.paygov)))
        vnpost = stack.enter_context(_started(VnpostSimulator(
            callback_url=callbacks + CALLBACK_PATH, callback_tls=vnpost_tls)))  # fmt: skip
        national = stack.enter_context(_started(NationalPortalSimulator()))
        emc = stack.enter_context(_started(EmcSimulator()))
        paygov = stack.enter_context(_started(PaygovSimulator(
            ipn_url=f"{ipn}/v1/ipn/paygov", ipn_tls=paygov_tls)))  # fmt: skip
        # each partner's simulator, and its outbox worker pointed at it by its spec's workload
        sims: dict[str, Any] = {"vnpost": vnpost, "national": national, "emc": emc,
                                "bank": paygov}  # fmt: skip
        specs = {name: spec(name) for name in NAMES}
        env: dict[str, str] = {}
        for name, sim in sims.items():
            env.update(specs[name].workload.env(specs[name].workload.url(sim)))
        workers = [
            _stopped_with(stack, worker_process("routing", ps, DEMO_DIR / "routing-worker.log")),
            # status queries QUERY_AFTER_S after a request with no callback (15 min in life)
            _stopped_with(stack, worker_process(
                "payments", ps, DEMO_DIR / "payments-worker.log",
                env={"DVC_PAYMENT_QUERY_AFTER": str(QUERY_AFTER_S)})),
            *(_stopped_with(stack, outbox_process(p, ps, DEMO_DIR / f"outbox-{p}.log", env=env))
              for p in NAMES),
        ]  # fmt: skip
        portal = stack.enter_context(portal_connector(ps))
        for procedure in PROCEDURES:
            portal.client.put_procedure(procedure.code, catalog_entry(procedure))
        for process in workers:
            process.wait_ready(120)
        console.print(
            f"simulators: VNPost SOAP {vnpost.url}, national portal {national.url}, EMC {emc.url},"
            f" paygov {paygov.url}; routing, payments, an outbox per partner (logs in {DEMO_DIR})"
        )
        console.print(f"over HTTPS (CA {pki.hub.ca_file}): VNPost callbacks {callbacks}, IPN "
                      f"{ipn}, both mutual TLS (VNPost's, paygov's client CA)")  # fmt: skip
        _run_stories(ps, registry, run_id, portal, vnpost, paygov, national)
        topics = Topics(ps, registry)
        _wait(lambda: _settled(topics, national, emc), 120, "every command's outcome")
        _show_counts(topics, specs, sims, national, emc)
        _show_reconciliation(ps, paygov, run_id)


@contextmanager
def _started(simulator: T) -> Iterator[T]:
    simulator.start()  # type: ignore[attr-defined]
    try:
        yield simulator
    finally:
        simulator.stop()  # type: ignore[attr-defined]


def _push(portal: Any, *events: Any) -> None:
    try:
        list(portal.client.push_all(portal_item(e) for e in events))
    except Exception as exc:
        raise RuntimeError(getattr(exc, "body", exc)) from exc


def _run_stories(ps: Settings, registry: RegistryClient, run_id: str, portal: Any,
                 vnpost: VnpostSimulator, paygov: PaygovSimulator,
                 national: NationalPortalSimulator) -> None:  # fmt: skip
    topics = Topics(ps, registry)
    signer = AckedPublisher(ps, registry, client_id="dvchub-demo-signing")
    ev = Events(run_id)
    one, two, three = ev.dossier_id(1), ev.dossier_id(2), ev.dossier_id(3)
    # 1: postal intake; VNPost collects and delivers the paper dossier to the agency
    _push(portal, ev.submitted(1, "POSTAL", postal=True))
    _wait(lambda: topics.postal_waybills(one), 60, "the pickup order the outbox created")
    vnpost.advance_all(until_final=True)
    # 2 and 3: fees requested before processing, paid online
    _push(portal, ev.submitted(2, "ONLINE", postal=False), ev.accepted(2), ev.fee_requested(2),
          ev.submitted(3, "ONLINE", postal=False), ev.accepted(3), ev.step(3),
          ev.fee_requested(3))  # fmt: skip
    # 2: the payer pays and the provider's signed IPN confirms it
    payment = _wait(partial(_created, topics, two), 60, f"{two}'s payment URL")
    deliveries = paygov.pay(payment["payment_reference"])
    answers = ", ".join(str(d.outcome.value if d.outcome else d.http_status)
                        for d in deliveries)  # fmt: skip
    console.print(f"{two}: paid at paygov; its signed IPN (SHA-256 checksum) answered: {answers}")
    _wait(partial(topics.dossier_events, two, "FEE_PAID"), 60, f"{two}'s FeePaid")
    # 3: paid, but the callback is lost: the payments worker's durable timer asks the provider
    payment = _wait(partial(_created, topics, three), 60, f"{three}'s payment URL")
    paygov.pay(payment["payment_reference"], notify=False)
    console.print(f"{three}: paid at paygov, no callback: waiting for the status query "
                  f"({QUERY_AFTER_S} s after the request here)")  # fmt: skip
    _wait(partial(topics.dossier_events, three, "FEE_PAID"), 90, f"{three}'s FeePaid")
    table = Table("dossier", "payment reference", "VND", "payment URL", "FeePaid")
    for dossier in (two, three):
        payment = topics.payment(dossier) or {}
        paid = topics.dossier_events(dossier, "FEE_PAID")
        method = paid[0]["payload"][1]["method"]
        how = "status query" if dossier == three else "IPN"
        table.add_row(dossier, payment.get("payment_reference"), f"{payment.get('amount_vnd'):,}",
                      payment.get("payment_url"), f"{len(paid)} ({method}, {how})")  # fmt: skip
    console.print(table)
    # 1 goes on to a result returned by post (fee on delivery); 2 to an online result; 3 stops
    _wait(lambda: topics.dossier_events(one, "POSTAL_STATUS_CHANGED"), 60, "VNPost's callbacks")
    _push(portal, ev.accepted(1), ev.step(1), ev.result_ready(1, "POSTAL"),
          ev.step(2), ev.result_ready(2, "ONLINE"), ev.stopped(3))  # fmt: skip
    signer.publish(DOSSIER_EVENTS, [(one, ev.result_signed(1)), (two, ev.result_signed(2))])
    _push(portal, ev.returned(2))
    _wait(lambda: len(topics.postal_waybills(one)) >= 2, 60, "the delivery order from the outbox")
    vnpost.advance_all(until_final=True)
    _wait(lambda: topics.dossier_events(one, "RESULT_RETURNED"), 60, "the result delivered")
    _wait(lambda: topics.dossier_events(three, "PAYMENT_REFUNDED"), 60, "the refund")
    # 4: filed on the national portal, taken in
    national.file_dossier(_national_item(f"QG-{run_id}"))
    intake = NationalIntake(
        as_service(ps, "national-intake"), registry, NationalConfig(url=national.url)
    )
    try:
        report = intake.poll_once()
    finally:
        intake.close()
    console.print(f"national-portal intake: {report}")
    _show_postal(topics, one)
    refunded = topics.dossier_events(three, "PAYMENT_REFUNDED")[0]["payload"][1]
    console.print(f"{three}: processing stopped after payment -> refund "
                  f"{refunded['refund_reference']} of {refunded['amount_vnd']:,} VND confirmed by "
                  f"{refunded['provider']}")  # fmt: skip


def _created(topics: Topics, dossier_id: str) -> dict[str, Any] | None:
    payment = topics.payment(dossier_id)
    return payment if payment and payment.get("payment_url") else None


def _national_item(code: str) -> dict[str, Any]:
    filed = datetime.now(VN_TZ) - timedelta(hours=1)
    return {
        "MaHoSo": code, "MaTTHC": _BUILDING.code, "TenTTHC": _BUILDING.name,
        "DonViXuLy": _BUILDING.agency_code, "TrangThai": "new",
        "NgayNop": f"{filed:%Y%m%d%H%M%S}", "NgayTiepNhan": f"{filed:%Y%m%d%H%M%S}",
        "ChuHoSo": {"HoTen": "Nguyễn Văn An", "LoaiDoiTuong": 1, "SoGiayTo": "001203004567",
                    "SoDienThoai": "0912345678",
                    "DiaChi": {"DiaChiChiTiet": "12 Lê Lợi", "PhuongXa": "Mỹ Bình",
                               "TinhThanh": "An Giang"}},
    }  # fmt: skip


def _show_postal(topics: Topics, dossier_id: str) -> None:
    table = Table("direction", "waybill (UPU S10)", "COD VND", "tracked (VNPost callbacks)")
    created = topics.dossier_events(dossier_id, "POSTAL_ORDER_CREATED")
    changes = topics.dossier_events(dossier_id, "POSTAL_STATUS_CHANGED")
    for order in created:
        p = order["payload"][1]
        statuses = [c["payload"][1]["status"] for c in changes
                    if c["payload"][1]["waybill_number"] == p["waybill_number"]]  # fmt: skip
        table.add_row(p["direction"], p["waybill_number"], f"{p['cod_amount_vnd']:,}",
                      " -> ".join(statuses))  # fmt: skip
    console.print(f"{dossier_id}: postal intake and return (QĐ 45/2016)")
    console.print(table)


def _settled(topics: Topics, national: NationalPortalSimulator, emc: EmcSimulator) -> bool:
    # quiet: no command left without an outcome for two reads in a row
    first = len(topics.outcome_records())
    time.sleep(1.5)
    return first > 0 and len(topics.outcome_records()) == first


def _show_counts(topics: Topics, specs: dict[str, PartnerSpec], sims: dict[str, Any],
                 national: NationalPortalSimulator, emc: EmcSimulator) -> None:  # fmt: skip
    outcomes = topics.outcome_records()
    by = Counter((o["partner"], f"{o['command_type']} {o['outcome']}") for o in outcomes)
    table = Table("partner", "outcomes", "what the simulator received")
    for partner, partner_spec in specs.items():
        kinds = ", ".join(f"{o}: {n}" for (p, o), n in sorted(by.items()) if p == partner)
        table.add_row(partner, kinds, partner_spec.workload.received(sims[partner]).detail)
    console.print(table)
    statuses = Table("dossier", "TrangThai synced to the national portal, in order", "EMC records")
    for dossier in sorted({o["dossier_id"] for o in outcomes}):
        codes = national.statuses(dossier)
        statuses.add_row(dossier, " -> ".join(map(str, codes)), str(len(emc.received(dossier))))
    console.print(statuses)


def _show_reconciliation(ps: Settings, paygov: PaygovSimulator, run_id: str) -> None:
    from hub.payments import render_report, run_reconciliation

    day = datetime.now(VN_TZ).date()
    paygov.add_unknown_payment(f"XX{run_id}-FOREIGN", 50_000)  # paid at the provider only
    with tempfile.TemporaryDirectory() as folder:
        path = paygov.write_reconciliation(day, Path(folder))
        report = run_reconciliation(ps, day, "paygov", path)
    console.print(f"reconciliation of paygov's file for {day} (dvchub report reconciliation):")
    out = io.StringIO()
    render_report(report, "table", out)
    console.print(out.getvalue().rstrip())
