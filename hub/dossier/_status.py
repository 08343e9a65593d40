"""The dossier status machine (DOMAIN.md §2), pure: no Kafka, no clock, no I/O.

``TRANSITIONS`` is the whole machine: ``(event type, status before) -> status after``, where the
status before is ``None`` for a dossier the hub has not seen. Events that only record a fact
(signatures, apologies, postal, payment and national-sync events) map a status to itself. Every
pair that is not in the table is illegal.

``StatusView`` is the one way a processor follows a dossier's status through it, fee returns
included (a FeePaid goes back to where the fee step came from), so every processor that keeps a
status of its own agrees with the lifecycle on what is legal and where a dossier stands.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final, TypeGuard

from hub.records import DossierStatus

SUBMITTED: Final = "SUBMITTED"  # 1
ACCEPTED: Final = "ACCEPTED"  # 2
REFUSED: Final = "REFUSED"  # 3
PROCESSING: Final = "PROCESSING"  # 4
SUPPLEMENT_REQUESTED: Final = "SUPPLEMENT_REQUESTED"  # 5
FEE_REQUESTED: Final = "FEE_REQUESTED"  # 6
WITHDRAWN: Final = "WITHDRAWN"  # 7
STOPPED: Final = "STOPPED"  # 8
RESULT_READY: Final = "RESULT_READY"  # 9
RESULT_RETURNED: Final = "RESULT_RETURNED"  # 10

#: The national portal's TrangThai code of each status.
STATUS_CODES: Final[Mapping[str, int]] = {
    SUBMITTED: 1, ACCEPTED: 2, REFUSED: 3, PROCESSING: 4, SUPPLEMENT_REQUESTED: 5,
    FEE_REQUESTED: 6, WITHDRAWN: 7, STOPPED: 8, RESULT_READY: 9, RESULT_RETURNED: 10,
}  # fmt: skip
STATUSES: Final = tuple(STATUS_CODES)
TERMINAL: Final = frozenset({REFUSED, WITHDRAWN, STOPPED, RESULT_RETURNED})
NON_TERMINAL: Final = tuple(s for s in STATUSES if s not in TERMINAL)

#: Marker target of FeePaid: back to ACCEPTED if the fee step came from 1 or 2,
#: to PROCESSING if it came from 4.
FEE_RETURN: Final = "<status before the fee step>"

EVENT_TYPES: Final = (
    "DOSSIER_SUBMITTED", "DOSSIER_ACCEPTED", "DOSSIER_REFUSED", "PROCESSING_STEP_RECORDED",
    "SUPPLEMENT_REQUESTED", "SUPPLEMENT_RECEIVED", "FEE_REQUESTED", "FEE_PAID",
    "DOSSIER_WITHDRAWN", "PROCESSING_STOPPED", "RESULT_READY", "RESULT_SIGNED",
    "RESULT_SIGNING_FAILED", "RESULT_RETURNED", "APOLOGY_ISSUED", "POSTAL_ORDER_CREATED",
    "POSTAL_STATUS_CHANGED", "PAYMENT_REQUEST_CREATED", "PAYMENT_FAILED",
    "NATIONAL_SYNC_COMPLETED", "NATIONAL_SYNC_FAILED", "PAYMENT_REFUNDED", "EXPLANATION_RECORDED",
    "DOSSIER_FORWARDED", "DOSSIER_RECEIVED_BY_AGENCY", "RESULT_FORWARDED",
    "RESULT_RECEIVED_BY_DESK", "AGENCY_TRANSFERRED",
    "SATISFACTION_RATED",
)  # fmt: skip

_MOVES: Final[dict[tuple[str, str | None], str]] = {
    ("DOSSIER_SUBMITTED", None): SUBMITTED,
    ("DOSSIER_ACCEPTED", SUBMITTED): ACCEPTED,
    ("DOSSIER_REFUSED", SUBMITTED): REFUSED,
    ("FEE_REQUESTED", SUBMITTED): FEE_REQUESTED,
    ("PROCESSING_STEP_RECORDED", ACCEPTED): PROCESSING,
    ("FEE_REQUESTED", ACCEPTED): FEE_REQUESTED,
    ("PROCESSING_STEP_RECORDED", PROCESSING): PROCESSING,
    ("SUPPLEMENT_REQUESTED", PROCESSING): SUPPLEMENT_REQUESTED,
    ("FEE_REQUESTED", PROCESSING): FEE_REQUESTED,
    ("PROCESSING_STOPPED", PROCESSING): STOPPED,
    ("RESULT_READY", PROCESSING): RESULT_READY,
    ("SUPPLEMENT_RECEIVED", SUPPLEMENT_REQUESTED): PROCESSING,
    ("DOSSIER_WITHDRAWN", SUPPLEMENT_REQUESTED): WITHDRAWN,
    ("PROCESSING_STOPPED", SUPPLEMENT_REQUESTED): STOPPED,
    ("FEE_PAID", FEE_REQUESTED): FEE_RETURN,
    ("DOSSIER_WITHDRAWN", FEE_REQUESTED): WITHDRAWN,
    ("PROCESSING_STOPPED", FEE_REQUESTED): STOPPED,
    ("RESULT_RETURNED", RESULT_READY): RESULT_RETURNED,
}

#: Where a dossier is in someone's hands before a result exists: the statuses a transfer step
#: between a desk and an agency (or between agencies) is legal in.
_IN_HAND: Final = frozenset({SUBMITTED, ACCEPTED, PROCESSING, SUPPLEMENT_REQUESTED, FEE_REQUESTED})

#: Events that record a fact without changing the status, and the statuses where they make sense.
#: National-sync outcomes are legal in every status, terminal ones included: the portal must be
#: told about statuses 3, 7, 8 and 10 too, so their sync necessarily arrives after them. Partner
#: facts are too: a postal callback can arrive after the result was returned (or out of order),
#: a payment callback before the request's creation was recorded, a refund after a refusal.
#: An explanation (báo cáo giải trình) is legal wherever a dossier can be late: its clock started
#: and handling did not end without a result (a late result is explained after it, even once
#: returned). Whether the dossier *is* late, and explained once, is the SLA's to judge
#: (``hub.sla``, which has the clock: a dead letter); the lifecycle keeps each in the history.
#: A satisfaction rating (QĐ 766) judges handling as a whole, so it is legal once handling ended:
#: the result returned, or the dossier refused, withdrawn or stopped (``hub.kpi._ratings``).
RECORDED_IN: Final[Mapping[str, frozenset[str]]] = {
    "RESULT_SIGNED": frozenset({RESULT_READY}),
    "RESULT_SIGNING_FAILED": frozenset({RESULT_READY}),
    "APOLOGY_ISSUED": frozenset({ACCEPTED, PROCESSING, SUPPLEMENT_REQUESTED, FEE_REQUESTED}),
    "POSTAL_ORDER_CREATED": frozenset(STATUSES),
    "POSTAL_STATUS_CHANGED": frozenset(STATUSES),
    "PAYMENT_REQUEST_CREATED": frozenset(STATUSES),
    "PAYMENT_FAILED": frozenset(STATUSES),
    "PAYMENT_REFUNDED": frozenset(STATUSES),
    "NATIONAL_SYNC_COMPLETED": frozenset(STATUSES),
    "NATIONAL_SYNC_FAILED": frozenset(STATUSES),
    "EXPLANATION_RECORDED": frozenset(
        {ACCEPTED, PROCESSING, SUPPLEMENT_REQUESTED, FEE_REQUESTED, RESULT_READY, RESULT_RETURNED}
    ),
    # Acceptance anywhere in the province (``hub.dossier._desks``): the paper or digitised
    # dossier travels desk -> agency while it is open and before a result exists (a desk may
    # forward before or after acceptance, and a fee step may be open meanwhile); the result
    # travels agency -> desk once it is ready, before it is returned.
    **dict.fromkeys(
        ("DOSSIER_FORWARDED", "DOSSIER_RECEIVED_BY_AGENCY", "AGENCY_TRANSFERRED"), _IN_HAND
    ),
    **dict.fromkeys(("RESULT_FORWARDED", "RESULT_RECEIVED_BY_DESK"), frozenset({RESULT_READY})),
    "SATISFACTION_RATED": TERMINAL,
}

#: The machine: (event type, status before or None) -> status after (or ``FEE_RETURN``).
TRANSITIONS: Final[Mapping[tuple[str, str | None], str]] = {
    **_MOVES,
    **{(etype, s): s for etype, legal in RECORDED_IN.items() for s in legal},
}


@dataclass(frozen=True, slots=True)
class StatusView:
    """Where a dossier stands: its status (None: a dossier the hub has not seen) and, while a
    fee step is open, the status a FeePaid returns it to."""

    status: DossierStatus | None = None
    before_fee: DossierStatus | None = None

    def after(self, event_type: str) -> StatusView | None:
        """The view after ``event_type``, or None when the machine does not allow it here."""
        target = TRANSITIONS.get((event_type, self.status))
        if target == FEE_RETURN:
            return StatusView(self.before_fee or ACCEPTED, None)
        if not is_status(target):  # not in the machine (every target but FEE_RETURN is a status)
            return None
        if target == FEE_REQUESTED and self.status != FEE_REQUESTED:
            # 1 or 2 -> back to 2 after the payment, 4 -> back to 4
            return StatusView(target, PROCESSING if self.status == PROCESSING else ACCEPTED)
        return StatusView(target, self.before_fee)

    def refusal(self, event_type: str) -> str:
        """Why ``event_type`` is not allowed here (the reason of an INVALID_TRANSITION)."""
        where = (
            "a dossier the hub does not know" if self.status is None else f"status {self.status}"
        )
        if self.status is not None and event_type == "DOSSIER_SUBMITTED":
            where = f"an existing dossier (status {self.status})"
        return f"{event_type} is not allowed for {where}"


def is_status(value: str | None) -> TypeGuard[DossierStatus]:
    """Whether ``value`` is one of the machine's statuses (so a record's status field takes it)."""
    return value in STATUS_CODES
