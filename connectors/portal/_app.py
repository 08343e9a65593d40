"""The FastAPI app: routes, the order of checks, and the resources built at start-up.

Every write is checked in this order, each refusal before any later work: API key (401/403),
content type (415), size while streaming (413), JSON syntax (400), contract (422, whole batch),
reused event id (409), then produce and wait for the broker (503 on timeout) before 202/200.
Blocking Kafka and registry calls run in a thread pool, never on the event loop.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Literal

from fastapi import FastAPI, Request, Security
from fastapi.responses import JSONResponse, Response
from fastapi.security import APIKeyHeader

from connectors.common import (
    Claim,
    IdConflict,
    InboundShell,
    InboundSpec,
    NotAcknowledged,
    NoViews,
    RequestRefused,
    read_capped,
    require_json,
)
from connectors.portal import _openapi
from connectors.portal._auth import ApiKeyAuthenticator, AuthError, Endpoint
from connectors.portal._config import PortalConfig
from connectors.portal._mapping import to_dossier_event, to_procedure
from connectors.portal._metrics import CONTENT_TYPE_LATEST, PortalMetrics, RequestCounter
from connectors.portal._models import BatchAccepted, EventOutcome, Health, ProcedureStored
from connectors.portal._validation import (
    InvalidBody,
    MalformedBody,
    ValidEvent,
    parse_json,
    validate_batch,
    validate_procedure,
)
from hub.serde import RegistryClient
from hub.settings import Settings
from hub.topics import CATALOG_PROCEDURES, DOSSIER_EVENTS

log = logging.getLogger("connectors.portal")
API_KEY = APIKeyHeader(name="X-API-Key", auto_error=False, description="Key of a source system.")


class PortalApp:
    """Configuration, metrics and the inbound shell; its methods are the route handlers."""

    def __init__(
        self, settings: Settings, config: PortalConfig, registry: RegistryClient | None
    ) -> None:
        self.settings = settings
        self.config = config
        self.auth = ApiKeyAuthenticator(config.api_keys.get_secret_value())
        self.metrics = PortalMetrics()
        self.desks = config.desks()
        spec = InboundSpec(
            "portal",
            produces=(DOSSIER_EVENTS, CATALOG_PROCEDURES),
            ack_timeout_s=config.ack_timeout_s,
            threads=config.produce_threads,
            dedupe=config.dedupe,
        )
        self.shell = InboundShell(
            settings, spec, registry, lambda _: NoViews(),
            on_marker_failure=self.metrics.marker_failures.inc,
        )  # fmt: skip
        if config.uses_dev_keys:
            log.warning("using the local stack's development API key; set DVC_PORTAL_API_KEYS")

    # -- routes ------------------------------------------------------------------------------
    async def post_events(self, request: Request, api_key: str | None) -> JSONResponse:
        caller = self.auth.authenticate(api_key, Endpoint.EVENTS)
        require_json(request)
        document = parse_json(await read_capped(request, self.config.max_body_bytes))
        batch = validate_batch(
            document,
            max_events=self.config.max_batch_events,
            source=caller.source,
            desks=self.desks,
        )
        claim = await self.shell.publish_once(
            [v.marker for v in batch], lambda fresh: self._produce(fresh, batch, caller.source)
        )
        return self._batch_accepted(claim, batch, caller.source)

    async def _produce(self, claim: Claim, batch: list[ValidEvent], source: str) -> None:
        """Produce the claimed events (each id once, in batch order) and wait for the acks."""
        first_by_id: dict[str, ValidEvent] = {}
        for valid in batch:
            first_by_id.setdefault(valid.event_id, valid)
        recorded_at = datetime.now(UTC)  # one batch, one recording time
        keyed = [
            (
                m.dossier_id,
                to_dossier_event(first_by_id[m.id].event, source=source, recorded_at=recorded_at),
            )
            for m in claim.fresh
        ]
        with self.metrics.produce_seconds.labels("events").time():
            await self.shell.publish(DOSSIER_EVENTS, keyed)

    def _batch_accepted(self, claim: Claim, batch: list[ValidEvent], source: str) -> JSONResponse:
        """202 with each event's outcome in request order; counts it in the metrics."""
        not_yet_answered = {m.id for m in claim.fresh}
        outcomes = []
        for valid in batch:
            fresh = valid.event_id in not_yet_answered
            not_yet_answered.discard(valid.event_id)
            status: Literal["accepted", "duplicate"] = "accepted" if fresh else "duplicate"
            outcomes.append(EventOutcome(event_id=valid.event.event_id, status=status))
            if fresh:
                self.metrics.events_accepted.labels(valid.event.event_type, source).inc()
            else:
                self.metrics.duplicates.labels(source).inc()
        duplicates = len(batch) - len(claim.fresh)
        log.info("accepted %d events, %d duplicates, from %s", len(claim.fresh), duplicates, source)
        body = BatchAccepted(accepted=len(claim.fresh), duplicates=duplicates, events=outcomes)
        return JSONResponse(body.model_dump(mode="json"), status_code=202)

    async def put_procedure(self, code: str, request: Request, api_key: str | None) -> JSONResponse:
        caller = self.auth.authenticate(api_key, Endpoint.PROCEDURES)
        require_json(request)
        document = parse_json(await read_capped(request, self.config.max_body_bytes))
        entry = validate_procedure(code, document)
        updated_at = datetime.now(UTC)
        record = to_procedure(code, entry, updated_at=updated_at)
        with self.metrics.produce_seconds.labels("procedures").time():
            await self.shell.publish(CATALOG_PROCEDURES, [(code, record)])
        self.metrics.procedures.labels(caller.source).inc()
        log.info("procedure %s stored by %s", code, caller.source)
        stored = ProcedureStored(procedure_code=code, updated_at=updated_at.isoformat())
        return JSONResponse(stored.model_dump(mode="json"), status_code=200)

    async def healthz(self) -> JSONResponse:
        topic = DOSSIER_EVENTS.name(self.settings.topic_prefix)
        reachable = (await self.shell.readiness()).broker_reachable
        health = Health(
            status="ok" if reachable else "unavailable",
            broker=self.settings.bootstrap_servers,
            events_topic=topic,
            broker_reachable=reachable,
        )
        return JSONResponse(health.model_dump(), status_code=200 if reachable else 503)

    async def ready(self) -> JSONResponse:
        readiness = await self.shell.readiness()
        return JSONResponse(readiness.body(), status_code=readiness.status_code)

    def metrics_response(self) -> Response:
        return Response(self.metrics.render(), media_type=CONTENT_TYPE_LATEST)


