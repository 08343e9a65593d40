"""``openapi.json`` of EMC's API as the hub uses it, generated from ``_wire``.

The committed file must equal ``render()``; regenerate it with
``python -m connectors.emc openapi > connectors/emc/openapi.json``.
"""

from __future__ import annotations

import json
from pathlib import Path

from pydantic.json_schema import models_json_schema

from connectors.common import IDEMPOTENCY_HEADER, JsonObject
from connectors.emc._wire import TRACKING_PATH, Reply, TrackingRecord

OPENAPI_PATH = Path(__file__).with_name("openapi.json")
_REF = "#/components/schemas/{model}"


def _json(model: str, description: str) -> JsonObject:
    schema: JsonObject = {"$ref": _REF.format(model=model)}
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def render_document() -> JsonObject:
    _, schemas = models_json_schema(
        [(TrackingRecord, "validation"), (Reply, "serialization")], ref_template=_REF
    )
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "EMC (measurement of online public services): tracking records",
            "version": "1.0.0",
            "description": (
                "One tracking record per dossier event. Codes are JSON integers (strict). "
                "Errors: UNAUTHORIZED (401, wrong bearer token), VALIDATION_FAILED (400), "
                "INTERNAL_ERROR (5xx, retry with the same Idempotency-Key). A repeated "
                "Idempotency-Key gets the first record's Id again and records nothing."
            ),
        },
        "components": {
            "schemas": schemas["$defs"],
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
        "security": [{"bearer": []}],
        "paths": {
            TRACKING_PATH: {
                "post": {
                    "operationId": "recordTracking",
                    "summary": "Record one tracking record of a dossier.",
                    "parameters": [
                        {
                            "name": IDEMPOTENCY_HEADER,
                            "in": "header",
                            "required": True,
                            "schema": {"type": "string", "maxLength": 200},
                        }
                    ],
                    "requestBody": {"required": True, **_json("TrackingRecord", "The record.")},
                    "responses": {
                        "200": _json("Reply", "Recorded (or recorded before: same key)."),
                        "400": _json("Reply", "VALIDATION_FAILED."),
                        "401": _json("Reply", "UNAUTHORIZED."),
                        "503": _json("Reply", "INTERNAL_ERROR: retry later."),
                    },
                }
            }
        },
    }


def render() -> str:
    return json.dumps(render_document(), ensure_ascii=False, indent=2) + "\n"
