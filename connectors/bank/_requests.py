"""The payment requests the hub stored, by payment reference: ``dvc.payments`` followed in
memory (the payments processor's compacted PaymentState per dossier).

A callback is checked against this: its reference must be here (else "order not found", and
the provider retries — also when the callback beat the hub to storing the request) and its
amount must equal the request's.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from hub.materialized import TopicFollower
from hub.serde import AvroSerde, DecodeError
from hub.settings import Settings
from hub.topics import PAYMENTS

log = logging.getLogger("connectors.bank")

#: Statuses after a confirmed payment: a callback for one is "already confirmed".
SETTLED_STATUSES = frozenset({"PAID", "REFUND_REQUESTED", "REFUNDED"})


@dataclass(frozen=True)
class RequestedPayment:
    """One payment request as the payments processor last folded it."""

    dossier_id: str
    payment_reference: str
    amount_vnd: int
    provider: str | None
    status: str
    provider_transaction_id: str | None

    @property
    def settled(self) -> bool:
        return self.status in SETTLED_STATUSES


class PaymentRequests(TopicFollower):
    """payment reference -> RequestedPayment, kept current by a thread following the topic.

    Written by the follower thread, read by the event loop: single dict operations only.
    """

    def __init__(self, settings: Settings, serde: AvroSerde) -> None:
        super().__init__(settings, PAYMENTS.name(settings.topic_prefix), what="payment requests")
        self.undecodable = 0
        self._serde = serde
        self._by_reference: dict[str, RequestedPayment] = {}
        self._by_dossier: dict[str, frozenset[str]] = {}

    def __len__(self) -> int:
        return len(self._by_reference)

    def get(self, payment_reference: str) -> RequestedPayment | None:
        return self._by_reference.get(payment_reference)

    def apply(self, key: bytes | None, value: bytes | None) -> None:
        """One PaymentState record (or tombstone) of dossier ``key``."""
        if key is None:
            return
        dossier_id = key.decode("utf-8", "replace")
        payments: dict[str, RequestedPayment] = {}
        if value is not None:
            try:
                state = self._serde.decode(value)
            except DecodeError as exc:
                self.undecodable += 1
                log.warning("skipping an undecodable record of %s: %s", self.topic, exc)
                return
            for payment in state["payments"]:
                reference = str(payment["payment_reference"])
                payments[reference] = RequestedPayment(
                    dossier_id=str(state["dossier_id"]),
                    payment_reference=reference,
                    amount_vnd=int(payment["amount_vnd"]),
                    provider=payment.get("provider"),
                    status=str(payment.get("status") or "UNKNOWN"),
                    provider_transaction_id=payment.get("provider_transaction_id"),
                )
        for reference in self._by_dossier.get(dossier_id, frozenset()) - payments.keys():
            self._by_reference.pop(reference, None)
        self._by_reference.update(payments)
        self._by_dossier[dossier_id] = frozenset(payments)
