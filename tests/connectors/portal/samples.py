"""Valid portal JSON items of every event type, and a valid catalogue entry."""

from __future__ import annotations

import copy
import hashlib
import uuid
from typing import Any

DOSSIER = "UBND-LX-250303-000042"
DOC = {
    "document_id": "don-de-nghi",
    "name": "Đơn đề nghị cấp phép.pdf",
    "media_type": "application/pdf",
    "sha256": hashlib.sha256(b"don de nghi").hexdigest(),
    "size_bytes": 48_213,
    "reused_from": None,
}
#: A component taken from the results store: a result the agency issued and signed before.
REUSED = {
    **DOC,
    "document_id": "giay-phep-cu",
    "name": "Giấy phép xây dựng 2024.pdf",
    "sha256": hashlib.sha256(b"giay phep 2024").hexdigest(),
    "reused_from": {"dossier_id": "UBND-LX-240105-000007", "document_id": "giay-phep"},
}
DESK = {
    "official_id": "cb-0012",
    "official_name": "Lâm Thị Thu",
    "title": "Chuyên viên",
    "department": "Bộ phận Một cửa",
    "agency_code": "UBND-LX",
}

PAYLOADS: dict[str, dict[str, Any]] = {
    "DossierSubmitted": {
        "procedure_code": "1.001612",
        "procedure_name": "Cấp giấy phép xây dựng nhà ở riêng lẻ",
        "agency_code": "UBND-LX",
        "receiving_desk": "MC-CHOMOI",  # filed at another desk of the province
        "channel": "POSTAL",
        "applicant": {
            "kind": "CITIZEN",
            "full_name": "Nguyễn Văn An",
            "id_number": "089123456789",
            "phone": "0912345678",
            "email": "an.nguyen@example.vn",
            "address": {
                "line": "12 Trần Hưng Đạo",
                "ward": "Mỹ Xuyên",
                "district": "Long Xuyên",
                "province": "An Giang",
            },
            "notify_channels": ["ZNS", "EMAIL"],
            "notify_consent": True,
        },
        "postal_intake": True,
        "postal_return": True,
        "from_national_portal": True,
        "national_dossier_code": "G22.99-250303-0001",
        "documents": [DOC, REUSED],
    },
    "DossierAccepted": {
        "appointment_at": "2025-03-24T16:00:00+07:00",
        "deadline_working_days": 15,
        "level": "FULL_ONLINE",
    },
    "DossierRefused": {"reason": "Hồ sơ không thuộc thẩm quyền giải quyết"},
    "ProcessingStepRecorded": {
        "kind": "TRANSFERRED",
        "content": "Chuyển phòng Quản lý đô thị thẩm định",
        "to_department": "Phòng Quản lý đô thị",
        "to_agency_code": None,
        "step_due_at": "2025-03-10T17:00:00+07:00",
    },
    "SupplementRequested": {
        "reason": "Thiếu bản vẽ thiết kế",
        "requested_documents": ["Bản vẽ mặt bằng", "Bản vẽ mặt cắt"],
        "respond_by": "2025-03-20T17:00:00+07:00",
    },
    "SupplementReceived": {"documents": [{**DOC, "document_id": "ban-ve", "name": "Bản vẽ.pdf"}]},
    "FeeRequested": {
        "fee_lines": [
            {
                "code": "LP-XD",
                "name": "Lệ phí cấp giấy phép xây dựng",
                "kind": "CHARGE",
                "amount_vnd": 75_000,
            },
            {"code": "PHI-TD", "name": "Phí thẩm định", "kind": "FEE", "amount_vnd": 0},
        ],
        "total_vnd": 75_000,
        "due_at": "2025-03-05T17:00:00+07:00",
    },
    "FeePaid": {
        "payment_reference": "PAY-250303-0042",
        "amount_vnd": 75_000,
        "method": "NATIONAL_PAYMENT_PLATFORM",
        "provider": "PAYGOV",
        "provider_transaction_id": "TX123456789",
    },
    "DossierWithdrawn": {"reason": "Công dân rút hồ sơ"},
    "ProcessingStopped": {"reason": "Công dân không bổ sung hồ sơ đúng hạn"},
    "ResultReady": {
        "decision_number": "42/QĐ-UBND",
        "documents": [{**DOC, "document_id": "ket-qua", "name": "Giấy phép.pdf"}],
        "return_channel": "POSTAL",
    },
    "ResultReturned": {"return_channel": "POSTAL", "waybill_number": "EE123456785VN"},
    "ApologyIssued": {
        "reason": "Cần lấy ý kiến cơ quan liên quan",
        "new_appointment_at": "2025-03-28T16:00:00+07:00",
        "letter": {**DOC, "document_id": "phieu-xin-loi", "name": "Phiếu xin lỗi.pdf"},
    },
    "ExplanationRecorded": {
        "unit_code": "UBND-LX-QLDT",
        "unit_name": "Phòng Quản lý đô thị",
        "official_id": "cb-0031",
        "official_name": "Phạm Văn Đức",
        "reason": "Chờ ý kiến thẩm định của Sở Xây dựng",
        "document_id": "bao-cao-giai-trinh",
        "sha256": hashlib.sha256(b"bao cao giai trinh").hexdigest(),
        "recorded_at": "2025-03-03T08:30:00+07:00",
    },
    "SatisfactionRated": {
        "attitude": 5,
        "time": 4,
        "publicity": 4,
        "fees": 5,
        "overall": 4,
        "channel": "PROVINCIAL_PORTAL",
        "official_id": "cb-0031",
        "comment": None,
    },
    # the transfer steps of the DossierSubmitted above (filed at MC-CHOMOI for UBND-LX)
    "DossierForwarded": {"desk_code": "MC-CHOMOI", "agency_code": "UBND-LX", "method": "POSTAL"},
    "DossierReceivedByAgency": {"agency_code": "UBND-LX"},
    "AgencyTransferred": {
        "from_agency_code": "UBND-LX",
        "to_agency_code": "SXD",
        "reason": "Công trình cấp II thuộc thẩm quyền Sở Xây dựng",
        "method": "POSTAL",
    },
    "ResultForwarded": {"agency_code": "SXD", "desk_code": "MC-CHOMOI", "method": "ELECTRONIC"},
    "ResultReceivedByDesk": {"desk_code": "MC-CHOMOI"},
}
TIME_FIELDS = {
    "occurred_at",
    "appointment_at",
    "step_due_at",
    "respond_by",
    "due_at",
    "new_appointment_at",
    "recorded_at",
}


