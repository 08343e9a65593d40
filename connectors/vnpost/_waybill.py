"""UPU S10 waybill numbers: two service letters, an eight-digit serial, a check digit, "VN".

The check digit (UPU S10 §5): the serial's digits weighted 8, 6, 4, 2, 3, 5, 9, 7 and summed;
c = 11 - (sum mod 11), with 10 -> 0 and 11 -> 5. ``EE123456785VN`` is the standard's example.
"""

from __future__ import annotations

import re

WEIGHTS = (8, 6, 4, 2, 3, 5, 9, 7)
COUNTRY = "VN"
#: Service indicator letters used for the public administrative postal service by default
#: ("E" prefixes are express mail in S10).
DEFAULT_SERVICE = "EE"
_PATTERN = re.compile(r"[A-Z]{2}[0-9]{9}[A-Z]{2}")
_SERIAL = re.compile(r"[0-9]{8}")


def s10_check_digit(serial: str) -> int:
    """The check digit of an eight-digit serial; ``ValueError`` if it is not eight digits."""
    if not _SERIAL.fullmatch(serial):
        raise ValueError("an S10 serial is exactly eight ASCII digits")
    remainder = 11 - sum(int(d) * w for d, w in zip(serial, WEIGHTS, strict=True)) % 11
    return {10: 0, 11: 5}.get(remainder, remainder)


def new_waybill(serial: int | str, service: str = DEFAULT_SERVICE, country: str = COUNTRY) -> str:
    """The waybill of ``serial`` (0 .. 99,999,999): ``new_waybill(12345678)`` is EE123456785VN."""
    if isinstance(serial, int):
        if not 0 <= serial <= 99_999_999:
            raise ValueError("an S10 serial is between 0 and 99,999,999")
        serial = f"{serial:08d}"
    if not re.fullmatch(r"[A-Z]{2}", service) or not re.fullmatch(r"[A-Z]{2}", country):
        raise ValueError("service indicator and country code are two capital letters")
    return f"{service}{serial}{s10_check_digit(serial)}{country}"


def waybill_problem(value: object, *, country: str = COUNTRY) -> str | None:
    """Why ``value`` is not a valid waybill of ``country`` (a short sentence), or None."""
    if not isinstance(value, str):
        return "a waybill is a string"
    if not _PATTERN.fullmatch(value):
        return "not an S10 waybill (two letters, nine digits, two letters)"
    if value[11:] != country:
        return f"not a {country} waybill"
    if int(value[10]) != s10_check_digit(value[2:10]):
        return "wrong S10 check digit"
    return None


def is_valid_waybill(value: object, *, country: str = COUNTRY) -> bool:
    """Whether ``value`` is an S10 waybill of ``country`` with the right check digit."""
    return waybill_problem(value, country=country) is None
