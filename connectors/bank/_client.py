"""``BankClient``: the outbox's partner client for payments (partner ``bank``).

=====================  ======================================================================
command                call and what success means
=====================  ======================================================================
PAYMENT_REQUEST        create the payment at the payload's provider (default: configuration),
                       request id = the command's idempotency key -> PaymentRequestCreated
                       with the payment URL; reference = the provider's payment id
PAYMENT_STATUS_QUERY   query the provider: paid -> FeePaid (event id ``fee_paid_event_id``,
                       as a callback would give), failed -> PaymentFailed DECLINED, else none
PAYMENT_REFUND         refund -> PaymentRefunded
=====================  ======================================================================

A provider answering "other error" is Transient; any other refusal is Permanent, and a create
the outbox gives up on means a PaymentFailed (``failure_events``).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Mapping
from datetime import UTC, datetime

import httpx

from connectors.bank._config import BankConfig
from connectors.bank._errors import UnknownProvider
from connectors.bank._facts import (
    SOURCE,
    fee_paid_event_id,
    fee_paid_payload,
    payment_failed_event_id,
    payment_failed_payload,
)
from connectors.bank._messages import (
    CreatePayment,
    CreateReply,
    QueryPayment,
    QueryReply,
    RefundPayment,
    RefundReply,
    Result,
    Status,
)
from connectors.bank._protocols import dialect_for
from connectors.bank._transport import ProviderTransport
from connectors.outbox import (
    Accepted,
    CallFailed,
    Command,
    EventDraft,
    Permanent,
    Transient,
)

PAYMENT_REQUEST = "PAYMENT_REQUEST"
PAYMENT_STATUS_QUERY = "PAYMENT_STATUS_QUERY"
PAYMENT_REFUND = "PAYMENT_REFUND"
REFERENCE = re.compile(r"[A-Za-z0-9-]{1,34}")


class BankClient:
    """Creates, queries and refunds payments at the providers; blocking and thread-safe."""

    partner = "bank"
    command_types = frozenset({PAYMENT_REQUEST, PAYMENT_STATUS_QUERY, PAYMENT_REFUND})

    def __init__(
        self,
        config: BankConfig | None = None,
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.config = config or BankConfig()
        self._clock = clock
        self._transport = transport
        self._providers: dict[str, ProviderTransport] = {}
        self._lock = threading.Lock()

    def provider(self, name: str) -> ProviderTransport:
        with self._lock:
            found = self._providers.get(name)
            if found is None:
                try:
                    dialect = dialect_for(self.config.provider(name))
                except UnknownProvider as exc:
                    raise Permanent("UNKNOWN_PROVIDER", str(exc)) from exc
                found = self._providers[name] = ProviderTransport(
                    dialect, timeout_s=self.config.http_timeout_s, transport=self._transport
                )
            return found

    def call(self, command: Command, attempt: int) -> Accepted:
        if command.command_type == PAYMENT_REQUEST:
            return self._create(command)
        if command.command_type == PAYMENT_STATUS_QUERY:
            return self._query(command)
        if command.command_type == PAYMENT_REFUND:
            return self._refund(command)
        raise Permanent("UNSUPPORTED_COMMAND", f"bank does not handle {command.command_type}")

    # -- the three calls -----------------------------------------------------------------------
    def _create(self, command: Command) -> Accepted:
        payload = command.payload
        reference = _reference(payload)
        amount = _amount(payload)
        name = str(payload.get("provider") or self.config.default_provider)
        provider = self.provider(name)
        request = CreatePayment(
            request_id=command.idempotency_key,
            payment_reference=reference,
            amount_vnd=amount,
            beneficiary_account=str(payload["beneficiary_account"]),
            description=str(payload.get("description") or reference)[:255],
            return_url=self.config.return_url,
            created_at=self._clock(),
        )
        reply = provider.exchange(request, CreateReply)
        _check(name, reply.result, reference, reply.payment_reference)
        if not reply.payment_id or not reply.payment_url:
            raise Transient("MALFORMED_REPLY", f"{name}: no payment id or URL in the reply")
        created = {
            "payment_reference": reference,
            "amount_vnd": amount,
            "payment_url": reply.payment_url,
            "provider": name,
        }
        return Accepted(reply.payment_id, (EventDraft("PaymentRequestCreated", created, SOURCE),))

    def _query(self, command: Command) -> Accepted:
        payload = command.payload
        reference = _reference(payload)
        name = str(payload.get("provider") or self.config.default_provider)
        provider = self.provider(name)
        request = QueryPayment(command.idempotency_key, reference, self._clock())
        reply = provider.exchange(request, QueryReply)
        _check(name, reply.result, reference, reply.payment_reference)
        if reply.status is Status.PAID:
            if not reply.transaction_id or reply.amount_vnd is None:
                raise Transient("MALFORMED_REPLY", f"{name}: paid without transaction or amount")
            asked = payload.get("amount_vnd")
            if asked is not None and reply.amount_vnd != asked:
                # as a callback with a wrong amount: not confirmed, reported once
                reason = f"{name} reports {reply.amount_vnd} VND paid, the request is for {asked}"
                failed = payment_failed_payload(reference, "WRONG_AMOUNT", reason)
                event_id = payment_failed_event_id(reference, reply.transaction_id, "WRONG_AMOUNT")
                draft = EventDraft("PaymentFailed", failed, SOURCE, event_id)
                return Accepted(reply.payment_id, (draft,))
            paid = fee_paid_payload(
                provider.dialect, reference, reply.transaction_id, reply.amount_vnd
            )
            event_id = fee_paid_event_id(reference, reply.transaction_id)
            # paid when the provider says, as the callback's FeePaid (the same fact, the same id)
            draft = EventDraft("FeePaid", paid, SOURCE, event_id, reply.paid_at)
            return Accepted(reply.payment_id, (draft,))
        if reply.status is Status.FAILED:
            transaction = reply.transaction_id or reply.payment_id or reference
            failed = payment_failed_payload(reference, "DECLINED", f"{name}: payment declined")
            event_id = payment_failed_event_id(reference, transaction, "DECLINED")
            draft = EventDraft("PaymentFailed", failed, SOURCE, event_id)
            return Accepted(reply.payment_id, (draft,))
        return Accepted(reply.payment_id)

    def _refund(self, command: Command) -> Accepted:
        payload = command.payload
        reference = _reference(payload)
        amount = _amount(payload)
        name = str(payload.get("provider") or self.config.default_provider)
        provider = self.provider(name)
        request = RefundPayment(
            request_id=command.idempotency_key,
            payment_reference=reference,
            refund_reference=str(payload["refund_reference"]),
            transaction_id=payload.get("provider_transaction_id"),
            amount_vnd=amount,
            reason=str(payload.get("reason") or "refund")[:255],
            created_at=self._clock(),
        )
        reply = provider.exchange(request, RefundReply)
        _check(name, reply.result, reference, reply.payment_reference)
        refunded = {
            "payment_reference": reference,
            "refund_reference": request.refund_reference,
            "amount_vnd": reply.amount_vnd if reply.amount_vnd is not None else amount,
            "provider": name,
            "provider_transaction_id": reply.refund_transaction_id,
        }
        return Accepted(
            reply.refund_transaction_id, (EventDraft("PaymentRefunded", refunded, SOURCE),)
        )

    def failure_events(
        self, command: Command, error: CallFailed, attempts: int, will_retry: bool
    ) -> tuple[EventDraft, ...]:
        if command.command_type != PAYMENT_REQUEST or will_retry:
            return ()
        reference = str(command.payload.get("payment_reference", ""))
        reason_code = "CREATE_REFUSED" if isinstance(error, Permanent) else "PROVIDER_UNAVAILABLE"
        reason = f"{error.code}: {error.reason}"[:300]
        return (
            EventDraft(
                "PaymentFailed", payment_failed_payload(reference, reason_code, reason), SOURCE
            ),
        )

    def close(self) -> None:
        with self._lock:
            providers, self._providers = self._providers, {}
        for provider in providers.values():
            provider.close()


def _reference(payload: Mapping[str, object]) -> str:
    reference = str(payload.get("payment_reference", ""))
    if not REFERENCE.fullmatch(reference):
        raise Permanent("INVALID_COMMAND", "payment_reference: 1-34 ASCII letters, digits or '-'")
    return reference


def _amount(payload: Mapping[str, object]) -> int:
    amount = payload.get("amount_vnd")
    if not isinstance(amount, int) or isinstance(amount, bool) or amount <= 0:
        raise Permanent("INVALID_COMMAND", "amount_vnd must be a positive whole number of VND")
    return amount


def _check(provider: str, result: Result, reference: str, replied: str) -> None:
    if result is Result.ERROR:
        raise Transient("PROVIDER_ERROR", f"{provider}: other error, retry")
    if result is not Result.OK:
        raise Permanent(result.value, f"{provider}: refused ({result.value})")
    if replied != reference:
        raise Transient("MALFORMED_REPLY", f"{provider}: the reply is for another reference")
