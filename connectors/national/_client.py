"""``NationalPortalClient``: the outbox's partner client for the national portal.

NATIONAL_DOSSIER_SYNC -> DongBoHoSoMC, NATIONAL_PROGRESS_UPDATE -> CapNhatTienDoHoSoMC, the
command's idempotency key in ``Idempotency-Key``. The portal errors of ``_transport`` become the
outbox's here, in one place::

    PortalUnavailable, SessionRejected     Transient   (a wrong password too: the commands
                                                         wait until the account is fixed)
    PortalRefused                          Permanent
    a command that cannot be built         Permanent   (INVALID_COMMAND, UNSUPPORTED_COMMAND)
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ValidationError

from connectors.national._config import NationalConfig
from connectors.national._errors import NationalPortalError, PortalRefused
from connectors.national._mapping import dossier_sync, progress_update
from connectors.national._states import status_of_code
from connectors.national._transport import PortalTransport
from connectors.national._wire import SERVICE_DOSSIER_SYNC, SERVICE_PROGRESS
from connectors.outbox import Accepted, CallFailed, Command, EventDraft, Permanent, Transient

PARTNER = "national"
NATIONAL_DOSSIER_SYNC = "NATIONAL_DOSSIER_SYNC"
NATIONAL_PROGRESS_UPDATE = "NATIONAL_PROGRESS_UPDATE"


@dataclass(frozen=True)
class _Service:
    name: str  # the portal's service name
    symbol: str  # vn.dvchub.NationalService
    build: Callable[[str, Mapping[str, Any]], BaseModel]
    status_field: str


_SERVICES: Mapping[str, _Service] = {
    NATIONAL_DOSSIER_SYNC: _Service(
        SERVICE_DOSSIER_SYNC, "DONG_BO_HO_SO_MC", dossier_sync, "TrangThaiHoSo"
    ),
    NATIONAL_PROGRESS_UPDATE: _Service(
        SERVICE_PROGRESS, "CAP_NHAT_TIEN_DO_HO_SO_MC", progress_update, "TrangThai"
    ),
}


def to_call_failed(exc: NationalPortalError) -> CallFailed:
    """The outbox's view of a portal error (the one translation table)."""
    if isinstance(exc, PortalRefused):
        return Permanent(exc.code, exc.reason)
    return Transient(exc.code, exc.reason)


class NationalPortalClient:
    """Implements ``connectors.outbox`` ``PartnerClient`` (blocking; safe from many threads)."""

    partner = PARTNER
    command_types = frozenset(_SERVICES)

    def __init__(
        self, config: NationalConfig | None = None, *, transport: PortalTransport | None = None
    ) -> None:
        self.config = config or NationalConfig()
        self.transport = transport or PortalTransport(self.config)

    def call(self, command: Command, attempt: int) -> Accepted:
        service = self._service(command)
        try:
            request = service.build(command.dossier_id, command.payload)
        except (ValidationError, ValueError, KeyError, TypeError) as exc:
            raise Permanent("INVALID_COMMAND", _why(exc)) from exc
        data = request.model_dump(mode="json")
        try:
            receipt = self.transport.call(
                service.name, data, idempotency_key=command.idempotency_key
            )
        except NationalPortalError as exc:
            raise to_call_failed(exc) from exc
        reference = receipt.get("MaBienNhan")
        completed = {
            "service": service.symbol,
            "status_synced": status_of_code(int(data[service.status_field])),
            "attempts": attempt,
        }
        return Accepted(
            reference=str(reference) if reference is not None else None,
            events=(EventDraft("NationalSyncCompleted", completed, "HUB"),),
        )

    def failure_events(
        self, command: Command, error: CallFailed, attempts: int, will_retry: bool
    ) -> tuple[EventDraft, ...]:
        service = _SERVICES.get(command.command_type)
        failed = {
            "service": service.symbol if service is not None else "UNKNOWN",
            "reason": str(error)[:500],
            "attempts": attempts,
            "will_retry": will_retry,
        }
        return (EventDraft("NationalSyncFailed", failed, "HUB"),)

    def close(self) -> None:
        self.transport.close()

    def _service(self, command: Command) -> _Service:
        service = _SERVICES.get(command.command_type)
        if service is None:
            raise Permanent("UNSUPPORTED_COMMAND", f"{command.command_type} is not for {PARTNER}")
        return service


def _why(exc: Exception) -> str:
    """Which fields are wrong, without their values (they may be personal data)."""
    if isinstance(exc, ValidationError):
        return "; ".join(
            f"{'.'.join(str(p) for p in err['loc'])}: {err['type']}" for err in exc.errors()
        )[:500]
    if isinstance(exc, KeyError):
        return f"missing field {exc.args[0]!r}"
    return type(exc).__name__
