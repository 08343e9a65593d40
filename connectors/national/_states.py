"""Status codes (TrangThai 1..10), the hub's DossierStatus symbols, and the portal's string states.

``STATUS_CODES`` of ``hub.lifecycle`` is the one table of symbol -> code; this module inverts it
and adds the national portal's string states of its listing (DOMAIN.md §2).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from hub.dossier import STATUS_CODES

#: The national portal's string state of a listed dossier -> TrangThai code.
NATIONAL_STATES: Final[Mapping[str, int]] = {
    "receiving": 1, "new": 2, "denied": 3, "processing": 4, "waiting": 5,
    "paying": 6, "cancelled": 7, "unresolved": 8, "releasing": 9, "done": 10,
}  # fmt: skip

#: TrangThai code -> DossierStatus symbol.
STATUS_OF_CODE: Final[Mapping[int, str]] = {code: status for status, code in STATUS_CODES.items()}


def status_of_code(code: int) -> str:
    """The DossierStatus symbol of a TrangThai code; ``ValueError`` outside 1..10."""
    try:
        return STATUS_OF_CODE[code]
    except KeyError:
        raise ValueError(f"not a TrangThai code (1..10): {code!r}") from None


def code_of_state(state: str) -> int:
    """The TrangThai code of a portal string state; ``ValueError`` if unknown (exact match)."""
    try:
        return NATIONAL_STATES[state]
    except (KeyError, TypeError):
        raise ValueError(f"unknown national portal state {state!r}") from None
