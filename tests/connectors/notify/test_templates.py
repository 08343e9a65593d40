"""The Vietnamese messages of each step, and what an SMS costs: GSM-7 and UCS-2 segments, each
expected count worked out by hand in the comment beside it (pure: no server)."""

from __future__ import annotations

import unicodedata
from datetime import UTC, datetime
from typing import Any

import pytest

from connectors.notify import (
    STEPS,
    ZNS_PARAMS,
    Contact,
    Notification,
    Segments,
    Step,
    render,
    segments,
    strip_diacritics,
)
from connectors.outbox import Command

DOSSIER = "000.00.22.H01-260302-00001"
CONTACT = Contact("Nguyễn Văn An", "0912345678", "an@example.vn", ("ZNS", "SMS"))
# 10:00 on 9 March in Vietnam, 03:00 UTC; 23:30 UTC on 9 March is already the 10th there
APPOINTMENT = datetime(2026, 3, 9, 3, 0, tzinfo=UTC)
LATE_EVENING = datetime(2026, 3, 9, 23, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", Segments("GSM7", 0, 1)),
        ("Ho so da duoc tiep nhan", Segments("GSM7", 23, 1)),
        ("a" * 160, Segments("GSM7", 160, 1)),  # the single-message limit
        ("a" * 161, Segments("GSM7", 161, 2)),  # 153 + 8
        ("a" * 306, Segments("GSM7", 306, 2)),  # 153 + 153
        ("a" * 307, Segments("GSM7", 307, 3)),
        ("€" * 80, Segments("GSM7", 160, 1)),  # an extension character is two septets
        # 152 septets of "a", then the first € would make 154: it opens the second segment,
        # which holds 76 € (152), and the 77th opens a third (naive ceil(306 / 153) says 2)
        ("a" * 152 + "€" * 77, Segments("GSM7", 306, 3)),
        ("Hồ sơ đã được tiếp nhận", Segments("UCS2", 23, 1)),  # one diacritic: all UCS-2
        ("ồ" * 70, Segments("UCS2", 70, 1)),
        ("ồ" * 71, Segments("UCS2", 71, 2)),  # 67 + 4
        ("ồ" * 134, Segments("UCS2", 134, 2)),  # 67 + 67
        ("ồ" * 135, Segments("UCS2", 135, 3)),
        # an emoji is a surrogate pair (2 units), never split: 66, then 2 + 65, then 1
        ("ồ" * 66 + "😀" + "ồ" * 66, Segments("UCS2", 134, 3)),
        ("a" * 100 + "ă", Segments("UCS2", 101, 2)),  # one "ă" turns 101 septets into UCS-2
    ],
)
def test_segments(text: str, expected: Segments) -> None:
    assert segments(text) == expected


def test_unaccented_vietnamese_is_gsm7() -> None:
    text = "Hồ sơ đã được tiếp nhận. Đề nghị nộp phí, lệ phí"
    assert strip_diacritics(text) == "Ho so da duoc tiep nhan. De nghi nop phi, le phi"
    assert segments(strip_diacritics(text)).encoding == "GSM7"


def notification(step: Step, **data: Any) -> Notification:
    return Notification(DOSSIER, step, "Cấp phiếu lý lịch tư pháp", "Sở Tư pháp", CONTACT, **data)


CASES: dict[Step, tuple[dict[str, Any], str]] = {
    "RECEIVED": (
        {"appointment_at": APPOINTMENT},
        f"Hồ sơ {DOSSIER} (Cấp phiếu lý lịch tư pháp) đã được tiếp nhận. "
        "Ngày hẹn trả kết quả: 09/03/2026.",
    ),
    "SUPPLEMENT_REQUESTED": (
        {
            "missing_items": ("Bản sao CCCD", "Tờ khai"),
            "reason": "Thiếu giấy tờ",
            "respond_by_at": LATE_EVENING,
        },
        f"Hồ sơ {DOSSIER} cần bổ sung: Bản sao CCCD; Tờ khai. Lý do: Thiếu giấy tờ. "
        "Hạn bổ sung: 10/03/2026.",
    ),
    "FEE_REQUESTED": (
        {"amount_vnd": 1_250_000, "payment_url": "https://pay.example.vn/p/1"},
        f"Hồ sơ {DOSSIER}: đề nghị nộp phí, lệ phí 1.250.000 đồng tại https://pay.example.vn/p/1",
    ),
    "RESULT_READY": (
        {"return_channel": "POSTAL"},
        f"Hồ sơ {DOSSIER} đã có kết quả, sẽ được chuyển phát qua bưu chính đến địa chỉ của Ông/Bà.",
    ),
    "APOLOGY": (
        {"reason": "Chờ ý kiến liên ngành", "new_appointment_at": APPOINTMENT},
        f"Sở Tư pháp xin lỗi vì hồ sơ {DOSSIER} chậm trả kết quả. Lý do: Chờ ý kiến liên "
        "ngành. Ngày hẹn trả mới: 09/03/2026.",
    ),
    "RESULT_RETURNED": (
        {"return_channel": "POSTAL", "waybill_number": "EA123456785VN"},
        f"Hồ sơ {DOSSIER} đã được trả kết quả qua bưu chính, mã vận đơn EA123456785VN. "
        "Xin cảm ơn Ông/Bà.",
    ),
}


