"""``NotifyClient`` against the gateways' simulator over real HTTP and SMTP: each channel, the
fallback ZNS -> SMS (and on to e-mail), redeliveries, outages, lost replies, rate limits, SMS
encodings, and no personal data in any log line."""

from __future__ import annotations

import logging
import time

import pytest

from connectors.notify import (
    BOUNCING_DOMAIN,
    DEV_ZNS_TEMPLATES,
    ChannelRefused,
    NotifyClient,
    NotifySimulator,
    message_id,
)
from connectors.outbox import Permanent, Transient
from tests.connectors.notify.conftest import (
    DOSSIER,
    EMAIL,
    NO_ZALO_PHONE,
    PERSONAL,
    command,
    config_for,
    payload,
)


def test_zns_first_with_the_steps_template(sim: NotifySimulator, client: NotifyClient) -> None:
    sent = command(payload("FEE_REQUESTED"))
    reference = client.call(sent, 1).reference
    [delivered] = sim.ledger.delivered()
    assert (delivered.channel, delivered.recipient) == ("ZNS", "84912345678")
    assert reference == f"ZNS:{delivered.gateway_id}"
    assert delivered.template_id == DEV_ZNS_TEMPLATES["FEE_REQUESTED"]
    assert delivered.key == message_id(sent.idempotency_key)
    assert "amount=500.000 đồng" in delivered.text.splitlines()
    assert f"dossier_code={DOSSIER}" in delivered.text.splitlines()


def test_no_zalo_account_falls_back_to_sms(sim: NotifySimulator, client: NotifyClient) -> None:
    reference = client.call(command(payload(phone=NO_ZALO_PHONE)), 1).reference
    assert reference is not None
    assert reference.startswith("SMS:")
    assert sim.ledger.counts() == {"SMS": 1}
    assert sim.ledger.refused == {"ZNS:-118": 1}


def test_a_template_zns_refuses_falls_back_to_sms(sim: NotifySimulator) -> None:
    templates = {**DEV_ZNS_TEMPLATES, "RECEIVED": "999999"}  # not approved at the simulator
    client = NotifyClient(config_for(sim, zns_templates=templates))
    try:
        reference = client.call(command(payload("RECEIVED")), 1).reference
    finally:
        client.close()
    assert reference is not None
    assert reference.startswith("SMS:")
    assert sim.ledger.refused == {"ZNS:-131": 1}


def test_every_channel_refusing_is_permanent(sim: NotifySimulator, client: NotifyClient) -> None:
    body = payload(channels=("ZNS", "SMS", "EMAIL"), phone="12345",
                   email=f"mai@{BOUNCING_DOMAIN}")  # fmt: skip
    with pytest.raises(ChannelRefused) as refused:
        client.call(command(body), 1)
    assert isinstance(refused.value, Permanent)
    assert refused.value.code == "EMAIL_RECIPIENT_REFUSED"  # the last channel's refusal
    assert sim.ledger.delivered() == []


def test_a_bounced_address_goes_on_to_sms(sim: NotifySimulator, client: NotifyClient) -> None:
    body = payload(channels=("EMAIL", "SMS"), email=f"mai@{BOUNCING_DOMAIN}")
    reference = client.call(command(body), 1).reference
    assert reference is not None
    assert reference.startswith("SMS:")


@pytest.mark.parametrize("channels", [("ZNS",), ("SMS",), ("EMAIL",)])
def test_a_redelivery_is_one_message(
    sim: NotifySimulator, client: NotifyClient, channels: tuple[str, ...]
) -> None:
    sent = command(payload(channels=channels))
    first = client.call(sent, 1).reference
    assert client.call(sent, 2).reference == first
    assert len(sim.ledger.delivered()) == 1
    assert sum(sim.ledger.duplicates.values()) == 1


def test_an_email_is_vietnamese_with_a_message_id_of_the_command(
    sim: NotifySimulator, client: NotifyClient
) -> None:
    sent = command(payload("RESULT_READY", channels=("EMAIL",)))
    reference = client.call(sent, 1).reference
    [delivered] = sim.ledger.delivered()
    assert delivered.key == f"<{message_id(sent.idempotency_key)}@dichvucong.localhost>"
    assert reference == f"EMAIL:{delivered.key}"
    assert delivered.recipient == EMAIL
    assert delivered.subject == f"Hồ sơ {DOSSIER} đã có kết quả"
    assert "mời Ông/Bà đến Bộ phận Một cửa để nhận." in delivered.text


def test_sms_with_diacritics_is_ucs2_and_unaccented_is_gsm7(sim: NotifySimulator) -> None:
    body = payload("RESULT_READY", channels=("SMS",))
    with_marks = NotifyClient(config_for(sim))
    unaccented = NotifyClient(config_for(sim, sms_unaccented=True))
    try:
        with_marks.call(command(body), 1)
        unaccented.call(command(body), 1)
    finally:
        with_marks.close()
        unaccented.close()
    marked, plain = sim.ledger.delivered("SMS")
    # "Hồ sơ 000.00.22.H01-260302-00009 đã có kết quả, mời Ông/Bà đến Bộ phận Một cửa để
    # nhận." is 87 characters: UCS-2 over 70 -> 2 segments; GSM-7 under 160 -> 1
    assert len(marked.text) == 87
    assert (marked.encoding, marked.segments) == ("UCS2", 2)
    assert (plain.encoding, plain.segments) == ("GSM7", 1)
    assert plain.text.startswith("Ho so ")


