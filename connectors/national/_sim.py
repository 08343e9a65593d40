"""``NationalPortalSimulator``: a real HTTP server speaking ``openapi.json`` (tests, the demo).

It keeps what it received (per MaHoSo, in arrival order), dedupes by ``Idempotency-Key`` (a
repeated key gets the first call's receipt again and is counted in ``duplicates``), holds a list
of dossiers "filed on the national portal" for ``LayDanhSachHoSoMoi``, and has switchable faults
(``faults``, see ``FaultSwitches``) plus ``expire_sessions()``. Faults hit service calls, not
logins.

Order check (on by default): for each MaHoSo and service, a TrangThai lower than the previous
one is recorded in ``order_violations`` unless it is a legal way back (5 -> 4 supplement
received, 6 -> 2 or 6 -> 4 fee paid, 6 -> 5 fee paid then a supplement asked: routing sends no
progress for a FeePaid no official handled, so the portal's next code is the supplement's); so
is a progress update whose ThoiDiemXuLy is earlier than the previous one's.
``expect_order(ma_ho_so, codes)`` makes the check exact for a dossier: any code arriving after
one that comes later in ``codes`` is a violation.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import secrets
import threading
import time
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from pydantic import TypeAdapter, ValidationError

from connectors.common import (
    IDEMPOTENCY_HEADER,
    FaultSwitches,
    JsonObject,
    RequestRefused,
    SimulatorServer,
    read_capped,
    require_json,
    to_portal,
)
from connectors.national._config import DEV_PASSWORD, DEV_USERNAME
from connectors.national._transport import (
    LOGIN_PATH,
    SERVICE_PATH,
    TOKEN_HEADER,
)
from connectors.national._wire import (
    INTERNAL_ERROR,
    INVALID_CREDENTIALS,
    OK,
    SERVICE_DOSSIER_SYNC,
    SERVICE_LIST_NEW,
    SERVICE_PROGRESS,
    SESSION_EXPIRED,
    UNKNOWN_SERVICE,
    VALIDATION_FAILED,
    CapNhatRequest,
    DanhSachDanhGiaRequest,
    DanhSachRequest,
    DongBoRequest,
    LoginRequest,
    ServiceRequest,
)

MAX_BODY = 1 << 20
_LEGAL_BACK = frozenset({(5, 4), (6, 2), (6, 4), (6, 5)})
_REQUEST: TypeAdapter[DongBoRequest | CapNhatRequest | DanhSachRequest | DanhSachDanhGiaRequest] = (
    TypeAdapter(ServiceRequest)
)


@dataclass(frozen=True)
class Received:
    """One service call the simulator processed (duplicates are not recorded again)."""

    seq: int
    service: str
    ma_ho_so: str
    data: JsonObject
    idempotency_key: str | None
    receipt: str
    received_at: datetime


@dataclass(frozen=True)
class OrderViolation:
    ma_ho_so: str
    service: str
    #: The status code (or ``ThoiDiemXuLy``) sent before, and the one sent after it.
    before: int | str | None
    after: int | str


class NationalPortalSimulator(SimulatorServer):
    """The portal's JSON API in a uvicorn thread: ``with NationalPortalSimulator() as sim``."""

    def __init__(
        self,
        *,
        username: str = DEV_USERNAME,
        password: str = DEV_PASSWORD,
        token_lifetime_s: float = 3600.0,
        check_order: bool = True,
        port: int = 0,
    ) -> None:
        self.username = username
        self.password = password
        self.token_lifetime_s = token_lifetime_s
        self.check_order = check_order
        self.faults = FaultSwitches()
        self.logins = 0
        self.rejected_tokens = 0
        self.duplicates = 0
        self.duplicate_keys: Counter[str] = Counter()
        self.order_violations: list[OrderViolation] = []
        self._lock = threading.Lock()
        self._tokens: dict[str, float] = {}
        self._received: list[Received] = []
        self._by_key: dict[str, JsonObject] = {}
        self._last_code: dict[tuple[str, str], int] = {}
        self._last_moment: dict[tuple[str, str], str] = {}
        self._expected: dict[str, tuple[int, ...]] = {}
        self._position: dict[tuple[str, str], int] = {}
        # Served back as filed, never read: a test may file a malformed item.
        self._filed: list[object] = []
        self._rated: list[object] = []
        self._receipts = itertools.count(1)
        self.app = self._build_app()
        self._serve(self.app, name="national-sim", host="127.0.0.1", port=port)

    # -- what tests and the demo do ----------------------------------------------------------
    def expire_sessions(self) -> None:
        """Invalidate every token now (the portal restarted / revoked its sessions)."""
        with self._lock:
            self._tokens.clear()

    def file_dossier(self, item: object) -> None:
        """A dossier filed on the national portal, listed by LayDanhSachHoSoMoi (kept as given,
        so tests can file unknown states or malformed items)."""
        with self._lock:
            self._filed.append(dict(item) if isinstance(item, Mapping) else item)

    def file_rating(self, item: object) -> None:
        """A rating given on the national portal, listed by LayDanhSachDanhGia (kept as given)."""
        with self._lock:
            self._rated.append(dict(item) if isinstance(item, Mapping) else item)

    def expect_order(self, ma_ho_so: str, codes: Sequence[int]) -> None:
        with self._lock:
            self._expected[ma_ho_so] = tuple(codes)

    def received(self, ma_ho_so: str | None = None, service: str | None = None) -> list[Received]:
        with self._lock:
            return [
                r
                for r in self._received
                if (ma_ho_so is None or r.ma_ho_so == ma_ho_so)
                and (service is None or r.service == service)
            ]

    def statuses(self, ma_ho_so: str, service: str = SERVICE_DOSSIER_SYNC) -> list[int]:
        field = "TrangThaiHoSo" if service == SERVICE_DOSSIER_SYNC else "TrangThai"
        return [_code(r.data, field) for r in self.received(ma_ho_so, service)]

    def counts(self) -> dict[str, int]:
        """Calls recorded per service, and duplicates seen (for the demo's summary)."""
        with self._lock:
            counts = Counter(r.service for r in self._received)
            return {**counts, "duplicates": self.duplicates, "logins": self.logins}

    # -- the app -----------------------------------------------------------------------------
    def _build_app(self) -> FastAPI:
        app = FastAPI(title="national portal simulator", docs_url=None, redoc_url=None)

        @app.post(LOGIN_PATH)
        async def login(request: Request) -> Response:
            try:
                body = await _body(request)
                credentials = LoginRequest.model_validate_json(body)
            except RequestRefused as exc:
                return _error(exc.status, VALIDATION_FAILED, exc.detail)
            except ValidationError as exc:
                return _error(400, VALIDATION_FAILED, _where(exc))
            if not (
                secrets.compare_digest(credentials.username, self.username)
                and secrets.compare_digest(credentials.password, self.password)
            ):
                return _error(401, INVALID_CREDENTIALS, "wrong username or password")
            token = secrets.token_urlsafe(24)
            lifetime = self.token_lifetime_s
            with self._lock:
                self._tokens[token] = time.monotonic() + lifetime
                self.logins += 1
            expires = datetime.fromtimestamp(time.time() + lifetime, UTC)
            return JSONResponse(
                {
                    "error_code": OK,
                    "message": "OK",
                    "session_token": token,
                    "expires_in": int(lifetime),
                    "expires_at": to_portal(expires),
                }
            )

        @app.post(SERVICE_PATH)
        async def service(request: Request) -> Response:
            if not self._valid_token(request.headers.get(TOKEN_HEADER)):
                return _error(401, SESSION_EXPIRED, "session expired or unknown; log in again")
            if self.faults.latency_s > 0:
                await asyncio.sleep(self.faults.latency_s)
            fault = self.faults.take()
            if fault == "error_5xx":
                return _error(503, INTERNAL_ERROR, "service unavailable (simulated)")
            if fault == "timeouts":
                await asyncio.sleep(self.faults.hang_s)
                return _error(503, INTERNAL_ERROR, "timed out (simulated)")
            if fault == "malformed":
                return Response(
                    b'{"error_code": "0", "data": {"MaBien', media_type="application/json"
                )
            try:
                body = await _body(request)
                call = _REQUEST.validate_json(body)
            except RequestRefused as exc:
                return _error(exc.status, VALIDATION_FAILED, exc.detail)
            except ValidationError as exc:
                unknown = _unknown_service(body)
                if unknown:
                    return _error(400, UNKNOWN_SERVICE, f"no service {unknown!r}")
                return _error(400, VALIDATION_FAILED, _where(exc))
            if isinstance(call, DanhSachRequest):
                return self._listing(call.data.Cursor, call.data.SoLuong, self._filed,
                                     "DanhSachHoSo")  # fmt: skip
            if isinstance(call, DanhSachDanhGiaRequest):
                return self._listing(call.data.Cursor, call.data.SoLuong, self._rated,
                                     "DanhSachDanhGia")  # fmt: skip
            reply = self._record(call, request.headers.get(IDEMPOTENCY_HEADER))
            if fault == "lost_replies":
                return _error(503, INTERNAL_ERROR, "reply lost (simulated)")
            return JSONResponse(reply)

        return app

    def _valid_token(self, token: str | None) -> bool:
        with self._lock:
            expiry = self._tokens.get(token or "")
            if expiry is not None and expiry > time.monotonic():
                return True
            self.rejected_tokens += 1
            return False

    def _record(self, call: DongBoRequest | CapNhatRequest, key: str | None) -> JsonObject:
        data: JsonObject = call.data.model_dump(mode="json")
        with self._lock:
            if key is not None and key in self._by_key:
                self.duplicates += 1
                self.duplicate_keys[key] += 1
                return self._by_key[key]
            prefix = "DB" if call.service == SERVICE_DOSSIER_SYNC else "TD"
            receipt = f"{prefix}-{next(self._receipts):08d}"
            entry = Received(
                seq=len(self._received) + 1,
                service=call.service,
                ma_ho_so=call.data.MaHoSo,
                data=data,
                idempotency_key=key,
                receipt=receipt,
                received_at=datetime.now(UTC),
            )
            if self.check_order:
                self._check_locked(entry)
            self._received.append(entry)
            reply: JsonObject = {
                "error_code": OK,
                "message": "OK",
                "data": {"MaBienNhan": receipt, "MaHoSo": call.data.MaHoSo},
            }
            if key is not None:
                self._by_key[key] = reply
            return reply

    def _check_locked(self, entry: Received) -> None:
        status_field = "TrangThaiHoSo" if entry.service == SERVICE_DOSSIER_SYNC else "TrangThai"
        code = _code(entry.data, status_field)
        slot = (entry.ma_ho_so, entry.service)
        last = self._last_code.get(slot)
        expected = self._expected.get(entry.ma_ho_so)
        if expected is not None:
            # the first place of ``code`` at or after where the dossier is in ``expected``
            position = self._position.get(slot, 0)
            found = next((i for i in range(position, len(expected)) if expected[i] == code), None)
            if found is None and code in expected:
                self.order_violations.append(OrderViolation(*slot, last, code))
            elif found is not None:
                self._position[slot] = found
        elif last is not None and code < last and (last, code) not in _LEGAL_BACK:
            self.order_violations.append(OrderViolation(*slot, last, code))
        self._last_code[slot] = code
        if entry.service == SERVICE_PROGRESS:
            moment_slot = (entry.ma_ho_so, "ThoiDiemXuLy")
            moment = str(entry.data["ThoiDiemXuLy"])
            previous = self._last_moment.get(moment_slot)
            if previous is not None and moment < previous:
                self.order_violations.append(OrderViolation(*moment_slot, previous, moment))
            else:
                self._last_moment[moment_slot] = moment

    def _listing(self, cursor: str | None, size: int, items: list[object], field: str) -> Response:
        """A page of ``items`` (filed dossiers or ratings) under ``field``, from ``cursor``."""
        if cursor is not None and not cursor.isdigit():
            return _error(400, VALIDATION_FAILED, "data.Cursor: not a cursor of this portal")
        start = int(cursor) if cursor is not None else 0
        with self._lock:
            page = items[start : start + size]
            end = start + len(page)
            more = end < len(items)
        return JSONResponse(
            {
                "error_code": OK,
                "message": "OK",
                "data": {field: page, "Cursor": str(end), "ConNua": more},
            }
        )


