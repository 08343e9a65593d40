"""The national public-service portal (Cổng DVCQG) connector, both ways.

Outbound: ``NationalPortalClient``, the outbox's partner client ("national"):
NATIONAL_DOSSIER_SYNC -> DongBoHoSoMC, NATIONAL_PROGRESS_UPDATE -> CapNhatTienDoHoSoMC, with
session login and renewal. Inbound: ``NationalIntake`` polls LayDanhSachHoSoMoi into
``dossier.events`` on the inbound shell (``dvchub national-intake``, ``python -m
connectors.national intake``). ``NationalPortalSimulator`` is a
real HTTP server speaking the same API (``openapi.json``, generated from ``_wire``).

Private modules::

    _config     NationalConfig (DVC_NATIONAL_URL / _USERNAME / _PASSWORD ...)
    _wire       the portal's JSON as pydantic models, service names, error codes
    _dates      yyyyMMddHHmmss (Vietnam time) <-> aware UTC datetimes (connectors.common)
    _states     string states -> TrangThai codes, codes <-> DossierStatus symbols
    _errors     the portal error hierarchy (below)
    _transport  httpx: login, renewal, service calls; every httpx error translated here
    _mapping    PartnerCommand payloads -> request models
    _client     NationalPortalClient; portal errors -> outbox Transient / Permanent
    _listed     a listed dossier -> DossierSubmitted (...) or a dead letter; event ids
    _intake     NationalIntake on the inbound shell: rounds, cursor and dedupe markers
    _metrics    IntakeMetrics (its /metrics)
    _serve      the intake's app (/ready, /metrics) and serve_intake
    _sim        NationalPortalSimulator
    _spec       SPEC: the national portal as a PartnerSpec (connectors.partners)
    _openapi    renders openapi.json

Exceptions::

    NationalPortalError        a call to the portal did not succeed (``code``, ``reason``)
    ├── PortalUnavailable      5xx, 429, timeout, connection, malformed reply -> Transient
    ├── SessionRejected        login refused, or expired again after renewal  -> Transient
    └── PortalRefused          4xx validation, unknown service                 -> Permanent

The outbox sees only ``connectors.outbox`` ``Transient`` / ``Permanent`` (``to_call_failed``);
a command that cannot be built (a code out of range) is ``Permanent("INVALID_COMMAND")``.
"""

from __future__ import annotations

from connectors.common import IDEMPOTENCY_HEADER, VIETNAM, from_portal, to_portal
from connectors.national._client import (
    NATIONAL_DOSSIER_SYNC,
    NATIONAL_PROGRESS_UPDATE,
    PARTNER,
    NationalPortalClient,
    to_call_failed,
)
from connectors.national._config import DEV_PASSWORD, DEV_USERNAME, NationalConfig
from connectors.national._errors import (
    NationalPortalError,
    PortalRefused,
    PortalUnavailable,
    SessionRejected,
)
from connectors.national._intake import (
    INTAKE_STATE_SUFFIX,
    IntakeReport,
    NationalIntake,
    intake_state_topic,
)
from connectors.national._listed import dossier_events, intake_event_id
from connectors.national._openapi import OPENAPI_PATH
from connectors.national._openapi import render as render_openapi
from connectors.national._serve import create_intake_app, serve_intake
from connectors.national._sim import NationalPortalSimulator, OrderViolation, Received
from connectors.national._states import (
    NATIONAL_STATES,
    STATUS_OF_CODE,
    code_of_state,
    status_of_code,
)
from connectors.national._transport import TOKEN_HEADER, PortalTransport
from connectors.national._wire import (
    SERVICE_DOSSIER_SYNC,
    SERVICE_LIST_NEW,
    SERVICE_PROGRESS,
    SERVICES,
)

__all__ = [
    "DEV_PASSWORD",
    "DEV_USERNAME",
    "IDEMPOTENCY_HEADER",
    "INTAKE_STATE_SUFFIX",
    "NATIONAL_DOSSIER_SYNC",
    "NATIONAL_PROGRESS_UPDATE",
    "NATIONAL_STATES",
    "OPENAPI_PATH",
    "PARTNER",
    "SERVICES",
    "SERVICE_DOSSIER_SYNC",
    "SERVICE_LIST_NEW",
    "SERVICE_PROGRESS",
    "STATUS_OF_CODE",
    "TOKEN_HEADER",
    "VIETNAM",
    "IntakeReport",
    "NationalConfig",
    "NationalIntake",
    "NationalPortalClient",
    "NationalPortalError",
    "NationalPortalSimulator",
    "OrderViolation",
    "PortalRefused",
    "PortalTransport",
    "PortalUnavailable",
    "Received",
    "SessionRejected",
    "code_of_state",
    "create_intake_app",
    "dossier_events",
    "from_portal",
    "intake_event_id",
    "intake_state_topic",
    "render_openapi",
    "serve_intake",
    "status_of_code",
    "to_call_failed",
    "to_portal",
]
