"""The gateways' JSON as pydantic models, shared by the clients and the simulators.

SMS (a brandname gateway; the shape the Vietnamese gateways share)::

    POST /api/sms/v1/send   Authorization: Bearer <api key>, Idempotency-Key: <key>
    {"brandname", "phone": "84xxxxxxxxx", "message", "unicode": bool, "request_id": <key>}
    -> {"code": "00" | <code>, "message", "data": {"message_id", "segments", "encoding"}}

    a repeated request_id is answered with the first message's id and sends nothing

ZNS (Zalo's template message by phone number)::

    POST /message/template  access_token: <token>
    {"phone": "84xxxxxxxxx", "template_id", "template_data": {name: str}, "tracking_id"}
    -> {"error": 0 | <negative code>, "message", "data": {"msg_id", "sent_time"}}

The error codes each side knows are below; a refusal of the recipient or the template
(``ZNS_REFUSALS``, ``SMS_REFUSALS``) lets the client try the next channel.
"""

from __future__ import annotations

import re
from typing import Final

from pydantic import BaseModel, ConfigDict, Field

SMS_PATH = "/api/sms/v1/send"
ZNS_PATH = "/message/template"

SMS_OK = "00"
SMS_UNAUTHORIZED = "UNAUTHORIZED"  # [401]
SMS_INVALID_PHONE = "INVALID_PHONE"  # [400] not a Vietnamese mobile number
SMS_BRANDNAME = "BRANDNAME_NOT_REGISTERED"  # [400]
SMS_ENCODING = "ENCODING_MISMATCH"  # [400] "unicode" false for a text that is not GSM-7
SMS_TOO_LONG = "TOO_LONG"  # [400] more segments than the gateway sends
SMS_RATE_LIMITED = "RATE_LIMITED"  # [429]
SMS_INTERNAL = "INTERNAL_ERROR"  # [500, 503]
SMS_VALIDATION = "VALIDATION_FAILED"  # [400]
#: The recipient or the text refused for good: another channel may still reach the applicant.
SMS_REFUSALS: Final = frozenset({SMS_INVALID_PHONE, SMS_ENCODING, SMS_TOO_LONG})

#: Longest value of a ZNS customer-name parameter.
ZNS_NAME_MAX = 30
ZNS_OK = 0
ZNS_RATE_LIMITED = -32  # [429] over the OA's calls per second
ZNS_INVALID_PHONE = -108
ZNS_NOT_ZALO_USER = -118  # the number has no Zalo account
ZNS_INVALID_TOKEN = -124  # [401]
ZNS_TEMPLATE_INVALID = -131  # unknown or not approved template id
ZNS_TEMPLATE_DATA = -132  # template_data does not match the template's parameters
ZNS_QUOTA = -144  # the OA's daily quota is used up
ZNS_INTERNAL = -1  # [500, 503]
#: Refusals after which the message goes by SMS instead.
ZNS_REFUSALS: Final = frozenset(
    {ZNS_INVALID_PHONE, ZNS_NOT_ZALO_USER, ZNS_TEMPLATE_INVALID, ZNS_TEMPLATE_DATA, ZNS_QUOTA}
)

_MSISDN = re.compile(r"^84[35789][0-9]{8}$")


def msisdn(phone: str | None) -> str | None:
    """A Vietnamese mobile number as the gateways want it (``84`` and nine digits), or None:
    ``0912 345 678``, ``+84912345678`` and ``84912345678`` are the same number."""
    if not phone:
        return None
    digits = re.sub(r"[\s.()-]", "", phone)
    if digits.startswith("+"):
        digits = digits[1:]
    if digits.startswith("0"):
        digits = "84" + digits[1:]
    return digits if _MSISDN.match(digits) else None


class SmsRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    brandname: str = Field(min_length=1, max_length=11)
    phone: str = Field(pattern=_MSISDN.pattern)
    message: str = Field(min_length=1)
    unicode: bool
    request_id: str = Field(min_length=1, max_length=128)


class SmsSent(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    message_id: str
    segments: int
    encoding: str


class SmsReply(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    code: str
    message: str
    data: SmsSent | None = None


class ZnsRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    phone: str
    template_id: str = Field(min_length=1)
    template_data: dict[str, str]
    tracking_id: str = Field(min_length=1, max_length=48)


class ZnsSent(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    msg_id: str
    sent_time: str


class ZnsReply(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    error: int
    message: str
    data: ZnsSent | None = None
