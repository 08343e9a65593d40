"""The gateways' simulator as a raw client sees it (httpx, smtplib): what each protocol refuses
and how each dedupes, so that a client test passing against it means something."""

from __future__ import annotations

import smtplib
from email.message import EmailMessage
from typing import Any

import httpx
import pytest

from connectors.notify import DEV_ZNS_TEMPLATES, ZNS_PARAMS, NotifySimulator
from connectors.notify._wire import SMS_PATH, ZNS_PATH

SMS_HEADERS = {"Authorization": "Bearer sms-dev-api-key"}
ZNS_HEADERS = {"access_token": "zns-dev-access-token"}


def sms(sim: NotifySimulator, headers: dict[str, str] = SMS_HEADERS, **body: Any) -> httpx.Response:
    request = {"brandname": "UBND-TINH", "phone": "84912345678", "message": "Ho so da co ket qua",
               "unicode": False, "request_id": "r-1", **body}  # fmt: skip
    return httpx.post(sim.base_url + SMS_PATH, json=request, headers=headers)


def zns(sim: NotifySimulator, **body: Any) -> httpx.Response:
    template = DEV_ZNS_TEMPLATES["RESULT_READY"]
    data = dict.fromkeys(ZNS_PARAMS["RESULT_READY"], "x")
    request = {"phone": "84912345678", "template_id": template, "template_data": data,
               "tracking_id": "t-1", **body}  # fmt: skip
    return httpx.post(sim.base_url + ZNS_PATH, json=request, headers=ZNS_HEADERS)


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({}, 200, "00"),
        ({"message": "Hồ sơ đã có kết quả"}, 400, "ENCODING_MISMATCH"),  # UCS-2 sent as GSM-7
        ({"message": "Hồ sơ đã có kết quả", "unicode": True}, 200, "00"),
        ({"message": "ồ" * (67 * 5 + 1), "unicode": True}, 400, "TOO_LONG"),  # 6 segments
        ({"brandname": "OTHER"}, 400, "BRANDNAME_NOT_REGISTERED"),
        ({"phone": "0912345678"}, 400, "INVALID_PHONE"),  # not in the 84... form
    ],
)
def test_sms_gateway_rules(body: dict[str, Any], status: int, code: str) -> None:
    with NotifySimulator() as sim:
        answer = sms(sim, **body)
        assert (answer.status_code, answer.json()["code"]) == (status, code)
        assert len(sim.ledger.delivered()) == (1 if status == 200 else 0)


def test_sms_gateway_checks_its_key_and_dedupes_by_request_id() -> None:
    with NotifySimulator() as sim:
        assert sms(sim, headers={"Authorization": "Bearer wrong"}).status_code == 401
        first, again = sms(sim).json(), sms(sim).json()
        assert first == again
        assert first["data"]["segments"] == 1
        assert (len(sim.ledger.delivered()), sim.ledger.duplicates["SMS"]) == (1, 1)


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ({}, 0),
        ({"template_id": "999999"}, -131),
        ({"template_data": {"customer_name": "x"}}, -132),  # parameters missing
        ({"phone": "84909990001"}, -118),  # no Zalo account
        ({"phone": "0912345678"}, -108),
    ],
)
def test_zns_rules(body: dict[str, Any], error: int) -> None:
    with NotifySimulator() as sim:
        assert zns(sim, **body).json()["error"] == error
        assert len(sim.ledger.delivered()) == (1 if error == 0 else 0)


def test_zns_dedupes_by_tracking_id() -> None:
    with NotifySimulator() as sim:
        first, again = zns(sim).json(), zns(sim).json()
        assert first["data"]["msg_id"] == again["data"]["msg_id"]
        assert (len(sim.ledger.delivered()), sim.ledger.duplicates["ZNS"]) == (1, 1)


def mail(message_id: str | None) -> EmailMessage:
    message = EmailMessage()
    message["From"] = "no-reply@dichvucong.localhost"
    message["To"] = "mai.tran@example.vn"
    message["Subject"] = "Hồ sơ đã có kết quả"
    if message_id is not None:
        message["Message-ID"] = message_id
    message.set_content("Kính gửi Ông/Bà")
    return message


def test_smtp_relay_dedupes_by_message_id_and_wants_one() -> None:
    with NotifySimulator() as sim, smtplib.SMTP(sim.smtp.host, sim.smtp_port, timeout=5) as smtp:
        smtp.send_message(mail("<m-1@dichvucong.localhost>"))
        smtp.send_message(mail("<m-1@dichvucong.localhost>"))
        with pytest.raises(smtplib.SMTPDataError) as refused:
            smtp.send_message(mail(None))
        assert refused.value.smtp_code == 550
        [delivered] = sim.ledger.delivered("EMAIL")
        assert delivered.subject == "Hồ sơ đã có kết quả"
        assert delivered.text.strip() == "Kính gửi Ông/Bà"
        assert sim.ledger.duplicates["EMAIL"] == 1


def test_smtp_relay_down_answers_421() -> None:
    with NotifySimulator() as sim, smtplib.SMTP(sim.smtp.host, sim.smtp_port, timeout=5) as smtp:
        sim.ledger.down.add("EMAIL")
        with pytest.raises(smtplib.SMTPDataError) as down:
            smtp.send_message(mail("<m-2@dichvucong.localhost>"))
        assert down.value.smtp_code == 421
        assert sim.ledger.delivered() == []
