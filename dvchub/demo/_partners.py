"""Demo section: the partners, each a real simulator speaking its protocol, wired through the
hub; what each shows is its spec's demo part (``connectors.partners``, ``PartnerSpec.demo``).

On its own topic prefix (``<prefix>partners-demo.<run>.``, so the other sections' thousands of
events are not sent to partners): the routing and payments processors and an outbox worker per
partner run as processes. For each spec with a demo part, in ``NAMES`` order: the endpoint its
simulator calls (``CallsHub``: VNPost's callbacks, the payment IPN) served over HTTPS with mutual
TLS by a CA of the partner's own, then its simulator; then each story told through a ``Stage``
(VNPost: a dossier by post both ways; the national portal: a dossier filed there taken in by
the intake; payments: fees paid by IPN and by status query, a refund, the reconciliation).
Last, what each simulator received, and a line per dossier from the parts that have one.
"""

from __future__ import annotations

import hashlib
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager, ExitStack
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar, cast

from fastapi import FastAPI
from rich.table import Table

from connectors.common import (
    AckedPublisher,
    Event,
)
from connectors.partners import all_specs
from connectors.portal.client import portal_item
from dvchub.demo._chain import READY_TIMEOUT_S, Shown, start_chain
from dvchub.demo._console import console
from dvchub.demo._evidence import evidence_recorded, show_evidence
from dvchub.demo._lifecycle import RunningPortal
from dvchub.demo._servers import demo_pki, serving
from hub import kafka
from hub.events import new_event
from hub.records import PartnerOutcome, Payment, PaymentState
from hub.sample import PROCEDURES, catalog_entry
from hub.serde import AvroSerde, RegistryClient, serde_for
from hub.settings import REPO_ROOT, Settings
from hub.stack import as_service, services_granted
from hub.topics import DOSSIER_EVENTS, PARTNER_OUTCOMES, PAYMENTS, TopicSpec

DEMO_DIR = REPO_ROOT / ".cache" / "demo"
#: Seconds after a payment request the payments worker asks the provider, if no callback came.
QUERY_AFTER_S = 15
T = TypeVar("T")

_BUILDING = next(p for p in PROCEDURES if p.code == "1.001612")  # 75,000 VND, full online
_RECORD = next(p for p in PROCEDURES if p.code == "1.004227")  # 200,000 VND
_RESULT = {"document_id": "giay-phep", "name": "Giấy phép xây dựng.pdf",
           "media_type": "application/pdf", "sha256": hashlib.sha256(b"result").hexdigest(),
           "size_bytes": 6}  # fmt: skip
_SUPPLEMENT = {"document_id": "cccd-chung-thuc", "name": "Bản sao chứng thực CCCD.pdf",
               "media_type": "application/pdf",
               "sha256": hashlib.sha256(b"supplement").hexdigest(), "size_bytes": 10}  # fmt: skip
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


#: The partner dossiers' applicants consent to notifications, each with a channel order (by
#: dossier number modulo 3): Zalo alone from a number with no Zalo account (the simulator's
#: 090999 prefix), which falls back to SMS; Zalo then SMS; e-mail.
_CONTACTS = (
    {"phone": "0909991234", "email": None, "notify_channels": ["ZNS"]},
    {"phone": "0913456789", "email": None, "notify_channels": ["ZNS", "SMS"]},
    {"phone": "0913456789", "email": "tran.thi.mai@example.vn", "notify_channels": ["EMAIL"]},
)


