"""``openapi.json``: the portal's API as the hub uses it, generated from ``_wire``'s models.

The committed file must equal ``render()`` (a test checks it); regenerate it with
``python -m connectors.national openapi > connectors/national/openapi.json``.
"""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import BaseModel
from pydantic.json_schema import JsonSchemaMode, models_json_schema

from connectors.common import IDEMPOTENCY_HEADER, JsonObject
from connectors.national._transport import (
    LOGIN_PATH,
    SERVICE_PATH,
    TOKEN_HEADER,
)
from connectors.national._wire import (
    SERVICE_DOSSIER_SYNC,
    SERVICE_LIST_NEW,
    SERVICE_LIST_RATINGS,
    SERVICE_PROGRESS,
    CapNhatRequest,
    DanhGiaQuocGia,
    DanhSachDanhGia,
    DanhSachDanhGiaRequest,
    DanhSachHoSo,
    DanhSachRequest,
    DongBoRequest,
    ErrorReply,
    HoSoQuocGia,
    LoginReply,
    LoginRequest,
    ServiceReply,
)

OPENAPI_PATH = Path(__file__).with_name("openapi.json")
_REF = "#/components/schemas/{model}"

_ERRORS = {
    "INVALID_CREDENTIALS": "401 at login: wrong username or password.",
    "SESSION_EXPIRED": "401: the session token is unknown or expired; log in again and retry.",
    "VALIDATION_FAILED": "400: the request breaks this schema (field paths in message).",
    "UNKNOWN_SERVICE": "400: no such service.",
    "INTERNAL_ERROR": "500/503: try again later, with the same Idempotency-Key.",
}


def _ref(model: type[BaseModel]) -> JsonObject:
    return {"$ref": _REF.format(model=model.__name__)}


def _json(schema: JsonObject, description: str) -> JsonObject:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def render_document() -> JsonObject:
    models: list[tuple[type[BaseModel], JsonSchemaMode]] = [
        (LoginRequest, "validation"),
        (LoginReply, "serialization"),
        (ErrorReply, "serialization"),
        (DongBoRequest, "validation"),
        (CapNhatRequest, "validation"),
        (DanhSachRequest, "validation"),
        (DanhSachDanhGiaRequest, "validation"),
        (ServiceReply, "serialization"),
        (DanhSachHoSo, "serialization"),
        (HoSoQuocGia, "serialization"),
        (DanhSachDanhGia, "serialization"),
        (DanhGiaQuocGia, "serialization"),
    ]
    _, schemas = models_json_schema(models, ref_template=_REF)
    error = _ref(ErrorReply)
    requests: dict[str, type[BaseModel]] = {
        SERVICE_DOSSIER_SYNC: DongBoRequest,
        SERVICE_PROGRESS: CapNhatRequest,
        SERVICE_LIST_NEW: DanhSachRequest,
        SERVICE_LIST_RATINGS: DanhSachDanhGiaRequest,
    }
    service_body: JsonObject = {
        "oneOf": [_ref(m) for m in requests.values()],
        "discriminator": {
            "propertyName": "service",
            "mapping": {name: _REF.format(model=m.__name__) for name, m in requests.items()},
        },
    }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Cổng Dịch vụ công quốc gia (DVCQG): the JSON API as dvc-hub uses it",
            "version": "1.0.0",
            "description": (
                "Dates are yyyyMMddHHmmss in Vietnam time (Asia/Ho_Chi_Minh). TrangThai codes "
                "1..10 (DOMAIN.md §2). Every answer carries error_code ('0' = success) and "
                "message. Error codes: "
                + " ".join(f"{code}: {text}" for code, text in _ERRORS.items())
                + " A repeated Idempotency-Key gets the first call's receipt again and has no "
                "second effect. Items of DanhSachHoSo are HoSoQuocGia, items of DanhSachDanhGia "
                "DanhGiaQuocGia (scores 1..5)."
            ),
        },
        "paths": {
            LOGIN_PATH: {
                "post": {
                    "operationId": "login",
                    "summary": "Open a session: a token valid for expires_in seconds.",
                    "requestBody": {"required": True, **_json(_ref(LoginRequest), "Account.")},
                    "responses": {
                        "200": _json(_ref(LoginReply), "Session opened."),
                        "400": _json(error, "VALIDATION_FAILED."),
                        "401": _json(error, "INVALID_CREDENTIALS."),
                    },
                }
            },
            SERVICE_PATH: {
                "post": {
                    "operationId": "callService",
                    "summary": "Call DongBoHoSoMC, CapNhatTienDoHoSoMC, LayDanhSachHoSoMoi or "
                    "LayDanhSachDanhGia.",
                    "parameters": [
                        {
                            "name": TOKEN_HEADER,
                            "in": "header",
                            "required": True,
                            "schema": {"type": "string"},
                            "description": "session_token from login.",
                        },
                        {
                            "name": IDEMPOTENCY_HEADER,
                            "in": "header",
                            "required": False,
                            "schema": {"type": "string", "maxLength": 200},
                            "description": "Same key, same effect: sent on every sync call.",
                        },
                    ],
                    "requestBody": {"required": True, **_json(service_body, "The call.")},
                    "responses": {
                        "200": _json(_ref(ServiceReply), "Done (or done before: same key)."),
                        "400": _json(error, "VALIDATION_FAILED or UNKNOWN_SERVICE."),
                        "401": _json(error, "SESSION_EXPIRED."),
                        "413": _json(error, "Body over 1 MiB."),
                        "503": _json(error, "INTERNAL_ERROR: retry later."),
                    },
                }
            },
        },
        "components": {"schemas": schemas["$defs"]},
    }


def render() -> str:
    return json.dumps(render_document(), ensure_ascii=False, indent=2, sort_keys=False) + "\n"
