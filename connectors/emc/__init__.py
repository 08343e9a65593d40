"""The EMC connector: tracking records to the national measurement system (EMC).

``EmcClient`` is the outbox's partner client ("emc") for EMC_TRACKING_RECORD: it validates the
codes (status, reception form, payment form, level, postal; DOMAIN.md §5) before sending, sends
the record with the bearer token of ``DVC_EMC_TOKEN`` and the command's idempotency key, and
answers ``Accepted(reference=<EMC's record id>)`` with no events. ``EmcSimulator`` is a real HTTP
server speaking the same API (``openapi.json``, generated from ``_wire``).

Private modules::

    _config   EmcConfig (DVC_EMC_URL, DVC_EMC_TOKEN, DVC_EMC_TIMEOUT_S)
    _wire     EMC's JSON as pydantic models, the code tables, error codes
    _client   EmcClient; httpx errors and EMC's answers -> outbox errors, in one place
    _sim      EmcSimulator (fault switches and the server from connectors.common)
    _spec     SPEC: EMC as a PartnerSpec (connectors.partners)
    _openapi  renders openapi.json

Exceptions: none of its own. The outbox's ``connectors.outbox`` hierarchy is raised directly::

    CallFailed
    ├── Transient   timeout, connection, 5xx, 429, malformed reply, 401 (wrong token)
    └── Permanent   other 4xx; INVALID_COMMAND (a code outside the tables, never sent);
                    UNSUPPORTED_COMMAND
"""

from __future__ import annotations

from connectors.emc._client import EMC_TRACKING_RECORD, PARTNER, EmcClient, tracking_record
from connectors.emc._config import DEV_TOKEN, EmcConfig
from connectors.emc._openapi import OPENAPI_PATH
from connectors.emc._openapi import render as render_openapi
from connectors.emc._sim import EmcReceived, EmcSimulator
from connectors.emc._wire import CODES, TRACKING_PATH, TrackingRecord

__all__ = [
    "CODES",
    "DEV_TOKEN",
    "EMC_TRACKING_RECORD",
    "OPENAPI_PATH",
    "PARTNER",
    "TRACKING_PATH",
    "EmcClient",
    "EmcConfig",
    "EmcReceived",
    "EmcSimulator",
    "TrackingRecord",
    "render_openapi",
    "tracking_record",
]
