"""FastAPI query endpoints for integrators, served from the materialised state topic."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, HTTPException, Query
from fastapi.encoders import jsonable_encoder

from hub.api._store import StateStore
from hub.lifecycle import STATUS_CODES
from hub.serde import RegistryClient, serde_for
from hub.settings import Settings
from hub.topics import DOSSIER_STATE

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


def _summary(state: Mapping[str, Any]) -> dict[str, Any]:
    return {name: state.get(name) for name in _SUMMARY}


def create_api(
    settings: Settings, store: StateStore | None = None, *, state_topic: str | None = None
) -> FastAPI:
    """The query API; it materialises ``state_topic`` (default ``<prefix>dossier.state``)."""
    if store is None:
        registry = RegistryClient(settings.schema_registry_url)
        serde = serde_for(DOSSIER_STATE, settings.topic_prefix, registry)
        store = StateStore(
            settings, serde, state_topic or DOSSIER_STATE.name(settings.topic_prefix)
        )
    states = store

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        states.start()
        yield
        states.stop()

    api = FastAPI(title="dvc-hub dossier query API", version="1", lifespan=lifespan)

    def found(dossier_id: str) -> dict[str, Any]:
        state = states.get(dossier_id)
        if state is None:
            if not states.ready:
                raise HTTPException(status_code=503, detail="state not loaded yet")
            raise HTTPException(status_code=404, detail=f"no dossier {dossier_id}")
        return state

    @api.get("/healthz")
    def healthz() -> dict[str, Any]:
        return {"ready": states.ready, "dossiers": len(states), "topic": states.topic}

    @api.get("/v1/dossiers/{dossier_id}")
    def get_dossier(dossier_id: str) -> Any:
        return jsonable_encoder(found(dossier_id))

    @api.get("/v1/dossiers/{dossier_id}/events")
    def get_events(dossier_id: str) -> Any:
        state = found(dossier_id)
        return jsonable_encoder({"dossier_id": dossier_id, "version": state["version"],
                                 "events": state["history"]})  # fmt: skip

    @api.get("/v1/dossiers")
    def list_dossiers(
        agency: str | None = None,
        status: str | None = None,
        limit: int = Query(100, ge=1, le=1000),
        offset: int = Query(0, ge=0),
    ) -> Any:
        wanted = None if status is None else _status(status)
        matches = sorted(
            (s for s in states.values()
             if (agency is None or s.get("agency_code") == agency)
             and (wanted is None or s.get("status") == wanted)),
            key=lambda s: str(s["dossier_id"]),
        )  # fmt: skip
        page = [_summary(s) for s in matches[offset : offset + limit]]
        return jsonable_encoder(
            {"total": len(matches), "limit": limit, "offset": offset, "items": page}
        )

    return api


def serve(settings: Settings, *, host: str = "127.0.0.1", port: int = 8080) -> None:
    """Run the query API with uvicorn (blocks)."""
    import uvicorn

    # log_config=None: uvicorn's records go to the process's hub.logs handler, redacted.
    uvicorn.run(create_api(settings), host=host, port=port, log_config=None)
