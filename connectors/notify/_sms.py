"""SMS length rules: GSM-7 or UCS-2, and how many segments a text costs (3GPP TS 23.038/23.040).

A text made only of the GSM 03.38 default alphabet and its extension table is sent in GSM-7:
160 septets in one message; a longer one is split in segments of 153 (the user data header of a
concatenated message takes 7), an extension character (``€ [ ] { } ^ ~ | \\`` and form feed)
costs two septets, and the escape pair is never split between segments. Any other character
(Vietnamese with diacritics: ``ố``, ``ư``, ``đ``...) makes the whole text UCS-2: 70 UTF-16 code
units in one message, 67 a segment when longer, a surrogate pair never split.

``strip_diacritics`` turns Vietnamese into its unaccented form (``đ`` -> ``d``), which the
brandname gateways of Vietnam commonly require to send GSM-7 (one segment holds about twice as
much): the gateway config chooses (``DVC_NOTIFY_SMS_UNACCENTED``).
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import Final, Literal

Encoding = Literal["GSM7", "UCS2"]

_GSM7_BASIC: Final = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
#: Sent as ESC + a character: two septets each.
_GSM7_EXTENSION: Final = frozenset("\f^{}\\[~]|€")

#: (one message, one segment of a concatenated message), in the encoding's units.
LIMITS: Final[dict[Encoding, tuple[int, int]]] = {"GSM7": (160, 153), "UCS2": (70, 67)}


@dataclass(frozen=True)
class Segments:
    """What a text costs: its encoding, its length in that encoding's units (septets or UTF-16
    code units) and the number of SMS segments."""

    encoding: Encoding
    units: int
    count: int


def encoding_of(text: str) -> Encoding:
    if all(c in _GSM7_BASIC or c in _GSM7_EXTENSION for c in text):
        return "GSM7"
    return "UCS2"


def _unit_costs(text: str, encoding: Encoding) -> list[int]:
    """Each character's cost in units (an unsplittable piece: an escape pair, a surrogate pair)."""
    if encoding == "GSM7":
        return [2 if c in _GSM7_EXTENSION else 1 for c in text]
    return [2 if ord(c) > 0xFFFF else 1 for c in text]


def segments(text: str) -> Segments:
    """The encoding, length and segment count of ``text`` (an empty text is one message)."""
    encoding = encoding_of(text)
    costs = _unit_costs(text, encoding)
    single, per_segment = LIMITS[encoding]
    units = sum(costs)
    if units <= single:
        return Segments(encoding, units, 1)
    count, filled = 1, 0
    for cost in costs:  # greedy: a piece that does not fit starts the next segment
        if filled + cost > per_segment:
            count += 1
            filled = 0
        filled += cost
    return Segments(encoding, units, count)


def strip_diacritics(text: str) -> str:
    """Vietnamese without its marks: ``Hồ sơ đã được tiếp nhận`` -> ``Ho so da duoc tiep nhan``."""
    text = text.replace("đ", "d").replace("Đ", "D")
    decomposed = unicodedata.normalize("NFD", text)
    return "".join(c for c in decomposed if unicodedata.category(c) != "Mn")
