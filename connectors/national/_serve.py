"""Running the intake as a service: its app (``/ready``, ``/metrics``) and ``serve_intake``.

The intake has no route a partner calls (the hub polls the portal), but it is run and watched as
every inbound service: the shell's lifespan starts it and its poll loop, ``/ready`` says what it
waits for, ``/metrics`` serves its counters, both over TLS as the others (``hub.http_tls``:
refused at start-up in production without a certificate), and SIGINT/SIGTERM stop the loop after
the round in progress. Both entry points (``dvchub national-intake``, ``python -m
connectors.national intake``) call ``serve_intake``.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.responses import JSONResponse, Response

from connectors.national._config import NationalConfig
from connectors.national._intake import NationalIntake
from connectors.national._metrics import CONTENT_TYPE_LATEST
from hub.http_tls import serve, server_tls
from hub.serde import RegistryClient
from hub.settings import Settings

ENDPOINT = "the national intake"


def build_app(intake: NationalIntake) -> FastAPI:
    app = FastAPI(
        title="dvc-hub national portal intake",
        version="1.0.0",
        lifespan=intake.lifespan,
        openapi_url=None,
        docs_url=None,
        redoc_url=None,
    )
    app.state.intake = intake

    @app.get("/ready")
    async def ready() -> JSONResponse:
        readiness = await intake.shell.readiness()
        started = intake.shell.started
        cursor = started.views.cursor if started is not None else None
        return JSONResponse({**readiness.body(), "cursor": cursor}, readiness.status_code)

    @app.get("/metrics")
    async def metrics() -> Response:
        return Response(intake.metrics.render(), media_type=CONTENT_TYPE_LATEST)

    return app


def create_intake_app(
    settings: Settings,
    config: NationalConfig,
    *,
    registry: RegistryClient | None = None,
) -> FastAPI:
    """The intake as an app whose lifespan runs its poll loop; Kafka and the registry are first
    used at start-up (``registry`` shares a client, not closed at shutdown)."""
    return build_app(NationalIntake(settings, registry, config))


def serve_intake(settings: Settings, config: NationalConfig, **options: Any) -> None:
    """Serve the intake until interrupted; ``SecretError`` (``TlsError`` included) before
    anything starts when the portal account or the TLS configuration is refused. ``options``
    go to uvicorn."""
    config.require_secrets()
    tls = server_tls(ENDPOINT)
    app = create_intake_app(settings, config)
    serve(app, host=config.intake_host, port=config.intake_port, tls=tls, **options)
