"""What the portal can check of the transfer events beyond each field (docs/desks.md, #22.1).

A desk code the desk directory (``DVC_DESK_DIRECTORY``, when configured) does not list, an agency
transfer to the same agency and, for a dossier whose submission is in the same batch, a desk step
of a dossier filed at its agency's own desk, a desk other than the receiving one, an agency other
than the competent one (the facts ``hub.dossier.Placement`` follows). The portal keeps no view of
earlier batches, so the steps of a dossier submitted before are checked field by field only.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace

from connectors.portal._models import DossierSubmitted, PortalEvent
from connectors.portal._rules import FieldError
from connectors.portal._transfers import (
    AgencyTransferred,
    DossierForwarded,
    DossierReceivedByAgency,
    ResultForwarded,
    ResultReceivedByDesk,
)
from hub.dossier import DeskDirectory

_TRANSFER_PAYLOADS = (DossierForwarded, DossierReceivedByAgency, AgencyTransferred,
                      ResultForwarded, ResultReceivedByDesk)  # fmt: skip


@dataclass(frozen=True)
class _Seen:
    """What the batch told of a dossier so far: its submission's index, desk and agency."""

    submitted_at: int
    desk: str | None
    agency: str


def transfer_errors(
    events: Sequence[tuple[int, PortalEvent]], desks: DeskDirectory | None
) -> Iterator[FieldError]:
    """Errors of the transfer facts of a batch's valid events (``(index, event)`` in order),
    paths from the batch's root."""
    seen: dict[str, _Seen] = {}
    for index, event in events:
        payload = event.payload
        where = ("events", index, "payload")
        known = seen.get(event.dossier_id)
        yield from (e.under(*where) for e in _payload_errors(payload, known, desks))
        if isinstance(payload, DossierSubmitted):
            seen[event.dossier_id] = _Seen(index, payload.receiving_desk, payload.agency_code)
        elif isinstance(payload, AgencyTransferred) and known is not None:
            seen[event.dossier_id] = replace(known, agency=payload.to_agency_code)


def _payload_errors(
    payload: object, known: _Seen | None, desks: DeskDirectory | None
) -> Iterator[FieldError]:
    desk_code = getattr(payload, "desk_code", None)
    receiving_desk = getattr(payload, "receiving_desk", None)
    for field, code in (("desk_code", desk_code), ("receiving_desk", receiving_desk)):
        if code is not None and desks is not None and desks.get(code) is None:
            yield FieldError((field,), "unknown_desk", "is not a desk of the desk directory")
    if isinstance(payload, AgencyTransferred):
        if payload.to_agency_code == payload.from_agency_code:
            yield FieldError(
                ("to_agency_code",), "same_agency", "must differ from from_agency_code"
            )
        agency_field = "from_agency_code"
    else:
        agency_field = "agency_code"
    if known is None or not isinstance(payload, _TRANSFER_PAYLOADS):
        return
    submitted = f"the DossierSubmitted of events[{known.submitted_at}]"
    if desk_code is not None and known.desk is None:
        own_desk = f"the dossier was filed at its agency's own desk ({submitted})"
        yield FieldError(("desk_code",), "no_receiving_desk", own_desk)
    elif desk_code is not None and desk_code != known.desk:
        other = f"must be {submitted}'s receiving_desk"
        yield FieldError(("desk_code",), "not_the_receiving_desk", other)
    agency = getattr(payload, agency_field, None)
    if agency is not None and agency != known.agency:
        competent = f"must be the competent agency ({submitted} and agency transfers after it)"
        yield FieldError((agency_field,), "not_the_competent_agency", competent)