class Events:
    """This section's events, built like the one-stop system would send them."""

    def __init__(self, run_id: str, *, notify: bool = True) -> None:
        self.run_id = run_id
        self.minute = 0
        #: whether the applicants consent to notifications (a chain without the notify outbox
        #: would leave their commands without an outcome)
        self.notify = notify

    def dossier_id(self, n: int) -> str:
        return f"PT-{self.run_id}-{n}"

    def at(self) -> datetime:
        self.minute += 1
        return datetime.now(UTC) - timedelta(minutes=30) + timedelta(seconds=10 * self.minute)

    def event(self, n: int, name: str, payload: Mapping[str, object], actor: bool = True) -> Event:
        procedure = _BUILDING if n == 1 else _RECORD
        who = {**(_HANDLER if name != "DossierAccepted" else _DESK),
               "agency_code": procedure.agency_code} if actor else None  # fmt: skip
        return new_event(self.dossier_id(n), name, payload, source="PROVINCIAL_PORTAL",
                         occurred_at=self.at(), actor=who)  # fmt: skip

    def submitted(self, n: int, channel: str, postal: bool) -> Event:
        procedure = _BUILDING if n == 1 else _RECORD
        applicant = {
            "kind": "CITIZEN", "full_name": "Trần Thị Mai", "id_number": "089301004512",
            "address": {"line": "25 Hai Bà Trưng", "ward": "Mỹ Long", "district": "Long Xuyên",
                        "province": "An Giang"},
            "notify_consent": self.notify, **_CONTACTS[n % len(_CONTACTS)],
        }  # fmt: skip
        return self.event(n, "DossierSubmitted", {
            "procedure_code": procedure.code, "procedure_name": procedure.name,
            "agency_code": procedure.agency_code, "channel": channel, "applicant": applicant,
            "postal_intake": postal, "postal_return": postal, "from_national_portal": False,
            "national_dossier_code": None, "documents": [],
        }, actor=False)  # fmt: skip

    def accepted(self, n: int) -> Event:
        procedure = _BUILDING if n == 1 else _RECORD
        return self.event(n, "DossierAccepted", {"appointment_at": None, "level": "FULL_ONLINE",
                          "deadline_working_days": procedure.deadline_days})  # fmt: skip

    def step(self, n: int) -> Event:
        return self.event(n, "ProcessingStepRecorded", {
            "kind": "STARTED", "content": "Thụ lý hồ sơ", "to_department": _HANDLER["department"],
            "to_agency_code": None, "step_due_at": None})  # fmt: skip

    def supplement_requested(self, n: int) -> Event:
        return self.event(n, "SupplementRequested", {
            "reason": "Bản sao giấy tờ chưa được chứng thực",
            "requested_documents": ["Bản sao chứng thực CCCD"], "respond_by": None})  # fmt: skip

    def supplement_received(self, n: int) -> Event:
        return self.event(n, "SupplementReceived", {"documents": [_SUPPLEMENT]})

    def apology(self, n: int) -> Event:
        new_date = datetime.now(UTC) + timedelta(days=30)
        return self.event(n, "ApologyIssued", {
            "reason": "Cần xác minh thêm với cơ quan liên quan", "new_appointment_at": new_date,
            "letter": None})  # fmt: skip

    def fee_requested(self, n: int) -> Event:
        fee = {"code": "LP-01", "name": "Lệ phí", "kind": "CHARGE", "amount_vnd": _RECORD.fee_vnd}
        return self.event(n, "FeeRequested", {"fee_lines": [fee], "total_vnd": _RECORD.fee_vnd,
                                               "due_at": None})  # fmt: skip

    def result_ready(self, n: int, channel: str) -> Event:
        return self.event(n, "ResultReady", {"decision_number": f"{n}/QĐ-UBND",
                          "documents": [_RESULT], "return_channel": channel})  # fmt: skip

    def result_signed(self, n: int) -> Event:
        """What the signing processor emits once it signed the result (the signing section
        shows the signing itself)."""
        digest = hashlib.sha256(b"signed").hexdigest()
        payload = {"document_id": _RESULT["document_id"], "original_sha256": _RESULT["sha256"],
                   "signed_sha256": digest, "signer_certificate_sha256": digest,
                   "signer_subject": "CN=UBND TP Long Xuyen", "signature_level": "PADES_B_T",
                   "timestamp_at": None}  # fmt: skip
        return new_event(self.dossier_id(n), "ResultSigned", payload, source="SIGNING",
                         occurred_at=self.at())  # fmt: skip

    def returned(self, n: int) -> Event:
        return self.event(n, "ResultReturned", {"return_channel": "ONLINE",
                                                "waybill_number": None})  # fmt: skip

    def stopped(self, n: int) -> Event:
        return self.event(n, "ProcessingStopped", {"reason": "Công dân đề nghị dừng xử lý"})


class Topics:
    """Reads this section's topics back (decoded)."""

    def __init__(self, settings: Settings, registry: RegistryClient) -> None:
        self.settings = settings
        self._registry = registry
        self.events = serde_for(DOSSIER_EVENTS, settings.topic_prefix, registry)
        self._serdes: dict[str, AvroSerde] = {DOSSIER_EVENTS.suffix: self.events}

    def read(self, spec: TopicSpec) -> list[dict[str, Any]]:
        serde = self._serdes.get(spec.suffix)
        if serde is None:
            serde = self._serdes[spec.suffix] = serde_for(spec, self.settings.topic_prefix,
                                                          self._registry)  # fmt: skip
        records = kafka.read_to_end(self.settings, spec.name(self.settings.topic_prefix))
        return [serde.decode(r.value) for r in records if r.value]

    def dossier_events(self, dossier_id: str, event_type: str | None = None) -> list[Event]:
        events = self.read(DOSSIER_EVENTS)
        return [
            e for e in events
            if e["dossier_id"] == dossier_id and event_type in (None, e["event_type"])
        ]  # fmt: skip

    def outcome_records(self) -> list[PartnerOutcome]:
        # The decoding boundary: ``partner.outcomes`` holds PartnerOutcome records.
        return cast(list[PartnerOutcome], self.read(PARTNER_OUTCOMES))

    def postal_waybills(self, dossier_id: str) -> list[str]:
        """Waybills of the orders the outbox created for the dossier (its outcomes: what the
        VNPost callback endpoint accepts callbacks for)."""
        return [str(o["partner_reference"]) for o in self.outcome_records()
                if o["dossier_id"] == dossier_id and o["command_type"] == "POSTAL_ORDER"
                and o["partner"] == "vnpost" and o["outcome"] == "ACCEPTED"]  # fmt: skip

    def payment(self, dossier_id: str) -> Payment | None:
        decoded = cast(list[PaymentState], self.read(PAYMENTS))
        states = [s for s in decoded if s["dossier_id"] == dossier_id]
        return states[-1]["payments"][-1] if states and states[-1]["payments"] else None


