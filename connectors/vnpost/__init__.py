"""The VNPost connector: the public postal service of QĐ 45/2016 over SOAP 1.1 (``vnpost.wsdl``).

Outbound, ``VnpostClient`` (zeep) creates pickup orders (collect a dossier from the citizen)
and delivery orders (return the result, with cash on delivery for fees), cancels and tracks
them; it is the outbox's ``PartnerClient`` for partner ``vnpost`` (POSTAL_ORDER, POSTAL_CANCEL).
Inbound, ``create_callback_app`` serves ``POST /vnpost/callback`` for VNPost's NotifyStatus
callbacks (WS-Security UsernameToken, safe XML), only about orders the hub itself created (the
waybill and order number of an ACCEPTED POSTAL_ORDER outcome on partner.outcomes), and turns
them into PostalStatusChanged (and ResultReturned) dossier events. ``VnpostSimulator`` is a
real SOAP server of the same WSDL.

Private modules::

    _waybill     UPU S10 check digit, validation, generation
    _config      VnpostConfig (DVC_VNPOST_* environment variables), the WSDL's path
    _types       frozen dataclasses of orders, replies, tracking; status/direction mappings
    _soap        server-side SOAP 1.1 with lxml: safe parsing, the inline XSD, envelopes, faults
    _wsse        UsernameToken PasswordDigest: building, verifying, the nonce replay cache
    _client      VnpostClient (zeep) and the translation of zeep/requests errors
    _callbacks   NotifyStatus -> a StatusNotice -> DossierEvent records (event ids, mapping)
    _orders      the orders the hub created (partner.outcomes followed), checked per callback
    _metrics     Prometheus metrics of the callback app
    _app         the callback app: routes and the order of checks
    _serve       serve_callbacks: secrets, TLS / mutual TLS (DVC_VNPOST_CLIENT_CA_FILE), uvicorn
    _simulator   VnpostSimulator: the SOAP endpoint, its faults and idempotency
    _sim_callbacks  its orders' ledger and callbacks to the hub (deliver, advance ...)
    _spec        SPEC: VNPost as a PartnerSpec (connectors.partners)
    __main__     python -m connectors.vnpost callbacks|simulator

Exceptions at the boundaries::

    outbound (VnpostClient)       connectors.outbox CallFailed
                                  ├── Transient   5xx, Server/wsse faults, timeouts,
                                  │               connection errors, malformed replies
                                  └── Permanent   Client faults, requests the schema refuses
    inbound (callback app)        SoapFault -> a SOAP 1.1 Fault reply (faultcode Client,
                                  Server, VersionMismatch or wsse:...), nothing produced
"""

from __future__ import annotations

from connectors.vnpost._app import create_callback_app
from connectors.vnpost._callbacks import (
    CALLBACK_IDS_SUFFIX,
    EVENT_ID_NAMESPACE,
    StatusNotice,
    callback_ids_topic,
)
from connectors.vnpost._client import (
    PARTNER,
    POSTAL_CANCEL,
    POSTAL_ORDER,
    PostalPort,
    VnpostClient,
)
from connectors.vnpost._config import CALLBACK_PATH, WSDL_PATH, VnpostConfig
from connectors.vnpost._metrics import OUTCOMES as CALLBACK_OUTCOMES
from connectors.vnpost._serve import CLIENT_CA_VARIABLE, serve_callbacks
from connectors.vnpost._sim_callbacks import (
    CallbackResult,
    ReceivedRequest,
    SentCallback,
    SimOrder,
)
from connectors.vnpost._simulator import VnpostSimulator
from connectors.vnpost._soap import ParsedFault, SoapFault, read_fault, wsdl_document
from connectors.vnpost._types import (
    HUB_STATUS,
    VNPOST_STATUSES,
    Address,
    OrderCancelled,
    OrderCreated,
    OrderRequest,
    Party,
    Tracking,
    TrackingEvent,
)
from connectors.vnpost._waybill import (
    is_valid_waybill,
    new_waybill,
    s10_check_digit,
    waybill_problem,
)
from connectors.vnpost._wsse import UsernameTokenVerifier, password_digest, security_header

__all__ = [
    "CALLBACK_IDS_SUFFIX",
    "CALLBACK_OUTCOMES",
    "CALLBACK_PATH",
    "CLIENT_CA_VARIABLE",
    "EVENT_ID_NAMESPACE",
    "HUB_STATUS",
    "PARTNER",
    "POSTAL_CANCEL",
    "POSTAL_ORDER",
    "VNPOST_STATUSES",
    "WSDL_PATH",
    "Address",
    "CallbackResult",
    "OrderCancelled",
    "OrderCreated",
    "OrderRequest",
    "ParsedFault",
    "Party",
    "PostalPort",
    "ReceivedRequest",
    "SentCallback",
    "SimOrder",
    "SoapFault",
    "StatusNotice",
    "Tracking",
    "TrackingEvent",
    "UsernameTokenVerifier",
    "VnpostClient",
    "VnpostConfig",
    "VnpostSimulator",
    "callback_ids_topic",
    "create_callback_app",
    "is_valid_waybill",
    "new_waybill",
    "password_digest",
    "read_fault",
    "s10_check_digit",
    "security_header",
    "serve_callbacks",
    "waybill_problem",
    "wsdl_document",
]