def item(event_type: str = "DossierSubmitted", **envelope: Any) -> dict[str, Any]:
    """A fresh valid item of ``event_type`` (new event id); ``envelope`` overrides fields."""
    result: dict[str, Any] = {
        "event_id": str(uuid.uuid4()),
        "event_type": event_type,
        "dossier_id": DOSSIER,
        "occurred_at": "2025-03-03T09:15:30.250+07:00",
        "actor": dict(DESK),
        "correlation_id": f"corr-{DOSSIER}",
        "payload": copy.deepcopy(PAYLOADS[event_type]),
    }
    result.update(envelope)
    return result


def procedure(**overrides: Any) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "name": "Cấp giấy phép xây dựng nhà ở riêng lẻ",
        "agency_code": "UBND-LX",
        "agency_name": "UBND thành phố Long Xuyên",
        "agency_type": "DISTRICT",
        "level": "FULL_ONLINE",
        "deadline_working_days": 15,
        "fee_lines": [
            {
                "code": "LP-XD",
                "name": "Lệ phí cấp giấy phép xây dựng",
                "kind": "CHARGE",
                "amount_vnd": 75_000,
            }
        ],
        "fee_before_processing": True,
        "postal_allowed": True,
        "supplement_clock_policy": "PAUSE",
        "valid_from": "2025-01-01",
        "valid_to": None,
    }
    entry.update(overrides)
    return entry
