"""What the government's JSON APIs (the national portal DVCQG, EMC) share: the idempotency
header, and dates as ``yyyyMMddHHmmss`` in Vietnam time, converted here only.

The hub's wire is UTC (Avro ``timestamp-millis``); these APIs know neither offsets nor
milliseconds. ``to_portal`` drops the milliseconds (the portal's precision is the second);
``from_portal`` is strict: exactly 14 digits forming a real date and time.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")
PORTAL_DATE_FORMAT = "%Y%m%d%H%M%S"
#: The header carrying a command's idempotency key: the API applies a repeated key once.
IDEMPOTENCY_HEADER = "Idempotency-Key"
_PORTAL_DATE = re.compile(r"^[0-9]{14}$")


def to_portal(moment: datetime) -> str:
    """An aware datetime -> ``yyyyMMddHHmmss`` in Asia/Ho_Chi_Minh; naive ones are refused."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("a portal date needs a timezone-aware datetime")
    return moment.astimezone(VIETNAM).strftime(PORTAL_DATE_FORMAT)


def from_portal(text: str) -> datetime:
    """``yyyyMMddHHmmss`` (Vietnam time) -> an aware UTC datetime; ``ValueError`` if malformed."""
    if not isinstance(text, str) or not _PORTAL_DATE.match(text):
        raise ValueError(f"not a yyyyMMddHHmmss date: {text!r}")
    try:
        local = datetime.strptime(text, PORTAL_DATE_FORMAT).replace(tzinfo=VIETNAM)
    except ValueError:
        raise ValueError(f"not a yyyyMMddHHmmss date: {text!r}") from None
    return local.astimezone(UTC)


def to_portal_or_none(moment: datetime | None) -> str | None:
    return None if moment is None else to_portal(moment)
