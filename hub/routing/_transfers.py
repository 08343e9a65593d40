"""Routing of the transfer steps between a receiving desk and the competent agency (pure).

Acceptance anywhere in the province (DOMAIN.md §7, ``hub.dossier.Placement``): a desk receives a
dossier for another agency, forwards it, and returns the result the agency sends back. Paper
travels by VNPost only when it must: the step's ``method`` is POSTAL *and* the two ends are in
different places (province and district, ``PostalContact.place``, of the desk and of the agency
directory's entry); a desk and an agency in the same district hand it over themselves. The
orders are office-to-office legs of their own ``PostalDirection`` (``DESK_TO_AGENCY``,
``AGENCY_TO_AGENCY``, ``AGENCY_TO_DESK``), never the applicant's intake or return that QĐ 45
counts; VNPost carries each as a consignment collected at one office and delivered to the other,
without cash on delivery (fees are paid at the desk that returns the result). Their order number
is the dossier's, as every order of the hub, so a dossier whose applicant asked for postal intake
(the pickup then goes straight to the agency) or postal return (the agency delivers to the
applicant) has no desk leg by post.

* ``DossierForwarded`` (POSTAL, places differ) -> ``DESK_TO_AGENCY``;
* ``AgencyTransferred`` -> the new agency in the state (DonViXuLy re-synced to the national
  portal by ``_rules``); an open desk leg carrying the dossier (``forward_by_post``) is cancelled
  and ordered again from the receiving desk to the new agency; a dossier already at the old agency
  travels ``AGENCY_TO_AGENCY`` when the step says POSTAL and the places differ;
* ``ResultForwarded`` (POSTAL, places differ) -> ``AGENCY_TO_DESK``.

A desk the directory does not list cannot be given an order: the outcome says
``postal_unaddressed`` and the other commands still flow, as for an applicant without address.
"""

from __future__ import annotations

from typing import Final

from hub.dossier import DeskDirectory, DossierEvent
from hub.records import (
    AgencyTransferred,
    DossierForwarded,
    Party,
    PostalDirection,
    ResultForwarded,
    RoutingState,
)
from hub.routing._agencies import AgencyContact, AgencyDirectory
from hub.routing._commands import Command, postal_cancel, postal_order

#: The transfer events (their placement moves, their status does not).
TRANSFER_EVENTS: Final = frozenset({"DOSSIER_FORWARDED", "DOSSIER_RECEIVED_BY_AGENCY",
                                    "RESULT_FORWARDED", "RESULT_RECEIVED_BY_DESK",
                                    "AGENCY_TRANSFERRED"})  # fmt: skip
_UNADDRESSED: Final = "postal_unaddressed"


def agency_transferred(state: RoutingState, step: AgencyTransferred) -> None:
    """The new competent agency, written into ``state`` (its catalogue name was the old one's)."""
    state["agency_code"] = step["to_agency_code"]
    state["agency_name"] = None


#: The commands of a transfer step and, when an order could not be made, why (the outcome).
Orders = tuple[tuple[Command, ...], str | None]
NO_ORDERS: Final[Orders] = ((), None)


class TransferPostal:
    """The postal commands of the transfer steps, with the desks' and agencies' addresses."""

    def __init__(self, agencies: AgencyDirectory, desks: DeskDirectory) -> None:
        self.agencies = agencies
        self.desks = desks

    def commands(self, before: RoutingState, new: RoutingState, event: DossierEvent) -> Orders:
        """The orders ``event`` calls for (``new`` records them), and why one could not be made."""
        kind = event.event_type
        if kind == "DOSSIER_FORWARDED":
            return self._forward(new, event.payload_as(DossierForwarded)["method"])
        if kind == "AGENCY_TRANSFERRED":
            return self._retarget(before, new, event.payload_as(AgencyTransferred))
        if kind == "RESULT_FORWARDED":
            return self._result(new, event.payload_as(ResultForwarded)["method"])
        return NO_ORDERS

    def _agency(self, state: RoutingState) -> AgencyContact:
        return self.agencies.contact(str(state["agency_code"]))

    def _forward(self, new: RoutingState, method: str, sender: Party | None = None) -> Orders:
        """A leg to the competent agency from ``sender``, the old agency (None: from the
        receiving desk, when the two are in different places)."""
        if method != "POSTAL" or new["postal_intake"]:
            return NO_ORDERS
        agency = self._agency(new)
        direction: PostalDirection = "DESK_TO_AGENCY"
        if sender is None:
            desk = self.desks.get(new["receiving_desk"])
            if desk is None:
                return (), _UNADDRESSED
            if desk.contact.place == agency.place:
                return NO_ORDERS
            sender = desk.contact.party()
        else:
            direction = "AGENCY_TO_AGENCY"
        new["pickup_ordered"] = new["pickup_open"] = new["forward_by_post"] = True
        order = postal_order(new, direction, sender, agency.party(new["agency_name"]))
        return (Command("postal-forward", order),), None

    def _retarget(self, before: RoutingState, new: RoutingState, step: AgencyTransferred) -> Orders:
        agency_transferred(new, step)
        if before["pickup_open"] and before["forward_by_post"]:
            # the paper is still with VNPost's pickup: cancelled, then ordered to the new agency
            new["pickup_open"] = new["forward_by_post"] = False
            reason = f"Chuyển cơ quan giải quyết: {step['reason']}"
            again, why = self._forward(new, "POSTAL")
            # VNPost cancels by order number and service: either office leg to an agency
            # (DESK_TO_AGENCY or AGENCY_TO_AGENCY, both its pickups) names the same order
            cancel = postal_cancel(new, reason, "DESK_TO_AGENCY")
            return (Command("postal-cancel-forward", cancel), *again), why
        if step["method"] != "POSTAL":
            return NO_ORDERS
        old = self.agencies.contact(step["from_agency_code"])
        if old.place == self._agency(new).place:
            return NO_ORDERS
        return self._forward(new, "POSTAL", sender=old.party())

    def _result(self, new: RoutingState, method: str) -> Orders:
        if method != "POSTAL" or new["postal_return"] or new["result_forward_ordered"]:
            return NO_ORDERS
        desk = self.desks.get(new["receiving_desk"])
        if desk is None:
            return (), _UNADDRESSED
        agency = self._agency(new)
        if desk.contact.place == agency.place:
            return NO_ORDERS
        new["result_forward_ordered"] = True
        order = postal_order(new, "AGENCY_TO_DESK", agency.party(new["agency_name"]),
                             desk.contact.party())  # fmt: skip
        return (Command("postal-result-forward", order),), None
