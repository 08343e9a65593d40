"""Helpers of the lifecycle tests: real producers, real consumers, real worker processes."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from hub import processing
from hub.events import new_event
from hub.kafka import make_producer, read_to_end
from hub.sample import PROCEDURES
from hub.serde import RegistryClient, serde_for
from hub.settings import Settings
from hub.topics import CATALOG_PROCEDURES, DEADLETTER, DOSSIER_EVENTS, DOSSIER_STATE


def procedure_record(code: str, agency: str = "STP", level: str = "FULL_ONLINE") -> dict[str, Any]:
    return {
        "procedure_code": code, "name": f"Thủ tục {code}", "agency_code": agency,
        "agency_name": None, "agency_type": "UNKNOWN", "level": level, "deadline_working_days": 5,
        "fee_lines": [], "fee_before_processing": False, "postal_allowed": True,
        "supplement_clock_policy": None, "valid_from": None, "valid_to": None,
        "updated_at": datetime(2025, 1, 1, tzinfo=UTC),
    }  # fmt: skip


def publish_catalog(
    settings: Settings, registry: RegistryClient, extra: Iterable[str] = ()
) -> None:
    """The sample procedures (and ``extra`` codes) on the catalogue topic."""
    serde = serde_for(CATALOG_PROCEDURES, settings.topic_prefix, registry)
    producer = make_producer(settings)
    records = [procedure_record(p.code, p.agency_code, p.level) for p in PROCEDURES]
    records += [procedure_record(code) for code in extra]
    for record in records:
        topic = CATALOG_PROCEDURES.name(settings.topic_prefix)
        producer.send(topic, key=record["procedure_code"].encode(), value=serde.encode(record))
    producer.flush()
    producer.close()


class EventProducer:
    """Produces DossierEvents (or raw bytes) keyed by dossier id."""

    def __init__(self, settings: Settings, registry: RegistryClient) -> None:
        self.topic = DOSSIER_EVENTS.name(settings.topic_prefix)
        self.serde = serde_for(DOSSIER_EVENTS, settings.topic_prefix, registry)
        self.producer = make_producer(settings)

    def send(self, events: Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
        sent = list(events)
        for event in sent:
            self.send_raw(str(event["dossier_id"]), self.serde.encode(event))
        self.producer.flush()
        return sent

    def send_raw(self, dossier_id: str, value: bytes) -> None:
        self.producer.send(self.topic, key=dossier_id.encode(), value=value)

    def flush(self) -> None:
        self.producer.flush(timeout=120)  # a bound: a test fails rather than hangs

    def close(self) -> None:
        self.producer.close(timeout=30)


T0 = datetime(2025, 3, 3, 2, 0, tzinfo=UTC)
DESK = {"official_id": "cb-1", "official_name": "Lâm Thị Thu", "title": "Chuyên viên",
        "department": "Bộ phận Một cửa", "agency_code": "STP"}  # fmt: skip


def payload_for(event_type: str, procedure_code: str = "1.004227") -> tuple[str, dict[str, Any]]:
    """A minimal valid payload of every event type (name, record)."""
    doc = {"document_id": "kq", "name": "KQ.pdf", "media_type": "application/pdf",
           "sha256": "ab" * 32, "size_bytes": 10}  # fmt: skip
    payloads: dict[str, tuple[str, dict[str, Any]]] = {
        "DOSSIER_SUBMITTED": ("DossierSubmitted", {
            "procedure_code": procedure_code, "procedure_name": None, "agency_code": "STP",
            "channel": "ONLINE", "applicant": {"kind": "CITIZEN", "full_name": "Nguyễn Văn An",
            "id_number": "001090000001", "phone": "0900000000", "email": None, "address": None},
            "postal_intake": False, "postal_return": True, "from_national_portal": False,
            "national_dossier_code": None, "documents": []}),
        "DOSSIER_ACCEPTED": ("DossierAccepted", {"appointment_at": None,
                             "deadline_working_days": 5, "level": "PARTIAL_ONLINE"}),
        "DOSSIER_REFUSED": ("DossierRefused", {"reason": "Không thuộc thẩm quyền"}),
        "PROCESSING_STEP_RECORDED": ("ProcessingStepRecorded", {"kind": "TRANSFERRED",
            "content": "Chuyển phòng", "to_department": "Phòng Hộ tịch", "to_agency_code": None,
            "step_due_at": None}),
        "SUPPLEMENT_REQUESTED": ("SupplementRequested", {"reason": "Thiếu giấy tờ",
                                 "requested_documents": ["Bản sao"], "respond_by": None}),
        "SUPPLEMENT_RECEIVED": ("SupplementReceived", {"documents": [doc]}),
        "FEE_REQUESTED": ("FeeRequested", {"fee_lines": [{"code": "LP", "name": "Lệ phí",
                          "kind": "CHARGE", "amount_vnd": 200_000}], "total_vnd": 200_000,
                          "due_at": None}),
        "FEE_PAID": ("FeePaid", {"payment_reference": "PAY-1", "amount_vnd": 200_000,
                     "method": "ONLINE_BANK", "provider": "VCB", "provider_transaction_id": "t1"}),
        "DOSSIER_WITHDRAWN": ("DossierWithdrawn", {"reason": "Rút hồ sơ"}),
        "PROCESSING_STOPPED": ("ProcessingStopped", {"reason": "Dừng"}),
        "RESULT_READY": ("ResultReady", {"decision_number": "12/QĐ", "documents": [doc],
                         "return_channel": "POSTAL"}),
        "RESULT_SIGNED": ("ResultSigned", {"document_id": "kq", "original_sha256": "ab" * 32,
            "signed_sha256": "cd" * 32, "signer_certificate_sha256": "ef" * 32,
            "signer_subject": "CN=STP", "signature_level": "UNKNOWN", "timestamp_at": None}),
        "RESULT_SIGNING_FAILED": ("ResultSigningFailed", {"document_id": "kq",
                                  "reason_code": "TSA_UNAVAILABLE", "reason": "TSA down"}),
        "RESULT_RETURNED": ("ResultReturned", {"return_channel": "POSTAL",
                            "waybill_number": "EE123456785VN"}),
        "APOLOGY_ISSUED": ("ApologyIssued", {"reason": "Quá tải",
                           "new_appointment_at": datetime(2025, 3, 20, 2, tzinfo=UTC),
                           "letter": None}),
        "POSTAL_ORDER_CREATED": ("PostalOrderCreated", {"direction": "RESULT_DELIVERY",
            "order_number": "HS1", "waybill_number": "EE123456785VN", "cod_amount_vnd": 0}),
        "POSTAL_STATUS_CHANGED": ("PostalStatusChanged", {"direction": "RESULT_DELIVERY",
            "waybill_number": "EE123456785VN", "status": "IN_TRANSIT", "location": "BC Long Xuyên",
            "note": None}),
        "PAYMENT_REQUEST_CREATED": ("PaymentRequestCreated", {"payment_reference": "PAY-1",
            "amount_vnd": 200_000, "payment_url": "https://pay.example/1", "provider": "VCB"}),
        "PAYMENT_FAILED": ("PaymentFailed", {"payment_reference": "PAY-1",
                           "reason_code": "DECLINED", "reason": "Declined"}),
        "NATIONAL_SYNC_COMPLETED": ("NationalSyncCompleted", {"service": "UNKNOWN",
                                    "status_synced": "SUBMITTED", "attempts": 1}),
        "NATIONAL_SYNC_FAILED": ("NationalSyncFailed", {"service": "UNKNOWN", "reason": "timeout",
                                 "attempts": 3, "will_retry": True}),
        "PAYMENT_REFUNDED": ("PaymentRefunded", {"payment_reference": "PAY-1",
                             "refund_reference": "PAY-1-R", "amount_vnd": 200_000,
                             "provider": "paygov", "provider_transaction_id": "T-9"}),
        "EXPLANATION_RECORDED": ("ExplanationRecorded", {"unit_code": "STP-HCTP",
            "unit_name": "Phòng Hành chính tư pháp", "official_id": "cb-07",
            "official_name": "Lê Thị Bình", "reason": "Thiếu cán bộ thụ lý",
            "document_id": "giai-trinh", "sha256": "12" * 32,
            "recorded_at": datetime(2025, 3, 20, 2, tzinfo=UTC)}),
        "DOSSIER_FORWARDED": ("DossierForwarded", {"desk_code": "MC-CHOMOI", "agency_code": "STP",
                              "method": "POSTAL"}),
        "DOSSIER_RECEIVED_BY_AGENCY": ("DossierReceivedByAgency", {"agency_code": "STP"}),
        "RESULT_FORWARDED": ("ResultForwarded", {"agency_code": "STP", "desk_code": "MC-CHOMOI",
                             "method": "POSTAL"}),
        "RESULT_RECEIVED_BY_DESK": ("ResultReceivedByDesk", {"desk_code": "MC-CHOMOI"}),
        "AGENCY_TRANSFERRED": ("AgencyTransferred", {"from_agency_code": "STP",
            "to_agency_code": "SXD", "reason": "Không thuộc thẩm quyền", "method": "ELECTRONIC"}),
        "SATISFACTION_RATED": ("SatisfactionRated", {"attitude": 5, "time": 4, "publicity": 4,
            "fees": 5, "overall": 4, "channel": "PROVINCIAL_PORTAL", "official_id": "cb-07",
            "comment": None}),
    }  # fmt: skip
    return payloads[event_type]


def make_event(dossier_id: str, event_type: str, n: int = 0, **kw: Any) -> dict[str, Any]:
    name, payload = payload_for(event_type, kw.pop("procedure_code", "1.004227"))
    source = kw.pop("source", "PROVINCIAL_PORTAL")
    actor = kw.pop("actor", DESK)
    at = T0 + timedelta(minutes=n)
    return new_event(dossier_id, name, payload, source=source, occurred_at=at, actor=actor, **kw)


def chain(dossier_id: str, *event_types: str, **kw: Any) -> list[dict[str, Any]]:
    return [make_event(dossier_id, t, i, **kw) for i, t in enumerate(event_types)]


def read_all(settings: Settings, topic: str) -> list[Any]:
    """Every record of ``topic`` up to its current end (kafka-python ConsumerRecords)."""
    return list(read_to_end(settings, topic, timeout_s=30))


def wait_until(check: Callable[[], Any], timeout_s: float = 60.0, every_s: float = 0.5) -> Any:
    deadline = time.monotonic() + timeout_s
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout_s}s: {check}")
        time.sleep(every_s)


class StateReader:
    """Latest decoded DossierState per dossier id from ``dossier.state``."""

    def __init__(
        self, settings: Settings, registry: RegistryClient, topic: str | None = None
    ) -> None:
        self.settings = settings
        self.topic = topic or DOSSIER_STATE.name(settings.topic_prefix)
        self.serde = serde_for(DOSSIER_STATE, settings.topic_prefix, registry)

    def latest(self) -> dict[str, dict[str, Any]]:
        return {
            r.key.decode(): self.serde.decode(r.value) for r in read_all(self.settings, self.topic)
        }

    def all_records(self) -> list[dict[str, Any]]:
        return [self.serde.decode(r.value) for r in read_all(self.settings, self.topic)]


def dead_letters(settings: Settings, registry: RegistryClient) -> list[dict[str, Any]]:
    serde = serde_for(DEADLETTER, settings.topic_prefix, registry)
    return [
        serde.decode(r.value) for r in read_all(settings, DEADLETTER.name(settings.topic_prefix))
    ]


class WorkerProcess(processing.WorkerProcess):
    """``python -m hub.processing worker lifecycle`` as a real OS process."""

    def __init__(self, settings: Settings, log_dir: Path, name: str = "w1") -> None:
        super().__init__(
            "lifecycle", settings, log_dir / f"{name}.log",
            args=("--session-timeout", "6", "--catalog-grace", "1.5"),
        )  # fmt: skip


_LIFECYCLE = 'processor="lifecycle"'
EVENTS = f"dvchub_processor_events_total{{{_LIFECYCLE}}}"
APPLIED = f'dvchub_processor_events_total{{{_LIFECYCLE},outcome="applied"}}'
DUPLICATES = f'dvchub_processor_events_total{{{_LIFECYCLE},outcome="duplicate"}}'
REFETCHED = f"dvchub_processor_refetched_total{{{_LIFECYCLE}}}"


def event_ids_by_dossier(events: Iterable[Mapping[str, Any]]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for event in events:
        out.setdefault(str(event["dossier_id"]), []).append(str(event["event_id"]))
    return out


def assert_exactly_applied(
    reader: StateReader, expected: Mapping[str, list[str]], timeout_s: float = 120.0
) -> dict[str, dict[str, Any]]:
    """Wait until every dossier has its events, then check: each applied once, in order, and
    every state record ever published is a prefix of that history (no fork, no rewind)."""

    def all_done() -> dict[str, dict[str, Any]] | None:
        latest = reader.latest()
        done = all(
            (s := latest.get(d)) is not None and s["version"] >= len(ids)
            for d, ids in expected.items()
        )
        return latest if done else None

    latest: dict[str, dict[str, Any]] = wait_until(all_done, timeout_s=timeout_s, every_s=1.0)
    for dossier_id, ids in expected.items():
        assert [h["event_id"] for h in latest[dossier_id]["history"]] == ids, dossier_id
        assert latest[dossier_id]["version"] == len(ids)
    for record in reader.all_records():
        ids = expected[record["dossier_id"]]
        assert [h["event_id"] for h in record["history"]] == ids[: record["version"]]
    return latest
