"""``EmcClient``: the outbox's partner client for EMC (EMC_TRACKING_RECORD).

Errors are translated here, in ``_post`` and ``_answer`` only::

    timeout, connection error, 5xx, 429, malformed reply     Transient
    401 (wrong token: the records wait until it is fixed)    Transient
    other 4xx                                                Permanent
    a code outside the tables (checked before sending)       Permanent("INVALID_COMMAND")
"""

from __future__ import annotations

import json

import httpx
from pydantic import ValidationError

from connectors.common import IDEMPOTENCY_HEADER, JsonObject, to_portal
from connectors.emc._config import EmcConfig
from connectors.emc._wire import OK, TRACKING_PATH, Reply, TrackingRecord
from connectors.outbox import Accepted, CallFailed, Command, EventDraft, Permanent, Transient

PARTNER = "emc"
EMC_TRACKING_RECORD = "EMC_TRACKING_RECORD"


def tracking_record(command: Command) -> TrackingRecord:
    """The request of a command; ``pydantic.ValidationError`` if a code is not EMC's."""
    payload = command.payload
    # The model is the decoding boundary: it checks each value against EMC's code lists.
    return TrackingRecord.model_validate({
        "MaHoSo": command.dossier_id,
        "MaTTHC": payload["procedure_code"],
        "TrangThai": payload["emc_status"],
        "HinhThucTiepNhan": payload["reception_form"],
        "HinhThucThanhToan": payload["payment_form"],
        "MucDo": payload["level"],
        "TuCongDVCQG": 1 if payload.get("from_national_portal") else 0,
        "BuuChinh": payload.get("postal", 0),
        "ThoiDiem": to_portal(command.created_at),
    })  # fmt: skip


class EmcClient:
    """Implements ``connectors.outbox`` ``PartnerClient`` (blocking; safe from many threads)."""

    partner = PARTNER
    command_types = frozenset({EMC_TRACKING_RECORD})

    def __init__(
        self, config: EmcConfig | None = None, *, http: httpx.Client | None = None
    ) -> None:
        self.config = config or EmcConfig()
        self._http = http or httpx.Client(base_url=self.config.url, timeout=self.config.timeout_s)

    def call(self, command: Command, attempt: int) -> Accepted:
        if command.command_type != EMC_TRACKING_RECORD:
            raise Permanent("UNSUPPORTED_COMMAND", f"{command.command_type} is not for {PARTNER}")
        try:
            record = tracking_record(command)
        except ValidationError as exc:
            where = "; ".join(
                f"{'.'.join(str(p) for p in e['loc'])}: {e['type']}" for e in exc.errors()
            )
            raise Permanent("INVALID_COMMAND", where[:500]) from exc
        except (KeyError, TypeError, ValueError) as exc:
            raise Permanent("INVALID_COMMAND", f"{type(exc).__name__}: {exc}"[:200]) from exc
        response = self._post(record.model_dump(mode="json"), command.idempotency_key)
        reply = _answer(response)
        return Accepted(reference=reply.data.Id if reply.data is not None else None)

    def failure_events(
        self, command: Command, error: CallFailed, attempts: int, will_retry: bool
    ) -> tuple[EventDraft, ...]:
        return ()

    def close(self) -> None:
        self._http.close()

    def _post(self, body: JsonObject, key: str) -> httpx.Response:
        headers = {
            "Authorization": f"Bearer {self.config.token.get_secret_value()}",
            IDEMPOTENCY_HEADER: key,
        }
        try:
            return self._http.post(TRACKING_PATH, json=body, headers=headers)
        except httpx.TimeoutException as exc:
            raise Transient("TIMEOUT", type(exc).__name__) from exc
        except httpx.HTTPError as exc:
            raise Transient("CONNECTION", type(exc).__name__) from exc


def _answer(response: httpx.Response) -> Reply:
    status = response.status_code
    if status >= 500 or status == 429:
        raise Transient(f"HTTP_{status}", "EMC unavailable")
    try:
        payload = json.loads(response.content)
        reply = Reply.model_validate(payload)
    except (ValueError, UnicodeDecodeError) as exc:  # ValidationError is a ValueError
        raise Transient("MALFORMED_REPLY", f"HTTP {status}: not the documented JSON") from exc
    if status == 401:
        raise Transient(reply.error_code, "EMC refused the token")
    if status >= 400 or reply.error_code != OK:
        raise Permanent(reply.error_code, reply.message[:300])
    return reply
