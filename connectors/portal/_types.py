"""Constrained scalar types of the portal's JSON, shared by every model.

Numbers, booleans and strings are strict (``"12"`` is not an amount, ``1`` is not ``true``).
Times are ISO 8601 strings with an offset, converted to UTC and truncated to milliseconds
(the precision of Avro ``timestamp-millis``), so what is produced is exactly what was validated.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Literal
from uuid import UUID

from pydantic import AfterValidator, AwareDatetime, BeforeValidator, Field, StringConstraints
from pydantic_core import PydanticCustomError

# -- strings ---------------------------------------------------------------------------------
Text = Annotated[str, StringConstraints(strict=True, strip_whitespace=True, min_length=1)]
ShortText = Annotated[Text, StringConstraints(max_length=255)]
LongText = Annotated[Text, StringConstraints(max_length=4000)]
Name = Annotated[Text, StringConstraints(max_length=200)]

# MaHoSo: letters, digits and . _ / - (e.g. "000.00.22.H01-250303-0001", "UBND-LX-250303-000001").
DossierId = Annotated[
    str,
    StringConstraints(
        strict=True, min_length=3, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9._/-]*$"
    ),
]
# MaTTHC: "1.001612", optionally with a local suffix such as ".000.00.00.H01".
ProcedureCode = Annotated[
    str, StringConstraints(strict=True, pattern=r"^[0-9]\.[0-9]{6}(\.[0-9A-Z]{1,6}){0,4}$")
]
# Agency codes: "STP", "UBND-PX-MX", "000.00.22.H01".
AgencyCode = Annotated[
    str,
    StringConstraints(
        strict=True, min_length=1, max_length=40, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$"
    ),
]
# Fee codes, document ids and other machine identifiers.
Code = Annotated[
    str,
    StringConstraints(
        strict=True, min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9._:/-]*$"
    ),
]
# Ids assigned by other systems (officials' accounts, bank transactions): any visible characters.
ExternalId = Annotated[
    str, StringConstraints(strict=True, min_length=1, max_length=128, pattern=r"^[^\s]+$")
]
CorrelationId = Annotated[
    str,
    StringConstraints(
        strict=True, min_length=1, max_length=128, pattern=r"^[A-Za-z0-9][A-Za-z0-9._:/-]*$"
    ),
]
Sha256Hex = Annotated[str, StringConstraints(strict=True, pattern=r"^[0-9a-f]{64}$")]
MediaType = Annotated[
    str,
    StringConstraints(
        strict=True,
        max_length=127,
        pattern=r"^[a-z0-9][a-z0-9!#$&^_.+-]*/[a-z0-9][a-z0-9!#$&^_.+-]*$",
    ),
]
# Mobile (10 digits) or landline (11 digits) in national form, or +84 without the leading 0.
Phone = Annotated[str, StringConstraints(strict=True, pattern=r"^(0[0-9]{9,10}|\+84[0-9]{9,10})$")]
Email = Annotated[
    str,
    StringConstraints(
        strict=True,
        max_length=254,
        pattern=r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$",
    ),
]
# Checked against the applicant kind by the consistency rules (_rules.py).
IdNumber = Annotated[str, StringConstraints(strict=True, pattern=r"^[0-9A-Z-]{8,14}$")]

CITIZEN_ID = re.compile(r"^([0-9]{12}|[0-9]{9}|[A-Z][0-9]{7})$")  # CCCD, old CMND, passport
ENTERPRISE_ID = re.compile(r"^[0-9]{10}(-[0-9]{3})?$")  # mã số doanh nghiệp (branch: -NNN)

_UUID_TEXT = re.compile(r"^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")


def _canonical_uuid_text(value: object) -> str:
    if not isinstance(value, str) or not _UUID_TEXT.match(value):
        raise PydanticCustomError("uuid_format", "must be a UUID in 8-4-4-4-12 hexadecimal form")
    return value


# The dedupe key: the 8-4-4-4-12 form only (pydantic alone would also take 32 bare hex digits
# or a urn:uuid: prefix, so one id could be spelt several ways); answered in lowercase.
EventUuid = Annotated[UUID, BeforeValidator(_canonical_uuid_text)]


# -- numbers ---------------------------------------------------------------------------------
# VND has no minor unit; a trillion đồng bounds typos without limiting any real fee.
AmountVnd = Annotated[int, Field(strict=True, ge=0, le=1_000_000_000_000)]
WorkingDays = Annotated[int, Field(strict=True, ge=0, le=365)]
SizeBytes = Annotated[int, Field(strict=True, ge=0, le=1 << 40)]
Flag = Annotated[bool, Field(strict=True)]


# -- times -----------------------------------------------------------------------------------
def _iso_string_only(value: object) -> str:
    # Lax pydantic would take 1741000000 as a Unix time; the contract says ISO 8601.
    if not isinstance(value, str):
        raise PydanticCustomError("iso8601_string", "must be an ISO 8601 string with a UTC offset")
    return value


def _to_utc_millis(moment: datetime) -> datetime:
    utc = moment.astimezone(UTC)
    return utc.replace(microsecond=utc.microsecond // 1000 * 1000)


Timestamp = Annotated[
    AwareDatetime, BeforeValidator(_iso_string_only), AfterValidator(_to_utc_millis)
]

# Tolerated clock skew between the portal and the hub for "when it happened".
MAX_CLOCK_SKEW = timedelta(minutes=10)
EARLIEST_EVENT = datetime(2000, 1, 1, tzinfo=UTC)


def _plausible_event_time(moment: datetime) -> datetime:
    if moment < EARLIEST_EVENT:
        raise PydanticCustomError("time_too_early", "must not be before 2000-01-01")
    if moment > datetime.now(UTC) + MAX_CLOCK_SKEW:
        raise PydanticCustomError("time_in_future", "must not be in the future")
    return moment


EventTime = Annotated[Timestamp, AfterValidator(_plausible_event_time)]


def _iso_date_only(value: object) -> str:
    if not isinstance(value, str) or not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value):
        raise PydanticCustomError("iso8601_date", "must be an ISO 8601 date, YYYY-MM-DD")
    return value


Day = Annotated[date, BeforeValidator(_iso_date_only)]

# -- enum symbols (UNKNOWN is the schemas' evolution default, never a valid input) -----------
ChannelSymbol = Literal["ONLINE", "DIRECT", "POSTAL"]
ApplicantKindSymbol = Literal["CITIZEN", "ORGANIZATION"]
NotifyChannelSymbol = Literal["ZNS", "SMS", "EMAIL"]
FeeKindSymbol = Literal["FEE", "CHARGE"]
ServiceLevelSymbol = Literal["DIRECT_ONLY", "PARTIAL_ONLINE", "FULL_ONLINE"]
StepKindSymbol = Literal["STARTED", "HANDLED", "TRANSFERRED", "SUPPLEMENT_RECEIVED", "FEE_CLEARED"]
PaymentMethodSymbol = Literal["ONLINE_BANK", "NATIONAL_PAYMENT_PLATFORM", "DESK_CASH", "POSTAL_COD"]
ReturnChannelSymbol = Literal["ONLINE", "DESK", "POSTAL"]
AgencyTypeSymbol = Literal["PROVINCIAL_DEPARTMENT", "DISTRICT", "COMMUNE", "OTHER"]
ClockPolicySymbol = Literal["PAUSE", "RESTART"]
RatingChannelSymbol = Literal["PROVINCIAL_PORTAL", "NATIONAL_PORTAL", "DESK_DEVICE", "SMS"]
#: A QĐ 766 satisfaction score: 1 (rất không hài lòng) to 5 (rất hài lòng), ``hub.kpi._ratings``.
Score = Annotated[int, Field(strict=True, ge=1, le=5)]
TransferMethodSymbol = Literal["ELECTRONIC", "INTERNAL", "POSTAL"]


def s10_check_digit(serial: str) -> int:
    """UPU S10 check digit of the 8-digit serial (weights 8,6,4,2,3,5,9,7; 10->0, 11->5)."""
    total = sum(int(d) * w for d, w in zip(serial, (8, 6, 4, 2, 3, 5, 9, 7), strict=True))
    check = 11 - total % 11
    return {10: 0, 11: 5}.get(check, check)


def _valid_s10(value: str) -> str:
    if s10_check_digit(value[2:10]) != int(value[10]):
        raise PydanticCustomError("s10_check_digit", "UPU S10 check digit does not match")
    return value


Waybill = Annotated[
    str,
    StringConstraints(strict=True, pattern=r"^[A-Z]{2}[0-9]{9}VN$"),
    AfterValidator(_valid_s10),
]
