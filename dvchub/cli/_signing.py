"""``dvchub signing process|serve``: the signing processor and the verification endpoint.

``signing`` (an optional extra) is imported inside the commands."""

from __future__ import annotations

import signal
import threading
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from hub.serde import RegistryClient
from hub.settings import REPO_ROOT, get_settings

app = typer.Typer(help="Sign result documents: ResultReady in, ResultSigned out.")
console = Console()
DEFAULT_STORE = REPO_ROOT / ".cache" / "documents"


@app.command()
def process(
    store_dir: Annotated[
        Path,
        typer.Option(envvar="DVC_SIGNING_STORE_DIR", help="Content-addressed document store."),
    ] = DEFAULT_STORE,
    group_id: Annotated[str, typer.Option(help="Consumer group.")] = "dvchub-signing",
) -> None:
    """Consume ResultReady events and produce signature outcomes until SIGTERM/Ctrl-C.

    Keys, trust anchors and the TSA come from DVC_SIGNING_* variables (see signing/README.md).
    """
    from signing import (
        LocalDocumentStore,
        ProcessorOptions,
        SigningError,
        SigningProcessor,
        SigningService,
        signing_config_from_env,
    )

    try:
        config = signing_config_from_env()
    except SigningError as exc:
        console.print(f"[red]signing is not configured:[/red] {exc}")
        raise typer.Exit(2) from exc
    settings = get_settings()
    service = SigningService(config, LocalDocumentStore(store_dir))
    registry = RegistryClient(settings.schema_registry_url)
    processor = SigningProcessor(
        settings,
        service,
        registry,
        timestamped=config.tsa is not None,
        options=ProcessorOptions(group_id=group_id),
    )
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    console.print(f"signing processor consuming {settings.topic_prefix}dossier.events")
    try:
        processor.run(stop)
    except KeyboardInterrupt:
        pass
    finally:
        processor.close()
        registry.close()


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8089,
) -> None:
    """Serve POST /v1/verify (trust anchors from DVC_SIGNING_TRUST_ANCHORS) and /metrics.

    Callers need an API key (DVC_API_KEYS / DVC_API_KEYS_FILE, as the query API); fetching
    CRLs/OCSP is off unless DVC_VERIFY_FETCH_ALLOW lists URL prefixes (see signing/README.md).
    TLS from DVC_HTTP_TLS_* (hub.http_tls).
    """
    from fastapi import FastAPI
    from prometheus_client import make_asgi_app

    from hub.api import ApiKeysMissing, api_keys_from_env
    from hub.http_tls import serve as serve_http
    from hub.http_tls import server_tls
    from signing import verification_router

    try:
        api_keys_from_env()  # refuse to start open; requests read the same configuration
    except (ApiKeysMissing, ValueError, OSError) as exc:
        console.print(f"[red]{exc}")
        raise typer.Exit(2) from exc
    tls = server_tls("the signature verification API")  # TlsError -> exit 2 (cli.main)

    api = FastAPI(title="dvc-hub signature verification", version="1")
    api.include_router(verification_router)
    api.mount("/metrics", make_asgi_app())
    # log_config=None: uvicorn's records go through hub.logs (redacted, DVC_LOG_LEVEL).
    serve_http(api, host=host, port=port, tls=tls, log_config=None)