def _problem(status: int, detail: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"detail": detail}, status_code=status, headers=headers)


def build_app(portal: PortalApp) -> FastAPI:
    app = FastAPI(
        title="dvc-hub provincial portal connector",
        version="1.0.0",
        description=_openapi.DESCRIPTION,
        lifespan=portal.shell.lifespan,
    )
    app.state.portal = portal
    retry_after = {"Retry-After": str(portal.config.retry_after_s)}

    @app.exception_handler(AuthError)
    async def _auth_error(_: Request, exc: AuthError) -> JSONResponse:
        headers = {"WWW-Authenticate": 'ApiKey header="X-API-Key"'} if exc.status == 401 else None
        return _problem(exc.status, exc.message, headers)

    @app.exception_handler(RequestRefused)
    async def _refused(_: Request, exc: RequestRefused) -> JSONResponse:
        return _problem(exc.status, exc.detail, exc.headers)

    @app.exception_handler(MalformedBody)
    async def _malformed(_: Request, exc: MalformedBody) -> JSONResponse:
        return _problem(400, str(exc))

    @app.exception_handler(InvalidBody)
    async def _invalid(_: Request, exc: InvalidBody) -> JSONResponse:
        rules = sorted({e.rule for e in exc.errors})
        log.info("refused a request with %d invalid field(s): %s", exc.total, ", ".join(rules))
        errors = [{"path": e.json_path, "rule": e.rule, "message": e.message} for e in exc.errors]
        listed = f" (the first {len(errors)} are listed)" if exc.total > len(errors) else ""
        detail = f"{exc.total} invalid field(s){listed}; nothing was produced"
        return JSONResponse({"detail": detail, "errors": errors}, status_code=422)

    @app.exception_handler(IdConflict)
    async def _conflict(_: Request, exc: IdConflict) -> JSONResponse:
        detail = "event id(s) already accepted with different content: " + ", ".join(exc.ids)
        return _problem(409, detail + "; nothing was produced")

    @app.exception_handler(NotAcknowledged)
    async def _unavailable(_: Request, exc: NotAcknowledged) -> JSONResponse:
        portal.metrics.not_acknowledged.inc()
        log.warning("not acknowledged, answering 503: %s", exc)
        return _problem(
            503, "Kafka did not acknowledge in time; resend the same request", retry_after
        )

    @app.post("/v1/events", status_code=202, **_openapi.EVENTS_ROUTE)
    async def post_events(
        request: Request, api_key: str | None = Security(API_KEY)
    ) -> JSONResponse:
        """Accept a batch of dossier lifecycle events; 202 once Kafka acknowledged them all."""
        return await portal.post_events(request, api_key)

    @app.put("/v1/procedures/{code}", status_code=200, **_openapi.PROCEDURE_ROUTE)
    async def put_procedure(
        code: str, request: Request, api_key: str | None = Security(API_KEY)
    ) -> JSONResponse:
        """Store one procedure catalogue entry (an upsert; 200 once Kafka acknowledged it)."""
        return await portal.put_procedure(code, request, api_key)

    @app.get("/healthz", **_openapi.HEALTH_ROUTE)
    async def healthz() -> JSONResponse:
        """200 when the broker answers with metadata for the events topic, else 503."""
        return await portal.healthz()

    @app.get("/ready", include_in_schema=False)
    async def ready() -> JSONResponse:
        """200 once started, the accepted ids loaded and the broker answering; else 503 and
        what it waits for."""
        return await portal.ready()

    @app.get("/metrics", response_class=Response, **_openapi.METRICS_ROUTE)
    async def metrics() -> Response:
        """Prometheus metrics of this connector."""
        return portal.metrics_response()

    app.add_middleware(RequestCounter, metrics=portal.metrics)
    _openapi.install(app)
    return app
