"""The five transfer events of acceptance anywhere in the province (docs/desks.md, #22.1).

A desk receives a dossier for another agency, forwards it (``DossierForwarded``), the agency
receives it (``DossierReceivedByAgency``), may pass it to another competent agency
(``AgencyTransferred``), sends the result back (``ResultForwarded``) and the desk receives it
(``ResultReceivedByDesk``). Payload models mirror ``schemas/vn.dvchub.event.<Name>.avsc``;
their rules across fields and events are in ``_transfer_rules``.
"""

from __future__ import annotations

from typing import Literal

from connectors.portal._records import EventEnvelope, StrictModel
from connectors.portal._types import AgencyCode, LongText, TransferMethodSymbol


# -- payloads (vn.dvchub.event.*) ------------------------------------------------------------
class DossierForwarded(StrictModel):
    """The receiving desk sent the dossier to the competent agency."""

    desk_code: AgencyCode
    agency_code: AgencyCode
    method: TransferMethodSymbol


class DossierReceivedByAgency(StrictModel):
    """The competent agency received the dossier from the desk."""

    agency_code: AgencyCode


class AgencyTransferred(StrictModel):
    """The competent agency changed (hồ sơ chuyển cơ quan có thẩm quyền)."""

    from_agency_code: AgencyCode
    to_agency_code: AgencyCode
    reason: LongText
    method: TransferMethodSymbol


class ResultForwarded(StrictModel):
    """The competent agency sent the result to the receiving desk."""

    agency_code: AgencyCode
    desk_code: AgencyCode
    method: TransferMethodSymbol


class ResultReceivedByDesk(StrictModel):
    """The receiving desk has the result and returns it to the applicant."""

    desk_code: AgencyCode


# -- envelopes -------------------------------------------------------------------------------
class DossierForwardedEvent(EventEnvelope):
    """A DossierForwarded event (payload vn.dvchub.event.DossierForwarded)."""

    event_type: Literal["DossierForwarded"]
    payload: DossierForwarded


class DossierReceivedByAgencyEvent(EventEnvelope):
    """A DossierReceivedByAgency event (payload vn.dvchub.event.DossierReceivedByAgency)."""

    event_type: Literal["DossierReceivedByAgency"]
    payload: DossierReceivedByAgency


class AgencyTransferredEvent(EventEnvelope):
    """An AgencyTransferred event (payload vn.dvchub.event.AgencyTransferred)."""

    event_type: Literal["AgencyTransferred"]
    payload: AgencyTransferred


class ResultForwardedEvent(EventEnvelope):
    """A ResultForwarded event (payload vn.dvchub.event.ResultForwarded)."""

    event_type: Literal["ResultForwarded"]
    payload: ResultForwarded


class ResultReceivedByDeskEvent(EventEnvelope):
    """A ResultReceivedByDesk event (payload vn.dvchub.event.ResultReceivedByDesk)."""

    event_type: Literal["ResultReceivedByDesk"]
    payload: ResultReceivedByDesk


TransferEvent = (
    DossierForwardedEvent
    | DossierReceivedByAgencyEvent
    | AgencyTransferredEvent
    | ResultForwardedEvent
    | ResultReceivedByDeskEvent
)
TRANSFER_EVENT_TYPES: tuple[str, ...] = (
    "DossierForwarded", "DossierReceivedByAgency", "AgencyTransferred", "ResultForwarded",
    "ResultReceivedByDesk",
)  # fmt: skip
