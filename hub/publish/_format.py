"""Numbers and dates as the province's published tables write them (Vietnamese conventions).

A decimal comma and a dot between thousands (``1.234``, ``42,50%``), dates ``dd/mm/yyyy``
in Vietnam time. Only the HTML pages use these: the JSON and CSV files are data for machines
(decimal point, ISO 8601 times), so a portal's scripts never parse a localised number.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from hub.sla import TZ

#: What an empty cell shows: the province's tables use a dash, never a made-up zero.
DASH = "-"


def vn_int(value: int) -> str:
    """``1234567`` -> ``1.234.567``."""
    return f"{value:,}".replace(",", ".")


def vn_decimal(value: Decimal | None, places: int = 2) -> str:
    """``Decimal("1234.5")`` -> ``1.234,50`` (``places`` decimals, as given: no rounding here;
    the reports round half up before); None -> the dash."""
    if value is None:
        return DASH
    text = f"{value:,.{places}f}"  # 1,234.50
    return text.replace(",", " ").replace(".", ",").replace(" ", ".")


def vn_percent(value: Decimal | None) -> str:
    """``Decimal("42.50")`` -> ``42,50%``; None -> the dash."""
    return DASH if value is None else f"{vn_decimal(value)}%"


def vn_days(value: float) -> str:
    """Working days late, one decimal as the late lists keep them: ``2.5`` -> ``2,5``."""
    return f"{value:.1f}".replace(".", ",")


def vn_date(moment: datetime | None) -> str:
    """An aware instant as its Vietnam date, ``dd/mm/yyyy``; None -> the dash."""
    return DASH if moment is None else moment.astimezone(TZ).strftime("%d/%m/%Y")


def vn_datetime(moment: datetime | None) -> str:
    """An aware instant in Vietnam time, ``dd/mm/yyyy HH:MM``; None -> the dash."""
    return DASH if moment is None else moment.astimezone(TZ).strftime("%d/%m/%Y %H:%M")


def iso(moment: datetime | None) -> str | None:
    """ISO 8601 in Vietnam time (``+07:00``), for the JSON and CSV files."""
    return None if moment is None else moment.astimezone(TZ).isoformat(timespec="seconds")
