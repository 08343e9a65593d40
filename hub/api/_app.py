"""FastAPI query endpoints for integrators, served from the materialised state topics."""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import AsyncIterator, Iterator, Mapping
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any

from fastapi import Depends, FastAPI, HTTPException, Query, Response
from fastapi.encoders import jsonable_encoder
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from hub.api._auth import (
    DOSSIER_READERS,
    EVERY_ROLE,
    LATE_LIST_READERS,
    ApiKeys,
    Caller,
    Role,
    api_keys_from_env,
    requires,
    visible_to,
)
from hub.api._kpi import KpiCollector, KpiViews, kpi_routes
from hub.api._late import late_routes
from hub.api._store import DeadlineStore, StateStore
from hub.dossier import STATUS_CODES
from hub.http_tls import ServerTls
from hub.http_tls import serve as serve_http
from hub.kpi import KpiSettings
from hub.processing import Clock, clock_from_spec
from hub.records import DossierDeadline, DossierState
from hub.serde import RegistryClient, serde_for
from hub.settings import Settings
from hub.sla import SlaSettings, deadline_view
from hub.topics import DOSSIER_STATE, SLA_DEADLINES

#: The national portal's TrangThai codes, accepted in ``status=`` as well as the symbols.
_CODES = {str(code): status for status, code in STATUS_CODES.items()}
_SUMMARY = (
    "dossier_id", "status", "procedure_code", "agency_code", "channel", "level", "submitted_at",
    "accepted_at", "resolved_at", "returned_at", "version", "updated_at",
)  # fmt: skip


def _status(value: str) -> str:
    symbol = _CODES.get(value, value.upper())
    if symbol not in _CODES.values():
        raise HTTPException(status_code=422, detail=f"unknown status {value!r}")
    return symbol


def _summary(state: Mapping[str, object]) -> dict[str, object]:
    return {name: state.get(name) for name in _SUMMARY}


def is_overdue(record: DossierDeadline, now: datetime) -> bool:
    """Handling not ended and the appointment passed (cheap: no calendar needed)."""
    if record["clock"] == "RUNNING":
        appointment = record["appointment_at"]
        return bool(appointment is not None and appointment < now)
    if record["clock"] == "PAUSED":
        return int(record["working_ms_left"] or 0) < 0
    return False


class OverdueCollector(Collector):
    """``dvchub_sla_overdue_dossiers{agency}``, counted at scrape time from the deadlines view:
    this process holds every dossier, so the gauge is whole whichever worker owns what."""

    def __init__(self, deadlines: DeadlineStore, clock: Clock) -> None:
        self.deadlines = deadlines
        self.clock = clock

    def collect(self) -> Iterator[GaugeMetricFamily]:
        gauge = GaugeMetricFamily(
            "dvchub_sla_overdue_dossiers",
            "Dossiers past their appointment and not handled yet, by responsible agency.",
            labels=["agency"],
        )
        now = self.clock.now()
        counts = Counter(
            str(r["agency_code"] or "") for r in self.deadlines.values() if is_overdue(r, now)
        )
        for agency, count in sorted(counts.items()):
            gauge.add_metric([agency], count)
        yield gauge


