"""``EmcSimulator``: a real HTTP server speaking EMC's ``openapi.json``, for tests and the demo.

Records tracking records per dossier in arrival order, dedupes by ``Idempotency-Key`` (a
repeated key gets the first record's id again; counted in ``duplicates``), checks the bearer
token, and has the same fault switches as the national portal's simulator (``faults``).
"""

from __future__ import annotations

import asyncio
import itertools
import secrets
import threading
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from pydantic import ValidationError

from connectors.common import (
    IDEMPOTENCY_HEADER,
    FaultSwitches,
    JsonObject,
    RequestRefused,
    SimulatorServer,
    read_capped,
    require_json,
)
from connectors.emc._config import DEV_TOKEN
from connectors.emc._wire import (
    INTERNAL_ERROR,
    OK,
    TRACKING_PATH,
    UNAUTHORIZED,
    VALIDATION_FAILED,
    TrackingRecord,
)

MAX_BODY = 64 * 1024


@dataclass(frozen=True)
class EmcReceived:
    seq: int
    emc_id: str
    record: TrackingRecord
    idempotency_key: str | None
    received_at: datetime


class EmcSimulator(SimulatorServer):
    """EMC's API in a uvicorn thread: ``with EmcSimulator() as sim``."""

    def __init__(self, *, token: str = DEV_TOKEN, port: int = 0) -> None:
        self.token = token
        self.faults = FaultSwitches()
        self.duplicates = 0
        self.duplicate_keys: Counter[str] = Counter()
        self.unauthorized = 0
        self._lock = threading.Lock()
        self._received: list[EmcReceived] = []
        self._by_key: dict[str, JsonObject] = {}
        self._ids = itertools.count(1)
        self.app = self._build_app()
        self._serve(self.app, name="emc-sim", host="127.0.0.1", port=port)

    def received(self, ma_ho_so: str | None = None) -> list[EmcReceived]:
        with self._lock:
            return [r for r in self._received if ma_ho_so is None or r.record.MaHoSo == ma_ho_so]

    def counts(self) -> dict[str, int]:
        with self._lock:
            dossiers = len({r.record.MaHoSo for r in self._received})
            return {"records": len(self._received), "dossiers": dossiers,
                    "duplicates": self.duplicates}  # fmt: skip

    def _build_app(self) -> FastAPI:
        app = FastAPI(title="EMC simulator", docs_url=None, redoc_url=None)

        @app.post(TRACKING_PATH)
        async def track(request: Request) -> Response:
            scheme, _, token = request.headers.get("authorization", "").partition(" ")
            if scheme.lower() != "bearer" or not secrets.compare_digest(token, self.token):
                with self._lock:
                    self.unauthorized += 1
                return _error(401, UNAUTHORIZED, "missing or wrong bearer token")
            if self.faults.latency_s > 0:
                await asyncio.sleep(self.faults.latency_s)
            fault = self.faults.take()
            if fault == "error_5xx":
                return _error(503, INTERNAL_ERROR, "service unavailable (simulated)")
            if fault == "timeouts":
                await asyncio.sleep(self.faults.hang_s)
                return _error(503, INTERNAL_ERROR, "timed out (simulated)")
            if fault == "malformed":
                return Response(b"<html>502 Bad Gateway", media_type="application/json")
            try:
                require_json(request)
                record = TrackingRecord.model_validate_json(await read_capped(request, MAX_BODY))
            except RequestRefused as exc:
                return _error(exc.status, VALIDATION_FAILED, exc.detail)
            except ValidationError as exc:
                where = "; ".join(
                    f"{'.'.join(str(p) for p in e['loc'])}: {e['type']}" for e in exc.errors()[:10]
                )
                return _error(400, VALIDATION_FAILED, where)
            reply = self._record(record, request.headers.get(IDEMPOTENCY_HEADER))
            if fault == "lost_replies":
                return _error(503, INTERNAL_ERROR, "reply lost (simulated)")
            return JSONResponse(reply)

        return app

    def _record(self, record: TrackingRecord, key: str | None) -> JsonObject:
        with self._lock:
            if key is not None and key in self._by_key:
                self.duplicates += 1
                self.duplicate_keys[key] += 1
                return self._by_key[key]
            emc_id = f"EMC-{next(self._ids):08d}"
            self._received.append(
                EmcReceived(len(self._received) + 1, emc_id, record, key, datetime.now(UTC))
            )
            reply: JsonObject = {"error_code": OK, "message": "OK",
                     "data": {"Id": emc_id, "MaHoSo": record.MaHoSo}}  # fmt: skip
            if key is not None:
                self._by_key[key] = reply
            return reply


def _error(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse({"error_code": code, "message": message, "data": None}, status_code=status)