def _code(data: JsonObject, field: str) -> int:
    """A status code of a validated call, as sent (the wire model makes it an int)."""
    code = data[field]
    if not isinstance(code, int | str):
        raise TypeError(f"{field}: not a status code")
    return int(code)


async def _body(request: Request) -> bytes:
    require_json(request)
    return await read_capped(request, MAX_BODY)


def _error(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse({"error_code": code, "message": message, "data": None}, status_code=status)


def _where(exc: ValidationError) -> str:
    """Field paths and error types only: a validation message never echoes a value."""
    return "; ".join(
        f"{'.'.join(str(p) for p in err['loc'])}: {err['type']}" for err in exc.errors()[:10]
    )


def _unknown_service(body: bytes) -> str | None:
    try:
        parsed = json.loads(body)
    except ValueError:
        return None
    name = parsed.get("service") if isinstance(parsed, dict) else None
    if isinstance(name, str) and name not in (
        SERVICE_DOSSIER_SYNC,
        SERVICE_PROGRESS,
        SERVICE_LIST_NEW,
    ):
        return name[:64]
    return None


def run_simulator(port: int, *, token_lifetime_s: float) -> None:
    """Serve a simulator in the foreground (``python -m connectors.national simulator``)."""
    simulator = NationalPortalSimulator(port=port, token_lifetime_s=token_lifetime_s)
    simulator.serve_forever()