def create_api(
    settings: Settings,
    store: StateStore | None = None,
    *,
    state_topic: str | None = None,
    deadlines: DeadlineStore | None = None,
    sla: SlaSettings | None = None,
    clock: Clock | None = None,
    kpis: KpiViews | None = None,
    kpi: KpiSettings | None = None,
    keys: ApiKeys | None = None,
) -> FastAPI:
    """The query API; it materialises ``state_topic`` (default ``<prefix>dossier.state``) and
    ``<prefix>sla.deadlines``, and judges deadlines on ``clock`` (default: ``$DVC_CLOCK``).

    ``keys`` (default: :func:`api_keys_from_env`, which raises :class:`ApiKeysMissing` when none
    is configured outside development mode) say who may call what; see ``hub.api._auth``.
    """
    # First, so that an API without keys refuses to start before it connects anywhere.
    keys = keys if keys is not None else api_keys_from_env()
    # As defaults, not Annotated[...] aliases: with postponed annotations FastAPI resolves
    # annotations in the module's globals, where a local alias does not exist.
    dossier_reader = Depends(requires(keys, DOSSIER_READERS))
    late_reader = Depends(requires(keys, LATE_LIST_READERS))
    registry = RegistryClient(settings.schema_registry_url)
    if store is None:
        serde = serde_for(DOSSIER_STATE, settings.topic_prefix, registry)
        store = StateStore(
            settings, serde, state_topic or DOSSIER_STATE.name(settings.topic_prefix)
        )
    states = store
    if deadlines is None:
        deadlines = DeadlineStore(
            settings, serde_for(SLA_DEADLINES, settings.topic_prefix, registry)
        )
    views = deadlines
    clock = clock or clock_from_spec(os.environ.get("DVC_CLOCK"))
    now = clock.now
    calendar = (sla or SlaSettings()).calendar()
    metrics = CollectorRegistry()
    metrics.register(OverdueCollector(views, clock))
    figures = kpis or KpiViews(settings, registry)
    metrics.register(KpiCollector(figures))

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        states.start()
        views.start()
        figures.start()
        yield
        states.stop()
        views.stop()
        figures.stop()

    api = FastAPI(title="dvc-hub dossier query API", version="1", lifespan=lifespan)
    # The KPI reports are the published aggregates: every role, but still a key.
    api.include_router(kpi_routes(figures, kpi), dependencies=[Depends(requires(keys, EVERY_ROLE))])
    api.include_router(late_routes(views, now, calendar, late_reader))

    def found(dossier_id: str, caller: Caller) -> DossierState:
        state = states.get(dossier_id)
        if state is None:
            if not states.ready:
                raise HTTPException(status_code=503, detail="state not loaded yet")
            raise HTTPException(status_code=404, detail=f"no dossier {dossier_id}")
        if caller.role is Role.OFFICER and state.get("agency_code") != caller.agency:
            raise HTTPException(status_code=403, detail="a dossier of another agency")
        return state

    @api.get("/healthz")
    def healthz() -> dict[str, Any]:
        return {"ready": states.ready and views.ready, "dossiers": len(states),
                "deadlines": len(views), "kpis_ready": figures.ready,
                "topic": states.topic}  # fmt: skip

    @api.get("/v1/dossiers/{dossier_id}")
    def get_dossier(dossier_id: str, caller: Caller = dossier_reader) -> Any:
        """The dossier's state; its ``deadline`` as the SLA processor keeps it, judged now."""
        state = dict(found(dossier_id, caller))
        record = views.get(dossier_id)
        if record is not None:
            state["deadline"] = deadline_view(record, now(), calendar)
        return visible_to(caller, jsonable_encoder(state))

    @api.get("/metrics")
    def prometheus() -> Response:
        body = generate_latest(REGISTRY) + generate_latest(metrics)
        return Response(body, media_type=CONTENT_TYPE_LATEST)

    @api.get("/v1/dossiers/{dossier_id}/events")
    def get_events(dossier_id: str, caller: Caller = dossier_reader) -> Any:
        state = found(dossier_id, caller)
        body = {"dossier_id": dossier_id, "version": state["version"], "events": state["history"]}
        return visible_to(caller, jsonable_encoder(body))

    @api.get("/v1/dossiers")
    def list_dossiers(
        caller: Caller = dossier_reader,
        agency: str | None = None,
        status: str | None = None,
        limit: int = Query(100, ge=1, le=1000),
        offset: int = Query(0, ge=0),
    ) -> Any:
        wanted = None if status is None else _status(status)
        if caller.role is Role.OFFICER:
            # An officer lists its own agency's dossiers: no filter means its agency.
            if agency is not None and agency != caller.agency:
                raise HTTPException(status_code=403, detail="dossiers of another agency")
            agency = caller.agency
        matches = sorted(
            (s for s in states.values()
             if (agency is None or s.get("agency_code") == agency)
             and (wanted is None or s.get("status") == wanted)),
            key=lambda s: str(s["dossier_id"]),
        )  # fmt: skip
        page = [_summary(s) for s in matches[offset : offset + limit]]
        return visible_to(caller, jsonable_encoder(
            {"total": len(matches), "limit": limit, "offset": offset, "items": page}
        ))  # fmt: skip

    return api


def serve(
    settings: Settings,
    *,
    host: str = "127.0.0.1",
    port: int = 8080,
    keys: ApiKeys | None = None,
    tls: ServerTls | None = None,
) -> None:
    """Run the query API with uvicorn (blocks), over ``tls`` (``hub.http_tls.server_tls``);
    refuses to start without API keys."""
    # log_config=None: uvicorn's records go to the process's hub.logs handler, redacted.
    serve_http(create_api(settings, keys=keys), host=host, port=port, tls=tls, log_config=None)