@dataclass
class DemoStage:
    """The ``Stage`` the partners' stories are told on (``connectors.common.Stage``)."""

    run_id: str
    settings: Settings
    registry: RegistryClient
    sample: Events
    portal: RunningPortal
    topics: Topics
    signer: AckedPublisher

    def push(self, *events: Event) -> None:
        try:
            list(self.portal.client.push_all(portal_item(e) for e in events))
        except Exception as exc:
            raise RuntimeError(getattr(exc, "body", exc)) from exc

    def publish(self, *events: Event) -> None:
        self.signer.publish(DOSSIER_EVENTS, [(e["dossier_id"], e) for e in events])

    def read(self, spec: TopicSpec) -> list[dict[str, Any]]:
        return self.topics.read(spec)

    def events(self, dossier_id: str, event_type: str | None = None) -> list[Event]:
        return self.topics.dossier_events(dossier_id, event_type)

    def wait(self, check: Callable[[], T | None], timeout_s: float, what: str) -> T:
        return _wait(check, timeout_s, what)

    def serve(
        self, inbound: str, app: Callable[[Settings], FastAPI]
    ) -> AbstractContextManager[str]:
        return serving(app(as_service(self.settings, inbound)), inbound, demo_pki().tls())

    def say(self, text: str) -> None:
        console.print(text)

    def table(self, header: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
        table = Table(*header)
        for row in rows:
            table.add_row(*row)
        console.print(table)


def show_partners(settings: Settings, registry: RegistryClient, run_id: str) -> None:
    parts = [s.demo.title for s in all_specs() if s.demo is not None]
    console.rule(f"[bold]Partners: {', '.join(parts)}, via the outbox")
    prefix = f"{settings.topic_prefix}partners-demo.{run_id}."
    ps = settings.model_copy(update={"topic_prefix": prefix})
    with ExitStack() as stack:
        # The services' ACLs cover the stack's prefix; this section's is granted for its run.
        stack.enter_context(services_granted(settings, prefix))
        evidence = stack.enter_context(evidence_recorded(run_id))  # before anything records
        # status queries QUERY_AFTER_S after a request with no callback (15 min in life)
        chain = start_chain(stack, ps, registry, DEMO_DIR, query_after_s=QUERY_AFTER_S,
                            catalogue=((p.code, catalog_entry(p)) for p in PROCEDURES))  # fmt: skip
        shown, portal = chain.shown, chain.portal
        sims = ", ".join(f"{s.part.title} {s.sim.url}" for s in shown)
        console.print(f"simulators: {sims}; routing, payments, an outbox per partner "
                      f"(logs in {DEMO_DIR})")  # fmt: skip
        topics = Topics(ps, registry)
        signer = AckedPublisher(ps, registry, client_id="dvchub-demo-signing")
        stack.callback(signer.close)
        stage = DemoStage(run_id, ps, registry, Events(run_id), portal, topics, signer)
        for s in shown:
            if s.part.story is not None:
                s.part.story(stage, s.sim)
        _wait(lambda: _settled(topics), READY_TIMEOUT_S, "every command's outcome")
        _show_counts(topics, shown)
        show_evidence(ps, evidence)


def _settled(topics: Topics) -> bool:
    # quiet: no command left without an outcome for two reads in a row
    first = len(topics.outcome_records())
    time.sleep(1.5)
    return first > 0 and len(topics.outcome_records()) == first


def _show_counts(topics: Topics, shown: Sequence[Shown]) -> None:
    outcomes = topics.outcome_records()
    by = Counter((o["partner"], f"{o['command_type']} {o['outcome']}") for o in outcomes)
    table = Table("partner", "outcomes", "what the simulator received")
    for s in shown:
        kinds = ", ".join(f"{o}: {n}" for (p, o), n in sorted(by.items()) if p == s.spec.name)
        table.add_row(s.part.title, kinds, s.spec.workload.received(s.sim).detail)
    console.print(table)
    columns = [(s.sim, s.part.per_dossier) for s in shown if s.part.per_dossier is not None]
    if not columns:
        return
    per_dossier = Table("dossier", *(header for _, (header, _) in columns))
    for dossier in sorted({o["dossier_id"] for o in outcomes}):
        per_dossier.add_row(dossier, *(line(sim, dossier) for sim, (_, line) in columns))
    console.print(per_dossier)