def test_every_step_has_a_case() -> None:
    assert set(CASES) == set(STEPS)


@pytest.mark.parametrize("step", sorted(CASES))
def test_each_step_in_vietnamese_on_every_channel(step: Step) -> None:
    data, sms = CASES[step]
    rendered = render(notification(step, **data), free_text_chars=60)
    assert rendered.sms == sms
    assert set(rendered.zns_data) == set(ZNS_PARAMS[step])
    assert rendered.zns_data["customer_name"] == "Nguyễn Văn An"
    assert rendered.zns_data["dossier_code"] == DOSSIER
    assert DOSSIER in rendered.subject
    assert rendered.body.startswith("Kính gửi Ông/Bà Nguyễn Văn An,\n\n" + sms)


def test_the_received_sms_costs_two_ucs2_segments_or_one_unaccented() -> None:
    sms = render(notification("RECEIVED", appointment_at=APPOINTMENT), free_text_chars=60).sms
    # 113 characters, diacritics: UCS-2, over 70 -> 67 + 46; unaccented: GSM-7, under 160
    assert segments(sms) == Segments("UCS2", 113, 2)
    assert segments(strip_diacritics(sms)) == Segments("GSM7", 113, 1)


def test_ready_at_the_desk_and_online() -> None:
    desk = render(notification("RESULT_READY", return_channel="DESK"), free_text_chars=60)
    assert desk.sms.endswith("mời Ông/Bà đến Bộ phận Một cửa để nhận.")
    online = render(notification("RESULT_READY", return_channel="ONLINE"), free_text_chars=60)
    assert online.sms.endswith("Ông/Bà nhận kết quả điện tử trên Cổng dịch vụ công.")


def test_free_text_is_cut_and_the_name_fits_zns() -> None:
    long_name = Contact("Công ty TNHH Thương mại Dịch vụ Xây dựng An Giang", None, None, ("SMS",))
    n = Notification(DOSSIER, "APOLOGY", None, "Sở Xây dựng", long_name,
                     reason="x" * 100, new_appointment_at=APPOINTMENT)  # fmt: skip
    rendered = render(n, free_text_chars=20)
    assert rendered.zns_data["reason"] == "x" * 19 + "…"
    assert len(rendered.zns_data["customer_name"]) == 30
    assert "x" * 20 not in rendered.sms


def test_decomposed_input_is_sent_composed() -> None:
    decomposed = unicodedata.normalize("NFD", "Tờ khai")  # "ờ" as o + two combining marks
    assert len(decomposed) == 9
    n = notification("SUPPLEMENT_REQUESTED", missing_items=(decomposed,), reason="r")
    sms = render(n, free_text_chars=60).sms
    assert "Tờ khai" in sms
    assert segments(sms).units == len(unicodedata.normalize("NFC", sms))


def test_a_command_decodes_and_its_repr_hides_the_contact() -> None:
    command = Command(
        command_id="c1", command_type="CITIZEN_NOTIFICATION", dossier_id=DOSSIER,
        idempotency_key="k1", created_at=APPOINTMENT, correlation_id=DOSSIER, causation_id=None,
        payload_name="CitizenNotification",
        payload={"step": "FEE_REQUESTED", "procedure_name": None, "agency_name": None,
                 "contact": {"name": "Nguyễn Văn An", "phone": "0912345678",
                             "email": "an@example.vn", "channels": ["ZNS", "SMS"]},
                 "data": {"amount_vnd": 5, "payment_url": "u", "return_channel": "UNKNOWN"}},
    )  # fmt: skip
    n = Notification.of_command(command)
    assert (n.step, n.amount_vnd, n.contact.channels) == ("FEE_REQUESTED", 5, ("ZNS", "SMS"))
    shown = repr(n)
    assert "0912345678" not in shown
    assert "an@example.vn" not in shown
    assert "Nguyễn Văn An" not in shown
    bad = Command(**{**command.__dict__, "payload": {**command.payload, "step": "UNKNOWN"}})
    with pytest.raises(ValueError, match="no template"):
        Notification.of_command(bad)
