"""``Placement``: who holds a dossier, followed through its events like ``StatusView``.

Two facts of a dossier since acceptance anywhere in the province (DOMAIN.md §7): the desk that
received it (``DossierSubmitted.receiving_desk``; None: the competent agency's own desk, which
is what every event written before the field meant) and the competent agency (the submission's
``agency_code``, changed by ``AgencyTransferred``). Between them the dossier travels: the desk
forwards it (``DossierForwarded``), the agency receives it (``DossierReceivedByAgency``), the
agency sends the result back (``ResultForwarded``) and the desk receives it
(``ResultReceivedByDesk``) to return it. ``where`` says which of those legs a dossier is on, so
every processor (routing, SLA, KPI) agrees on it. Pure: no Kafka, no clock.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Literal

from hub.dossier._event import DossierEvent
from hub.records import AgencyTransferred, DossierSubmitted

#: Where the dossier (or its result) is: at the receiving desk, on its way to the competent
#: agency, at the agency, the result on its way back to the desk, the result at the desk.
Where = Literal["AT_DESK", "TO_AGENCY", "AT_AGENCY", "RESULT_TO_DESK", "RESULT_AT_DESK"]

_MOVES: dict[str, Where] = {
    "DOSSIER_FORWARDED": "TO_AGENCY",
    "DOSSIER_RECEIVED_BY_AGENCY": "AT_AGENCY",
    "AGENCY_TRANSFERRED": "TO_AGENCY",
    "RESULT_FORWARDED": "RESULT_TO_DESK",
    "RESULT_RECEIVED_BY_DESK": "RESULT_AT_DESK",
}


@dataclass(frozen=True, slots=True)
class Placement:
    """A dossier's competent agency, receiving desk and leg (None, None: not submitted yet)."""

    competent_agency: str | None = None
    receiving_desk: str | None = None
    where: Where = "AT_AGENCY"

    @property
    def via_desk(self) -> bool:
        """Whether a desk other than the agency's own received it (the dossier travels)."""
        return self.receiving_desk is not None

    def after(self, event: DossierEvent) -> Placement:
        """The placement after ``event`` (events of no transfer leave it as it is)."""
        kind = event.event_type
        if kind == "DOSSIER_SUBMITTED":
            p = event.payload_as(DossierSubmitted)
            desk = p.get("receiving_desk")
            return Placement(p["agency_code"], desk, "AT_AGENCY" if desk is None else "AT_DESK")
        where = _MOVES.get(kind)
        if where is None:
            return self
        if kind == "AGENCY_TRANSFERRED":
            to = event.payload_as(AgencyTransferred)["to_agency_code"]
            return replace(self, competent_agency=to, where=where)
        return replace(self, where=where)


def placement_of(events: Iterable[DossierEvent]) -> Placement:
    """The placement after ``events`` (one dossier's, in order)."""
    placement = Placement()
    for event in events:
        placement = placement.after(event)
    return placement
