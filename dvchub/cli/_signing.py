"""``dvchub signing serve``: the signature verification endpoint. (The signing processor is a
worker of the registry: ``dvchub worker signing``.)

``signing`` (an optional extra) is imported inside the command."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console

app = typer.Typer(help="Verify signatures (the signing processor: dvchub worker signing).")
console = Console()


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
