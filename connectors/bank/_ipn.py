"""The IPN endpoints: ``POST /v1/ipn/paygov``, ``GET``/``POST /v1/ipn/vnpay``, ``/ready``,
``/metrics``.

Every callback is checked in this order, each refusal before any later work:

1. size (413 body / 414 query) and parse (``_params``): a flat object of strings (malformed)
2. checksum, in constant time (invalid signature)
3. timestamp within ``max_callback_age_s`` in the past and ``max_callback_future_s`` ahead
   (refused); a transaction id already confirmed — a replay — is "already confirmed"
4. the payment reference in ``dvc.payments`` (order not found: the provider retries, which
   also covers a callback that beat the hub to storing the request), for this provider
5. the amount equals the request's (invalid amount; one PaymentFailed WRONG_AMOUNT)
6. under a lock per payment reference: already confirmed -> "already confirmed"; a declined
   payment -> one PaymentFailed DECLINED; else FeePaid to dossier.events (key = dossier id,
   event id ``fee_paid_event_id``) and then the confirmation marker, each acknowledged by the
   broker, and only then "confirmed". No acknowledgement -> the provider's retry code.

Lifespan, ``/ready`` and acknowledged publishing are the inbound shell's
(``connectors.common.InboundShell``); its views are the payment requests and the settled
markers. Blocking Kafka calls run in its thread pool, never on the event loop.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response

from connectors.bank._config import BankConfig
from connectors.bank._dialect import Dialect
from connectors.bank._errors import BadSignature, MalformedMessage
from connectors.bank._facts import (
    SOURCE,
    callback_fee_paid,
    fee_paid_event_id,
    payment_failed_event_id,
    payment_failed_payload,
)
from connectors.bank._locks import KeyedLocks
from connectors.bank._messages import Callback, Outcome, Status
from connectors.bank._metrics import CONTENT_TYPE_LATEST, IpnMetrics
from connectors.bank._params import callback_params
from connectors.bank._protocols import dialects
from connectors.bank._requests import PaymentRequests, RequestedPayment
from connectors.bank._settled import Marker, SettledMarkers, ensure_settled_topic, failure_key
from connectors.common import (
    InboundShell,
    InboundSpec,
    NotAcknowledged,
    RequestRefused,
)
from hub.events import new_event
from hub.materialized import TopicFollower
from hub.serde import RegistryClient, serde_for
from hub.settings import Settings, get_settings
from hub.topics import DOSSIER_EVENTS, PAYMENTS

log = logging.getLogger("connectors.bank")


@dataclass(frozen=True)
class IpnViews:
    """What the hub asked for (``dvc.payments``) and what the IPN already settled."""

    requests: PaymentRequests
    settled: SettledMarkers

    def followers(self) -> Sequence[TopicFollower]:
        return (self.settled, self.requests)


class IpnApp:
    """Configuration, metrics and the inbound shell of the IPN endpoints; its methods are the
    handlers."""

    def __init__(
        self,
        settings: Settings,
        config: BankConfig,
        registry: RegistryClient | None,
        clock: Callable[[], datetime],
    ) -> None:
        self.settings = settings
        self.config = config
        self.dialects = dialects(config)
        self.metrics = IpnMetrics()
        self.locks = KeyedLocks()
        self._clock = clock
        spec = InboundSpec(
            "bank-ipn",
            produces=(DOSSIER_EVENTS,),
            ack_timeout_s=config.ack_timeout_s,
            threads=config.produce_threads,
            follows=(PAYMENTS,),
            start_timeout_s=config.start_timeout_s,
        )
        self.shell = InboundShell(settings, spec, registry, self._views)
        for dialect in self.dialects.values():
            if dialect.settings.uses_dev_secret:
                log.warning("%s uses the local stack's development secret", dialect.name)

    def _views(self, registry: RegistryClient) -> IpnViews:
        ensure_settled_topic(self.settings)
        serde = serde_for(PAYMENTS, self.settings.topic_prefix, registry)
        return IpnViews(PaymentRequests(self.settings, serde), SettledMarkers(self.settings))

    # -- callbacks -----------------------------------------------------------------------------
    async def callback(self, provider: str, request: Request) -> JSONResponse:
        dialect = self.dialects[provider]
        started = time.perf_counter()
        try:
            outcome = await self._decide(dialect, request)
        except RequestRefused as exc:
            _, body = dialect.ipn_reply(Outcome.MALFORMED)
            self.metrics.callbacks.labels(provider, Outcome.MALFORMED.value).inc()
            return JSONResponse(body, status_code=exc.status)
        except NotAcknowledged as exc:
            self.metrics.not_acknowledged.inc()
            log.warning("%s callback not recorded, answering retry: %s", provider, exc)
            outcome = Outcome.RETRY
        self.metrics.callbacks.labels(provider, outcome.value).inc()
        self.metrics.callback_seconds.labels(provider).observe(time.perf_counter() - started)
        status, body = dialect.ipn_reply(outcome)
        return JSONResponse(body, status_code=status)

    async def _decide(self, dialect: Dialect, request: Request) -> Outcome:
        try:
            params = await callback_params(dialect.name, request, self.config.max_body_bytes)
            callback = dialect.decode(Callback, params)
        except BadSignature:
            log.info("%s callback with an invalid checksum", dialect.name)
            return Outcome.INVALID_SIGNATURE
        except MalformedMessage as exc:
            log.info("malformed %s callback: %s", dialect.name, exc)
            return Outcome.MALFORMED
        if not self._fresh(dialect, callback):
            log.info(
                "%s callback for %s refused: stale or future",
                dialect.name,
                callback.payment_reference,
            )
            return Outcome.REFUSED
        try:
            views = self.shell.runtime.views
        except NotAcknowledged:  # starting: the provider's retry code, nothing recorded
            return Outcome.RETRY
        if views.settled.transaction_confirmed(dialect.name, callback.transaction_id):
            return await self._already(views, callback.payment_reference)
        requested = views.requests.get(callback.payment_reference)
        if requested is None or (requested.provider not in (None, dialect.name)):
            return Outcome.ORDER_NOT_FOUND
        async with self.locks.hold(callback.payment_reference):
            requested = views.requests.get(callback.payment_reference) or requested
            settled = requested.settled or bool(
                views.settled.confirmed(requested.payment_reference)
            )
            if callback.amount_vnd != requested.amount_vnd:
                if not settled:
                    await self._record_failure(
                        views, dialect, callback, requested, "WRONG_AMOUNT",
                        f"{dialect.name} reported {callback.amount_vnd} VND, "
                        f"the request is for {requested.amount_vnd} VND",
                    )  # fmt: skip
                return Outcome.INVALID_AMOUNT
            if settled:
                return await self._already(views, callback.payment_reference)
            if callback.status is not Status.PAID:
                await self._record_failure(
                    views, dialect, callback, requested, "DECLINED", f"{dialect.name}: declined"
                )
                return Outcome.CONFIRMED
            await self._confirm(views, dialect, callback, requested)
            return Outcome.CONFIRMED

    def _fresh(self, dialect: Dialect, callback: Callback) -> bool:
        now = self._clock()
        oldest = now - timedelta(seconds=dialect.settings.max_callback_age_s)
        newest = now + timedelta(seconds=self.config.max_callback_future_s)
        return oldest <= callback.timestamp <= newest

    async def _already(self, views: IpnViews, reference: str) -> Outcome:
        """ "Already confirmed", once the confirmation's marker is on the broker."""
        unwritten = views.settled.unwritten(reference)
        if unwritten is not None:
            await self._write_marker(views, unwritten)
        return Outcome.ALREADY_CONFIRMED

    async def _confirm(
        self, views: IpnViews, dialect: Dialect, callback: Callback, requested: RequestedPayment
    ) -> None:
        reference, transaction = callback.payment_reference, callback.transaction_id
        event_id = fee_paid_event_id(reference, transaction)
        event = new_event(
            requested.dossier_id,
            "FeePaid",
            callback_fee_paid(dialect, callback),
            source=SOURCE,
            occurred_at=callback.paid_at,
            event_id=event_id,
        )
        await self.shell.publish(DOSSIER_EVENTS, [(requested.dossier_id, event)])
        self.metrics.events.labels(dialect.name, "FeePaid").inc()
        marker = Marker.paid(dialect.name, reference, transaction, requested.dossier_id, event_id)
        views.settled.remember(marker, written=False)
        log.info(
            "%s payment %s confirmed (dossier %s)", dialect.name, reference, requested.dossier_id
        )
        await self._write_marker(views, marker)

    async def _write_marker(self, views: IpnViews, marker: Marker) -> None:
        await self.shell.publish_bytes(views.settled.topic, [(marker.key, marker.to_value())])
        views.settled.remember(marker, written=True)

    async def _record_failure(
        self,
        views: IpnViews,
        dialect: Dialect,
        callback: Callback,
        requested: RequestedPayment,
        reason_code: str,
        reason: str,
    ) -> None:
        """One PaymentFailed per (reference, transaction, reason), however often it is sent."""
        reference, transaction = callback.payment_reference, callback.transaction_id
        if views.settled.failure_recorded(failure_key(reference, transaction, reason_code)):
            return
        event_id = payment_failed_event_id(reference, transaction, reason_code)
        event = new_event(
            requested.dossier_id,
            "PaymentFailed",
            payment_failed_payload(reference, reason_code, reason),
            source=SOURCE,
            occurred_at=self._clock(),
            event_id=event_id,
        )
        await self.shell.publish(DOSSIER_EVENTS, [(requested.dossier_id, event)])
        self.metrics.events.labels(dialect.name, "PaymentFailed").inc()
        marker = Marker.failed(
            reason_code, dialect.name, reference, transaction, requested.dossier_id, event_id
        )
        views.settled.remember(marker, written=False)
        try:
            await self._write_marker(views, marker)
        except NotAcknowledged as exc:  # the event id still dedupes a second one downstream
            log.warning("failure marker not acknowledged: %s", exc)

    # -- readiness and metrics -----------------------------------------------------------------
    async def ready(self) -> JSONResponse:
        readiness = await self.shell.readiness()
        started = self.shell.started
        known = len(started.views.requests) if started is not None else 0
        body = {**readiness.body(), "payment_requests": known}
        return JSONResponse(body, status_code=readiness.status_code)

    def metrics_response(self) -> Response:
        started = self.shell.started
        if started is not None:
            self.metrics.requests_known.set(len(started.views.requests))
        return Response(self.metrics.render(), media_type=CONTENT_TYPE_LATEST)


