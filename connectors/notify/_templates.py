"""The Vietnamese messages of each step, for every channel, rendered here and nowhere else.

Per step: an SMS text (short: the dossier number, the one fact, the date or link), the ZNS
template's parameters (``ZNS_PARAMS``: the names a template registered with Zalo declares; the
template ids per step are the gateway's configuration) and an e-mail (subject and body, which
address the applicant by name). Dates are the Vietnam calendar day (``dd/mm/yyyy``), amounts in
đồng with ``.`` between thousands (``150.000 đồng``). Free text from officials (a reason, the
documents missing) is cut to ``free_text_chars`` in SMS and ZNS, whose lengths are limited, and
the name to ZNS's limit of its customer-name parameter.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from connectors.common import VIETNAM
from connectors.notify._notification import Notification, Step
from connectors.notify._wire import ZNS_NAME_MAX

#: ZNS template parameters per step (every value a string).
ZNS_PARAMS: Final[Mapping[Step, tuple[str, ...]]] = {
    "RECEIVED": ("customer_name", "dossier_code", "procedure", "appointment_date"),
    "SUPPLEMENT_REQUESTED": ("customer_name", "dossier_code", "missing", "reason", "respond_by"),
    "FEE_REQUESTED": ("customer_name", "dossier_code", "amount", "payment_link"),
    "RESULT_READY": ("customer_name", "dossier_code", "how"),
    "APOLOGY": ("customer_name", "dossier_code", "agency", "reason", "new_date"),
    "RESULT_RETURNED": ("customer_name", "dossier_code", "how"),
}
_ELLIPSIS = "…"
_AUTOMATIC = "Đây là thư tự động từ hệ thống một cửa điện tử, xin vui lòng không trả lời."


@dataclass(frozen=True)
class Rendered:
    sms: str
    zns_data: Mapping[str, str]
    subject: str
    body: str


def day(moment: datetime | None) -> str:
    """``dd/mm/yyyy`` in Vietnam, or a placeholder the message still reads with."""
    return (
        "(sẽ thông báo sau)" if moment is None else moment.astimezone(VIETNAM).strftime("%d/%m/%Y")
    )


def money(amount_vnd: int | None) -> str:
    return f"{amount_vnd or 0:,}".replace(",", ".") + " đồng"


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: max(0, limit - 1)] + _ELLIPSIS


def _how_ready(n: Notification) -> str:
    return {
        "POSTAL": "sẽ được chuyển phát qua bưu chính đến địa chỉ của Ông/Bà",
        "DESK": "mời Ông/Bà đến Bộ phận Một cửa để nhận",
    }.get(n.return_channel, "Ông/Bà nhận kết quả điện tử trên Cổng dịch vụ công")


def _how_returned(n: Notification) -> str:
    if n.return_channel == "POSTAL":
        waybill = f", mã vận đơn {n.waybill_number}" if n.waybill_number else ""
        return f"qua bưu chính{waybill}"
    return {"DESK": "tại Bộ phận Một cửa"}.get(n.return_channel, "trực tuyến")


# Each step: its facts (the ZNS parameters after name and dossier code), its SMS sentence and
# its e-mail subject; the e-mail body is the SMS sentence addressed to the applicant by name.
_Facts = Callable[[Notification, int], dict[str, str]]


def _received(n: Notification, cut: int) -> dict[str, str]:
    return {"procedure": _cut(n.procedure_name or "thủ tục hành chính", cut),
            "appointment_date": day(n.appointment_at)}  # fmt: skip


def _supplement(n: Notification, cut: int) -> dict[str, str]:
    missing = "; ".join(n.missing_items) or "giấy tờ theo yêu cầu"
    return {"missing": _cut(missing, cut), "reason": _cut(n.reason or "", cut),
            "respond_by": day(n.respond_by_at)}  # fmt: skip


def _fee(n: Notification, cut: int) -> dict[str, str]:
    return {"amount": money(n.amount_vnd), "payment_link": n.payment_url or ""}


def _ready(n: Notification, cut: int) -> dict[str, str]:
    return {"how": _how_ready(n)}


def _apology(n: Notification, cut: int) -> dict[str, str]:
    return {"agency": _cut(n.agency_name or "Cơ quan giải quyết", cut),
            "reason": _cut(n.reason or "", cut), "new_date": day(n.new_appointment_at)}  # fmt: skip


def _returned(n: Notification, cut: int) -> dict[str, str]:
    return {"how": _how_returned(n)}


_FACTS: Final[Mapping[Step, _Facts]] = {
    "RECEIVED": _received, "SUPPLEMENT_REQUESTED": _supplement, "FEE_REQUESTED": _fee,
    "RESULT_READY": _ready, "APOLOGY": _apology, "RESULT_RETURNED": _returned,
}  # fmt: skip
_SENTENCES: Final[Mapping[Step, str]] = {
    "RECEIVED": "Hồ sơ {dossier_code} ({procedure}) đã được tiếp nhận. "
    "Ngày hẹn trả kết quả: {appointment_date}.",
    "SUPPLEMENT_REQUESTED": "Hồ sơ {dossier_code} cần bổ sung: {missing}. Lý do: {reason}. "
    "Hạn bổ sung: {respond_by}.",
    "FEE_REQUESTED": "Hồ sơ {dossier_code}: đề nghị nộp phí, lệ phí {amount} tại {payment_link}",
    "RESULT_READY": "Hồ sơ {dossier_code} đã có kết quả, {how}.",
    "APOLOGY": "{agency} xin lỗi vì hồ sơ {dossier_code} chậm trả kết quả. Lý do: {reason}. "
    "Ngày hẹn trả mới: {new_date}.",
    "RESULT_RETURNED": "Hồ sơ {dossier_code} đã được trả kết quả {how}. Xin cảm ơn Ông/Bà.",
}
_SUBJECTS: Final[Mapping[Step, str]] = {
    "RECEIVED": "Hồ sơ {dossier_code} đã được tiếp nhận",
    "SUPPLEMENT_REQUESTED": "Hồ sơ {dossier_code} cần bổ sung giấy tờ",
    "FEE_REQUESTED": "Hồ sơ {dossier_code}: đề nghị nộp phí, lệ phí",
    "RESULT_READY": "Hồ sơ {dossier_code} đã có kết quả",
    "APOLOGY": "Thư xin lỗi và hẹn lại ngày trả kết quả hồ sơ {dossier_code}",
    "RESULT_RETURNED": "Hồ sơ {dossier_code} đã được trả kết quả",
}


def render(n: Notification, *, free_text_chars: int) -> Rendered:
    """The step's SMS, ZNS parameters and e-mail for ``n``."""
    facts = {"dossier_code": n.dossier_id, **_FACTS[n.step](n, free_text_chars)}
    # NFC: a decomposed "ồ" (o + two combining marks) would cost three UCS-2 units, not one
    sentence = unicodedata.normalize("NFC", _SENTENCES[n.step].format_map(facts))
    name = n.contact.name
    body = f"Kính gửi Ông/Bà {name},\n\n{sentence}\n\n{_AUTOMATIC}\n"
    zns = {"customer_name": _cut(name, ZNS_NAME_MAX), **facts}
    return Rendered(
        sms=sentence, zns_data={k: zns[k] for k in ZNS_PARAMS[n.step]},
        subject=_SUBJECTS[n.step].format_map(facts), body=body,
    )  # fmt: skip
