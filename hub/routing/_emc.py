"""EMC tracking codes (DOMAIN.md §5) of a dossier event, pure.

How the hub's facts map to EMC's codes:

* status: DossierAccepted -> 1 received (the dossier is officially received: tiếp nhận, the
  deadline starts); a processing step that transfers the dossier (``TRANSFERRED``) -> 4 assigned;
  any other processing step, supplement requested / received, fee requested / paid and result
  ready -> 2 processing; ResultReturned -> 3 result returned; submission (status 1, not yet
  checked), refusal, withdrawal and stop -> 0 other.
* reception form: 1 online for a dossier filed online or on the national portal, 2 direct for
  one filed at the desk; a paper dossier carried by VNPost counts as direct (**configurable**:
  ``postal_counts_as``, as for the KPIs).
* payment form: 1 when a fee was paid online (bank, national payment platform), 2 when paid at
  the desk or to the postman, 0 while nothing was paid.
* level: EMC's four levels combine the procedure's level at acceptance with the reception form
  (the categories of the province's report, DOMAIN.md §4): a direct-only procedure (or one whose
  level is unknown) -> 0 partial-direct; a partial-online procedure -> 3 partial-online when
  received online, 0 partial-direct when received directly; a full-online procedure -> 4
  full-online when received online, 1 full-direct when received directly.
* postal: 1 when VNPost carries the dossier or its result (postal intake, postal return, a
  postal channel or return channel), else 0.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from hub.dossier import DossierEvent
from hub.records import EmcTrackingRecord, ProcessingStepRecorded, RoutingState

OTHER: Final = 0
RECEIVED: Final = 1
PROCESSING: Final = 2
RESULT_RETURNED: Final = 3
ASSIGNED: Final = 4

ONLINE_FORM: Final = 1
DIRECT_FORM: Final = 2

_PROCESSING_EVENTS: Final = frozenset({
    "SUPPLEMENT_REQUESTED", "SUPPLEMENT_RECEIVED", "FEE_REQUESTED", "FEE_PAID", "RESULT_READY",
})  # fmt: skip


def emc_status(event: DossierEvent) -> int:
    event_type = event.event_type
    if event_type == "DOSSIER_ACCEPTED":
        return RECEIVED
    if event_type == "PROCESSING_STEP_RECORDED":
        step = event.payload_as(ProcessingStepRecorded)
        return ASSIGNED if step.get("kind") == "TRANSFERRED" else PROCESSING
    if event_type in _PROCESSING_EVENTS:
        return PROCESSING
    if event_type == "RESULT_RETURNED":
        return RESULT_RETURNED
    return OTHER


def reception_form(state: Mapping[str, object], postal_counts_as: str = "DIRECT") -> int:
    """EMC's reception form of a state (a RoutingState, or any record with its
    ``from_national_portal`` and ``channel``)."""
    if state["from_national_portal"]:
        return ONLINE_FORM
    channel = state["channel"]
    if channel == "POSTAL":
        channel = postal_counts_as
    return ONLINE_FORM if channel == "ONLINE" else DIRECT_FORM


def payment_form(state: RoutingState) -> int:
    if state["paid_online"]:
        return 1
    return 2 if state["paid_direct"] else 0


def emc_level(level: str, form: int) -> int:
    online = form == ONLINE_FORM
    if level == "FULL_ONLINE":
        return 4 if online else 1
    if level == "PARTIAL_ONLINE":
        return 3 if online else 0
    return 0


def postal_flag(state: RoutingState) -> int:
    postal = (
        state["postal_intake"]
        or state["postal_return"]
        or state["channel"] == "POSTAL"
        or state["return_channel"] == "POSTAL"
    )
    return 1 if postal else 0


def tracking_record(
    state: RoutingState, event: DossierEvent, postal_counts_as: str = "DIRECT"
) -> EmcTrackingRecord:
    """The EmcTrackingRecord payload of an event applied to ``state`` (the state after it)."""
    form = reception_form(state, postal_counts_as)
    return {
        "procedure_code": state["procedure_code"], "emc_status": emc_status(event),
        "reception_form": form, "payment_form": payment_form(state),
        "level": emc_level(state["level"], form),
        "from_national_portal": bool(state["from_national_portal"]),
        "postal": postal_flag(state),
    }  # fmt: skip