def build_app(ipn: IpnApp) -> FastAPI:
    app = FastAPI(
        title="dvc-hub payment callbacks (IPN)",
        version="1.0.0",
        description="Payment notifications from paygov and vnpay; see connectors.bank.",
        lifespan=ipn.shell.lifespan,
    )
    app.state.ipn = ipn

    @app.post("/v1/ipn/paygov")
    async def paygov(request: Request) -> JSONResponse:
        """A paygov payment notification (JSON); answered with paygov's codes."""
        return await ipn.callback("paygov", request)

    @app.api_route("/v1/ipn/vnpay", methods=["GET", "POST"])
    async def vnpay(request: Request) -> JSONResponse:
        """A VNPAY payment notification (query string, or form / JSON body)."""
        return await ipn.callback("vnpay", request)

    @app.get("/ready")
    async def ready() -> JSONResponse:
        """200 once both topics are loaded and the broker answers, else 503."""
        return await ipn.ready()

    @app.get("/metrics", response_class=Response)
    async def metrics() -> Response:
        """Prometheus metrics of the IPN endpoints."""
        return ipn.metrics_response()

    return app


def create_ipn_app(
    settings: Settings | None = None,
    config: BankConfig | None = None,
    *,
    registry: RegistryClient | None = None,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> FastAPI:
    """The IPN app; Kafka and the registry are first used at start-up (the lifespan).

    ``registry`` lets a caller share its registry client (it is then not closed at shutdown);
    ``clock`` judges callback staleness.
    """
    return build_app(IpnApp(settings or get_settings(), config or BankConfig(), registry, clock))
