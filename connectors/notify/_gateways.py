"""One sender per channel: SMS (HTTP), ZNS (HTTP), e-mail (SMTP, ``smtplib``).

Each ``send`` makes one call with an id derived from the command's idempotency key (the SMS
``request_id``, the ZNS ``tracking_id``, the e-mail's ``Message-ID``), so a redelivered command
is the same message to the gateway, and answers the gateway's reference. Foreign errors are
translated here, in ``_post`` (httpx) and ``EmailGateway.send`` (smtplib, sockets)::

    timeout, connection error, 5xx, 429, 401, malformed reply, SMTP 4xx      Transient
    the recipient or the template refused for good (*_REFUSALS, SMTP 5xx)    ChannelRefused
    any other refusal                                                       Permanent

No error text of a gateway is passed on (it may quote the number or the address): codes only.
"""

from __future__ import annotations

import smtplib
import ssl
import uuid
from email.message import EmailMessage
from email.utils import formatdate
from typing import Final, TypeVar

import httpx
from pydantic import BaseModel, ValidationError

from connectors.common import IDEMPOTENCY_HEADER
from connectors.notify import _metrics
from connectors.notify._config import NotifyConfig
from connectors.notify._notification import Channel, Notification
from connectors.notify._sms import segments, strip_diacritics
from connectors.notify._templates import Rendered
from connectors.notify._wire import (
    SMS_OK,
    SMS_PATH,
    SMS_REFUSALS,
    SMS_TOO_LONG,
    ZNS_INVALID_PHONE,
    ZNS_INVALID_TOKEN,
    ZNS_OK,
    ZNS_PATH,
    ZNS_REFUSALS,
    ZNS_TEMPLATE_INVALID,
    SmsReply,
    SmsRequest,
    ZnsReply,
    ZnsRequest,
    msisdn,
)
from connectors.outbox import Permanent, Transient

R = TypeVar("R", bound=BaseModel)
#: Namespace of the ids sent to the gateways (uuid5 of the command's idempotency key).
MESSAGE_NAMESPACE: Final = uuid.uuid5(uuid.NAMESPACE_URL, "urn:dvchub:notify:message")


class ChannelRefused(Permanent):
    """This channel cannot deliver this message (no Zalo account, a bad number, a template
    refused): the client tries the next channel; a Permanent when none is left."""

    def __init__(self, channel: Channel, code: str) -> None:
        super().__init__(f"{channel}_{code}".replace("-", "N"), f"{channel} refused the message")
        self.channel = channel
        self.gateway_code = code


def message_id(idempotency_key: str) -> str:
    """The id a gateway dedupes on: 32 hex digits (ZNS allows 48 characters)."""
    return uuid.uuid5(MESSAGE_NAMESPACE, idempotency_key).hex


def _post(http: httpx.Client, url: str, body: BaseModel, headers: dict[str, str]) -> httpx.Response:
    try:
        response = http.post(url, json=body.model_dump(mode="json"), headers=headers)
    except httpx.TimeoutException as exc:
        raise Transient("TIMEOUT", type(exc).__name__) from exc
    except httpx.HTTPError as exc:
        raise Transient("CONNECTION", type(exc).__name__) from exc
    if response.status_code >= 500 or response.status_code == 429:
        raise Transient(f"HTTP_{response.status_code}", "gateway busy or unavailable")
    return response


def _reply(response: httpx.Response, model: type[R]) -> R:
    try:
        return model.model_validate_json(response.content)
    except (ValidationError, ValueError) as exc:
        raise Transient("MALFORMED_REPLY", f"HTTP {response.status_code}") from exc


class _HttpGateway:
    """A gateway of an HTTP JSON API (SMS, ZNS), sharing the client's connection pool."""

    def __init__(self, config: NotifyConfig, http: httpx.Client) -> None:
        self.config = config
        self._http = http

    def _call(
        self, url: str, body: BaseModel, headers: dict[str, str], reply: type[R]
    ) -> tuple[httpx.Response, R]:
        response = _post(self._http, url, body, headers)
        return response, _reply(response, reply)


