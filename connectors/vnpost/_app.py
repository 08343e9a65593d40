"""The callback app: VNPost's NotifyStatus callbacks in, PostalStatusChanged events out.

``POST /vnpost/callback`` checks, in this order, each refusal a SOAP 1.1 Fault before any later
work and nothing produced: content type text/xml (415), size while streaming (413), XML that
is a SOAP 1.1 envelope with no DOCTYPE (400), the WS-Security UsernameToken (500, wsse:...),
the operation and the schema (500, Client), the waybill's S10 check digit and the notice's
coherence (500, Client), an order the hub created with this waybill and this order number
(500, Client UNKNOWN_ORDER / ORDER_MISMATCH, after a bounded wait for the orders view: see
``_orders``), a callback id reused with other content (500, Client); then it produces the
events, waits for the broker (500 Server "retry" on timeout) and only then answers ACCEPTED.
A callback id already produced is answered DUPLICATE without producing. Lifespan, ``/ready``,
acknowledged publishing and the dedupe by callback id are the inbound shell's
(``connectors.common.InboundShell``).
``GET /vnpost/callback?wsdl`` serves the WSDL with this endpoint's configured address
(``DVC_VNPOST_PUBLIC_URL``); ``/ready`` and ``/metrics`` as every hub process. Logs carry
outcomes, waybills and order numbers only: never addresses, phones, names, notes or secrets.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response

from connectors.common import (
    DedupeSpec,
    IdConflict,
    InboundShell,
    InboundSpec,
    NotAcknowledged,
    RequestRefused,
    read_capped,
)
from connectors.vnpost._callbacks import CALLBACK_IDS_SUFFIX, StatusNotice, read_notice, to_events
from connectors.vnpost._config import CALLBACK_PATH, VnpostConfig
from connectors.vnpost._metrics import CONTENT_TYPE_LATEST, CallbackMetrics
from connectors.vnpost._orders import SentOrders
from connectors.vnpost._soap import (
    CONTENT_TYPE,
    SoapFault,
    client_fault,
    element,
    envelope,
    fault_envelope,
    parse_envelope,
    tns,
    validate,
    wsdl_document,
)
from connectors.vnpost._waybill import waybill_problem
from connectors.vnpost._wsse import Clock, UsernameTokenVerifier
from hub.materialized import TopicFollower
from hub.serde import RegistryClient, serde_for
from hub.settings import Settings
from hub.topics import DOSSIER_EVENTS, PARTNER_OUTCOMES

log = logging.getLogger("connectors.vnpost.callbacks")


@dataclass(frozen=True)
class CallbackViews:
    """The orders the hub created, which a callback is checked against."""

    orders: SentOrders

    def followers(self) -> Sequence[TopicFollower]:
        return (self.orders,)


class CallbackApp:
    """Configuration, verifier, metrics and the inbound shell; its methods are the handlers."""

    def __init__(
        self,
        settings: Settings,
        config: VnpostConfig,
        registry: RegistryClient | None,
        clock: Clock | None = None,
    ) -> None:
        self.settings = settings
        self.config = config
        self.verifier = UsernameTokenVerifier(
            config.callback_credentials(),
            window_s=config.replay_window_s,
            skew_s=config.clock_skew_s,
            nonce_capacity=config.nonce_capacity,
            **({"clock": clock} if clock is not None else {}),
        )
        self.metrics = CallbackMetrics()
        spec = InboundSpec(
            "vnpost-callbacks",
            produces=(DOSSIER_EVENTS,),
            ack_timeout_s=config.ack_timeout_s,
            threads=config.produce_threads,
            # The endpoint may start before any outbox: the topic it follows must exist.
            follows=(PARTNER_OUTCOMES,),
            dedupe=DedupeSpec(
                CALLBACK_IDS_SUFFIX, config.dedupe_retention_days, config.dedupe_capacity
            ),
            start_timeout_s=config.start_timeout_s,
        )
        self.shell = InboundShell(
            settings,
            spec,
            registry,
            self._views,
            on_marker_failure=self.metrics.marker_failures.inc,
        )
        if config.uses_dev_secrets:
            log.warning("using the local stack's VNPost credentials; set DVC_VNPOST_* secrets")

    def _views(self, registry: RegistryClient) -> CallbackViews:
        serde = serde_for(PARTNER_OUTCOMES, self.settings.topic_prefix, registry)
        return CallbackViews(SentOrders(self.settings, serde))

    # -- POST /vnpost/callback ---------------------------------------------------------------
    async def callback(self, request: Request) -> Response:
        try:
            result, notice = await self._callback(request)
        except SoapFault as fault:
            self.metrics.callbacks.labels(fault.outcome).inc()
            log.info("callback refused (%s): %s", fault.outcome, fault.code)
            return Response(fault_envelope(fault), fault.http_status, media_type=CONTENT_TYPE)
        self.metrics.callbacks.labels(result.lower()).inc()
        if result == "ACCEPTED":
            self.metrics.statuses.labels(notice.status).inc()
        log.info(
            "callback %s %s for %s: %s", notice.waybill_number, notice.status,
            notice.order_number, result.lower(),
        )  # fmt: skip
        reply = element(
            "NotifyStatusResponse",
            element("CallbackId", text=notice.callback_id),
            element("Result", text=result),
        )
        return Response(envelope(reply), 200, media_type=CONTENT_TYPE)

    async def _callback(self, request: Request) -> tuple[str, StatusNotice]:
        _require_soap_media_type(request)
        try:
            body = await read_capped(request, self.config.max_body_bytes)
        except RequestRefused as exc:
            outcome = "too_large" if exc.status == 413 else "malformed"
            raise SoapFault("Client", exc.detail, outcome=outcome, http_status=exc.status) from exc
        parsed = parse_envelope(body)
        self.verifier.verify(parsed.header)
        if parsed.payload.tag != tns("NotifyStatusRequest"):
            raise client_fault(
                f"no operation {parsed.operation} at this endpoint; it serves NotifyStatus",
                error_code="UNKNOWN_OPERATION",
            )
        validate(parsed.payload)
        notice = read_notice(parsed.payload)
        problem = waybill_problem(notice.waybill_number)
        if problem is not None:
            raise client_fault(
                f"WaybillNumber {notice.waybill_number}: {problem}",
                outcome="bad_waybill",
                error_code="INVALID_WAYBILL",
            )
        try:
            runtime = self.shell.runtime
        except NotAcknowledged as exc:
            raise SoapFault("Server", f"{exc}; retry", outcome="not_acknowledged") from exc
        await runtime.views.orders.check(notice, self.config.order_wait_s)
        try:
            claim = await self.shell.publish_once([notice.marker], lambda _: self._produce(notice))
        except IdConflict as exc:
            raise client_fault(
                f"CallbackId {notice.callback_id} was used before with other content",
                outcome="conflict",
                error_code="IDEMPOTENCY_CONFLICT",
            ) from exc
        return ("ACCEPTED" if claim.is_new(notice.callback_id) else "DUPLICATE"), notice

    async def _produce(self, notice: StatusNotice) -> None:
        events = to_events(notice, recorded_at=datetime.now(UTC))
        keyed = [(notice.dossier_id, event) for event in events]
        try:
            with self.metrics.produce_seconds.time():
                await self.shell.publish(DOSSIER_EVENTS, keyed)
        except NotAcknowledged as exc:
            log.warning("callback events not acknowledged, answering a Server fault: %s", exc)
            raise SoapFault(
                "Server",
                "the hub could not store the notification in time; send it again",
                outcome="not_acknowledged",
            ) from exc

    # -- the rest ----------------------------------------------------------------------------
    def wsdl(self, request: Request) -> Response:
        # the configured address: a Host header is the caller's to choose
        document = wsdl_document(self.config.callback_address, service="PostalCallbackService")
        return Response(document, media_type=CONTENT_TYPE)

    async def ready(self) -> JSONResponse:
        readiness = await self.shell.readiness()
        started = self.shell.started
        orders = len(started.views.orders) if started is not None else 0
        return JSONResponse({**readiness.body(), "orders": orders}, readiness.status_code)


def _require_soap_media_type(request: Request) -> None:
    declared = (request.headers.get("content-type") or "").split(";")[0].strip().lower()
    if declared != "text/xml":
        raise SoapFault(
            "Client",
            f"unsupported Content-Type {declared or 'none'!r}; SOAP 1.1 is sent as text/xml",
            outcome="unsupported_media_type",
            http_status=415,
        )


def build_app(callbacks: CallbackApp) -> FastAPI:
    app = FastAPI(
        title="dvc-hub VNPost callback endpoint",
        version="1.0.0",
        lifespan=callbacks.shell.lifespan,
        openapi_url=None,
        docs_url=None,
        redoc_url=None,
    )
    app.state.callbacks = callbacks

    @app.post(CALLBACK_PATH)
    async def notify_status(request: Request) -> Response:
        return await callbacks.callback(request)

    @app.get(CALLBACK_PATH)
    async def wsdl(request: Request) -> Response:
        if "wsdl" not in {key.lower() for key in request.query_params}:
            return Response("GET ?wsdl for the WSDL", status_code=404)
        return callbacks.wsdl(request)

    @app.get("/ready")
    async def ready() -> JSONResponse:
        return await callbacks.ready()

    @app.get("/metrics")
    async def metrics() -> Response:
        return Response(callbacks.metrics.render(), media_type=CONTENT_TYPE_LATEST)

    return app


def create_callback_app(
    settings: Settings | None = None,
    config: VnpostConfig | None = None,
    *,
    registry: RegistryClient | None = None,
    clock: Clock | None = None,
) -> FastAPI:
    """The callback endpoint app; Kafka and the registry are first used at start-up.

    ``registry`` shares a registry client (not closed at shutdown); ``clock`` replaces the
    verifier's clock (tests). ``ValueError`` for a malformed DVC_VNPOST_CALLBACK_USERS.
    """
    from hub.settings import get_settings

    return build_app(
        CallbackApp(settings or get_settings(), config or VnpostConfig(), registry, clock)
    )
