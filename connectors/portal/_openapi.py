"""The published OpenAPI document: request bodies, every answer, and the committed copy.

Handlers read their bodies themselves (to cap the size before parsing and to answer 400/422
precisely), so FastAPI cannot infer the request schemas; they are declared here from the
pydantic models and merged into ``components``. ``openapi.json`` next to this module is the
committed copy; ``dvchub portal openapi`` rewrites it and a test fails when it is stale.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TypedDict

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from connectors.common import JsonObject
from connectors.portal._models import (
    BatchAccepted,
    EventBatch,
    Health,
    Problem,
    ProcedureEntry,
    ProcedureStored,
    ValidationFailed,
)

OPENAPI_PATH = Path(__file__).with_name("openapi.json")
DESCRIPTION = """\
The provincial one-stop system pushes dossier lifecycle events and procedure catalogue entries
here; each becomes an Avro record on Kafka (Confluent wire format).

**Authentication**: header `X-API-Key`; each key belongs to one source system, which becomes the
events' `source`. Events may be written by PROVINCIAL_PORTAL, NATIONAL_PORTAL and ONE_STOP_DESK;
the catalogue by PROVINCIAL_PORTAL only.

**Delivery**: 202/200 only after the Kafka broker acknowledged every record (acks=all,
idempotent producer). A 503 carries `Retry-After`; resending the same batch is always safe:
an event id already accepted is answered `duplicate` and not produced again. Reusing an event
id for different content is refused with 409.

**Times** are ISO 8601 with a UTC offset (naive times are refused), stored in UTC with
millisecond precision (finer digits are truncated). Enum fields never accept `UNKNOWN`. Event
ids are UUIDs in 8-4-4-4-12 form, answered in lowercase. Strings are trimmed of surrounding
whitespace. A 422 lists every broken rule (at most 200) with the JSON path of its field,
e.g. `events[3].payload.fee_lines[0].amount_vnd`.
"""

_JSON = "application/json"

#: FastAPI's ``responses``: status -> its OpenAPI answer (a ``model`` class, a description).
Answers = dict[int | str, dict[str, object]]


class RouteDoc(TypedDict, total=False):
    """The documentation keywords of a route decorator (``app.post(..., **EVENTS_ROUTE)``)."""

    summary: str
    responses: Answers
    openapi_extra: JsonObject


def _body(component: str) -> JsonObject:
    ref: JsonObject = {"$ref": f"#/components/schemas/{component}"}
    return {"requestBody": {"required": True, "content": {_JSON: {"schema": ref}}}}


def _answers(success: tuple[int, type[BaseModel], str], *refusals: int) -> Answers:
    texts = {
        400: "Malformed JSON (syntax, encoding, duplicate keys).",
        401: "Missing or unknown X-API-Key.",
        403: "The key's source system may not write this endpoint.",
        409: "An event id was already accepted with different content; nothing was produced.",
        413: "Body larger than the configured limit (default 1 MiB).",
        415: "Content-Type is not application/json.",
        422: "Fields break the contract; every error has its JSON path. Nothing was produced.",
        503: "Kafka did not acknowledge in time; resend after Retry-After seconds.",
    }
    status, model, text = success
    answers: Answers = {status: {"model": model, "description": text}}
    for code in refusals:
        answers[code] = {
            "model": ValidationFailed if code == 422 else Problem,
            "description": texts[code],
        }
    return answers


EVENTS_ROUTE: RouteDoc = {
    "summary": "Push a batch of dossier events",
    "responses": _answers(
        (202, BatchAccepted, "Every event acknowledged by Kafka (or a duplicate)."),
        400,
        401,
        403,
        409,
        413,
        415,
        422,
        503,
    ),
    "openapi_extra": _body("EventBatch"),
}
PROCEDURE_ROUTE: RouteDoc = {
    "summary": "Create or replace a procedure catalogue entry",
    "responses": _answers(
        (200, ProcedureStored, "Entry acknowledged by Kafka (created or replaced)."),
        400,
        401,
        403,
        413,
        415,
        422,
        503,
    ),
    "openapi_extra": _body("ProcedureEntry"),
}
HEALTH_ROUTE: RouteDoc = {
    "summary": "Liveness and broker reachability",
    "responses": {
        200: {"model": Health, "description": "The broker answers with topic metadata."},
        503: {"model": Health, "description": "The broker does not answer."},
    },
}
METRICS_ROUTE: RouteDoc = {
    "summary": "Prometheus metrics",
    "responses": {200: {"content": {"text/plain": {}}, "description": "Prometheus text format."}},
}


def install(app: FastAPI) -> None:
    """Make ``app.openapi()`` include the request-body schemas."""

    def openapi() -> JsonObject:
        if app.openapi_schema is None:
            document = get_openapi(
                title=app.title, version=app.version, description=app.description, routes=app.routes
            )
            _, extra = models_json_schema(
                [(EventBatch, "validation"), (ProcedureEntry, "validation")],
                ref_template="#/components/schemas/{model}",
            )
            schemas = document.setdefault("components", {}).setdefault("schemas", {})
            schemas.update(extra["$defs"])
            document["components"]["schemas"] = dict(sorted(schemas.items()))
            app.openapi_schema = document
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def render(app: FastAPI) -> str:
    """The OpenAPI document as committed: sorted keys, two-space indent, final newline."""
    return json.dumps(app.openapi(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