def test_an_sms_too_long_goes_to_the_next_channel(sim: NotifySimulator) -> None:
    client = NotifyClient(config_for(sim, sms_max_segments=1))
    try:
        reference = client.call(command(payload("RESULT_READY", channels=("SMS", "EMAIL"))), 1)
    finally:
        client.close()
    assert reference.reference is not None
    assert reference.reference.startswith("EMAIL:")


@pytest.mark.parametrize(
    ("channels", "code"),
    [(("ZNS",), "HTTP_503"), (("SMS",), "HTTP_503"), (("EMAIL",), "SMTP_421")],
)
def test_a_gateway_down_is_transient_and_nothing_is_sent(
    sim: NotifySimulator, client: NotifyClient, channels: tuple[str, ...], code: str
) -> None:
    sim.ledger.down.add(channels[0])  # type: ignore[arg-type]
    with pytest.raises(Transient) as down:
        client.call(command(payload(channels=channels)), 1)
    assert down.value.code == code
    assert sim.ledger.delivered() == []


def test_zns_down_is_retried_not_sent_by_sms(sim: NotifySimulator, client: NotifyClient) -> None:
    sim.ledger.down.add("ZNS")
    with pytest.raises(Transient):
        client.call(command(payload(channels=("ZNS", "SMS"))), 1)
    assert sim.ledger.delivered() == []


@pytest.mark.parametrize("channels", [("ZNS",), ("SMS",), ("EMAIL",)])
def test_a_lost_reply_then_the_retry_is_one_message(
    sim: NotifySimulator, client: NotifyClient, channels: tuple[str, ...]
) -> None:
    sent = command(payload(channels=channels))
    sim.faults.arm("lost_replies")
    with pytest.raises(Transient):
        client.call(sent, 1)
    reference = client.call(sent, 2).reference
    [delivered] = sim.ledger.delivered()
    assert reference is not None
    assert reference.endswith(delivered.gateway_id if channels != ("EMAIL",) else delivered.key)


def test_a_wrong_key_or_token_is_transient(sim: NotifySimulator) -> None:
    for overrides in ({"sms_api_key": "wrong-key-0000000000"},
                      {"zns_access_token": "wrong-token-00000000"}):  # fmt: skip
        client = NotifyClient(config_for(sim, **overrides))
        channel = "SMS" if "sms_api_key" in overrides else "ZNS"
        try:
            with pytest.raises(Transient):
                client.call(command(payload(channels=(channel,))), 1)
        finally:
            client.close()
    assert sim.ledger.delivered() == []


def test_the_simulators_own_limit_answers_429_and_is_retried() -> None:
    with NotifySimulator(rates={"SMS": 2.0}) as sim:
        client = NotifyClient(config_for(sim))
        try:
            outcomes = []
            for _ in range(4):  # a burst of 1 at the simulator: the second call is over
                try:
                    outcomes.append(client.call(command(payload(channels=("SMS",))), 1).reference)
                except Transient as exc:
                    outcomes.append(exc.code)
        finally:
            client.close()
        assert "HTTP_429" in outcomes
        assert sim.ledger.rate_limited["SMS"] == outcomes.count("HTTP_429")
        assert len(sim.ledger.delivered()) == 4 - outcomes.count("HTTP_429")


def test_the_clients_limit_paces_a_channel(sim: NotifySimulator) -> None:
    rate = 20.0
    client = NotifyClient(config_for(sim, sms_rate_per_s=rate, rate_burst=1, rate_wait_s=1.0))
    try:
        started = time.monotonic()
        for _ in range(11):
            client.call(command(payload(channels=("SMS",))), 1)
        took = time.monotonic() - started
    finally:
        client.close()
    assert took >= 10 / rate  # ten waits of 1/rate after the first token
    assert len(sim.ledger.delivered()) == 11


def test_over_the_wait_a_call_is_retried_later(sim: NotifySimulator) -> None:
    client = NotifyClient(config_for(sim, email_rate_per_s=0.5, rate_burst=1, rate_wait_s=0.1))
    try:
        client.call(command(payload(channels=("EMAIL",))), 1)
        with pytest.raises(Transient) as limited:
            client.call(command(payload(channels=("EMAIL",))), 1)
    finally:
        client.close()
    assert limited.value.code == "RATE_LIMITED"
    assert len(sim.ledger.delivered()) == 1


def test_no_personal_data_in_any_log_line(
    sim: NotifySimulator, client: NotifyClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    client.call(command(payload(channels=("ZNS", "SMS"), phone=NO_ZALO_PHONE)), 1)
    client.call(command(payload(channels=("EMAIL",))), 1)
    sim.ledger.down.add("EMAIL")
    for body in (payload(channels=("EMAIL",)), payload(channels=("SMS",), phone="12345")):
        with pytest.raises((Transient, Permanent)) as failed:
            client.call(command(body), 1)
        logging.getLogger("test").exception("call failed", exc_info=failed.value)
    assert len(sim.ledger.delivered()) == 2
    assert caplog.records  # httpx and aiosmtpd did log: the check below has lines to read
    text = "\n".join(caplog.text.splitlines())
    for personal in PERSONAL:
        assert personal not in text, personal