class SmsGateway(_HttpGateway):
    channel: Channel = "SMS"

    def send(self, n: Notification, rendered: Rendered, key: str) -> str:
        text = strip_diacritics(rendered.sms) if self.config.sms_unaccented else rendered.sms
        cost = segments(text)
        if cost.count > self.config.sms_max_segments:
            raise ChannelRefused("SMS", SMS_TOO_LONG)
        phone = msisdn(n.contact.phone)
        if phone is None:
            raise ChannelRefused("SMS", "INVALID_PHONE")
        request = SmsRequest(
            brandname=self.config.sms_brandname, phone=phone, message=text,
            unicode=cost.encoding == "UCS2", request_id=message_id(key),
        )  # fmt: skip
        headers = {"Authorization": f"Bearer {self.config.sms_api_key.get_secret_value()}",
                   IDEMPOTENCY_HEADER: key}  # fmt: skip
        url = self.config.sms_url.rstrip("/") + SMS_PATH
        response, reply = self._call(url, request, headers, SmsReply)
        if response.status_code == 401:
            raise Transient(reply.code, "the SMS gateway refused the key")
        if reply.code in SMS_REFUSALS:
            raise ChannelRefused("SMS", reply.code)
        if response.status_code >= 400 or reply.code != SMS_OK or reply.data is None:
            raise Permanent(f"SMS_{reply.code}", "the SMS gateway refused the message")
        _metrics.SEGMENTS.labels(cost.encoding).inc(cost.count)
        return reply.data.message_id


class ZnsGateway(_HttpGateway):
    channel: Channel = "ZNS"

    def send(self, n: Notification, rendered: Rendered, key: str) -> str:
        phone = msisdn(n.contact.phone)
        if phone is None:
            raise ChannelRefused("ZNS", str(ZNS_INVALID_PHONE))
        template_id = self.config.zns_templates.get(n.step)
        if template_id is None:
            raise ChannelRefused("ZNS", str(ZNS_TEMPLATE_INVALID))
        data = dict(rendered.zns_data)
        request = ZnsRequest(
            phone=phone, template_id=template_id, template_data=data, tracking_id=message_id(key)
        )
        headers = {"access_token": self.config.zns_access_token.get_secret_value()}
        url = self.config.zns_url.rstrip("/") + ZNS_PATH
        response, reply = self._call(url, request, headers, ZnsReply)
        if response.status_code == 401 or reply.error == ZNS_INVALID_TOKEN:
            raise Transient(f"ZNS_{-reply.error}", "ZNS refused the access token")
        if reply.error in ZNS_REFUSALS:
            raise ChannelRefused("ZNS", str(reply.error))
        if reply.error != ZNS_OK or reply.data is None:
            raise Permanent(f"ZNS_N{-reply.error}", "ZNS refused the message")
        return reply.data.msg_id


class EmailGateway:
    channel: Channel = "EMAIL"

    def __init__(self, config: NotifyConfig) -> None:
        self.config = config
        self._domain = config.smtp_sender.rpartition("@")[2] or "localhost"

    def message(self, n: Notification, rendered: Rendered, key: str) -> EmailMessage:
        if not n.contact.email:
            raise ChannelRefused("EMAIL", "NO_ADDRESS")
        message = EmailMessage()
        message["From"] = self.config.smtp_sender
        message["To"] = n.contact.email
        message["Subject"] = rendered.subject
        message["Date"] = formatdate(usegmt=True)
        message["Message-ID"] = f"<{message_id(key)}@{self._domain}>"
        message.set_content(rendered.body)
        return message

    def send(self, n: Notification, rendered: Rendered, key: str) -> str:
        message = self.message(n, rendered, key)
        config = self.config
        # ``from None`` below: smtplib's errors quote the recipients (personal data), and a
        # chained exception would carry them into any traceback logged.
        try:
            with smtplib.SMTP(config.smtp_host, config.smtp_port, timeout=config.timeout_s) as smtp:
                if config.smtp_starttls:
                    smtp.starttls(context=ssl.create_default_context())
                if config.smtp_username is not None and config.smtp_password is not None:
                    smtp.login(config.smtp_username, config.smtp_password.get_secret_value())
                smtp.send_message(message)
        except smtplib.SMTPRecipientsRefused as exc:
            codes = sorted({code for code, _ in exc.recipients.values()})
            if all(code >= 500 for code in codes):
                raise ChannelRefused("EMAIL", "RECIPIENT_REFUSED") from None
            raise Transient("SMTP_RECIPIENT_DEFERRED", f"codes {codes}") from None
        except smtplib.SMTPResponseException as exc:
            if exc.smtp_code >= 500:
                raise ChannelRefused("EMAIL", f"SMTP_{exc.smtp_code}") from None
            raise Transient(f"SMTP_{exc.smtp_code}", "the relay deferred the message") from None
        except (smtplib.SMTPException, OSError) as exc:
            raise Transient("SMTP_CONNECTION", type(exc).__name__) from None
        return str(message["Message-ID"])
