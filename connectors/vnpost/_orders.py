"""The postal orders the hub created, by waybill: what a NotifyStatus callback is checked against.

The outbox's VNPost client creates an order and the outbox records the outcome on
``<prefix>partner.outcomes`` (key = dossier id): partner ``vnpost``, command ``POSTAL_ORDER``,
outcome ``ACCEPTED``, ``partner_reference`` = the waybill VNPost gave it. The hub creates every
order with the dossier number as its order number (``hub.routing``), so that dossier id is the
only OrderNumber a callback about the waybill may carry. ``SentOrders`` follows the topic
(``hub.materialized.TopicFollower``, the same follower the bank IPN uses for what the hub asked
for) into waybill -> dossier id.

``check(notice)`` is the callback's gate. A waybill not in the view yet may be an order whose
outcome the view has not read (the outbox wrote it a moment ago): the check waits, at most
``wait_s``, for the view to apply the topic up to its end as it is after the callback arrived,
and only then calls the waybill unknown. If the view cannot catch up in that time the
answer is a Server fault ("send it again"): an unknown order cannot be told from a lagging view.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from connectors.vnpost._callbacks import StatusNotice
from connectors.vnpost._client import PARTNER, POSTAL_ORDER
from connectors.vnpost._soap import SoapFault, client_fault
from hub.materialized import TopicFollower
from hub.serde import AvroSerde, DecodeError
from hub.settings import Settings
from hub.topics import PARTNER_OUTCOMES

log = logging.getLogger("connectors.vnpost.callbacks")

#: The PartnerOutcomeKind of a command the partner took.
ACCEPTED = "ACCEPTED"
#: How often a waiting callback looks whether the view caught up (the wait itself is bounded).
_POLL_S = 0.02


@dataclass(frozen=True)
class SentOrder:
    """One order the hub created at VNPost."""

    waybill_number: str
    dossier_id: str


class SentOrders(TopicFollower):
    """waybill -> the order the hub created with it, kept current by a thread following
    ``partner.outcomes``. Written by the follower thread, read by the event loop: single dict
    operations only."""

    def __init__(self, settings: Settings, serde: AvroSerde) -> None:
        topic = PARTNER_OUTCOMES.name(settings.topic_prefix)
        super().__init__(settings, topic, what="VNPost orders")
        self.undecodable = 0
        self._serde = serde
        self._by_waybill: dict[str, SentOrder] = {}

    def __len__(self) -> int:
        return len(self._by_waybill)

    def get(self, waybill_number: str) -> SentOrder | None:
        return self._by_waybill.get(waybill_number)

    def apply(self, key: bytes | None, value: bytes | None) -> None:
        """One PartnerOutcome; only VNPost's accepted postal orders are kept."""
        if value is None:
            return
        try:
            outcome = self._serde.decode(value)
        except DecodeError as exc:
            self.undecodable += 1
            log.warning("skipping an undecodable record of %s: %s", self.topic, exc)
            return
        waybill = outcome.get("partner_reference")
        if (
            outcome.get("partner") == PARTNER
            and outcome.get("command_type") == POSTAL_ORDER
            and outcome.get("outcome") == ACCEPTED
            and waybill
        ):
            order = SentOrder(str(waybill), str(outcome["dossier_id"]))
            self._by_waybill[order.waybill_number] = order

    async def check(self, notice: StatusNotice, wait_s: float) -> SentOrder:
        """The order ``notice`` is about, if the hub created it with that order number; else a
        ``SoapFault`` (Client: unknown waybill or another order number; Server: the view could
        not catch up within ``wait_s``)."""
        order = self.get(notice.waybill_number)
        if order is None:
            # Not refused on a miss alone: the view may lag an order created moments ago.
            await self._caught_up(wait_s)
            order = self.get(notice.waybill_number)
        if order is None:
            raise client_fault(
                f"WaybillNumber {notice.waybill_number}: no order the hub created has this waybill",
                outcome="unknown_order",
                error_code="UNKNOWN_ORDER",
            )
        if order.dossier_id != notice.order_number:
            # The caller's order number only: the real one is not the caller's to learn.
            raise client_fault(
                f"OrderNumber {notice.order_number} is not the order the hub created with "
                f"WaybillNumber {notice.waybill_number}",
                outcome="order_mismatch",
                error_code="ORDER_MISMATCH",
            )
        return order

    async def _caught_up(self, wait_s: float) -> None:
        reached = self.catch_up()
        deadline = asyncio.get_running_loop().time() + wait_s
        # The follower thread sets a threading.Event: polled, so that no executor thread is
        # held per waiting callback.
        while not reached.is_set():
            if asyncio.get_running_loop().time() >= deadline:
                raise SoapFault(
                    "Server",
                    "the hub could not check the order in time; send the notification again",
                    outcome="orders_lagging",
                )
            await asyncio.sleep(_POLL_S)
