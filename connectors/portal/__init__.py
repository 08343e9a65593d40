"""The provincial portal connector: an HTTP service the provincial one-stop system pushes to.

``POST /v1/events`` takes a batch of dossier lifecycle events, ``PUT /v1/procedures/{code}``
one catalogue entry; both answer only after Kafka acknowledged what they produced. See
``openapi.json`` for the contract and the private modules for the details::

    _config      PortalConfig (DVC_PORTAL_* environment variables)
    _auth        API key -> source system, who may write what
    _types       constrained scalar types (codes, amounts, times, phone/ID formats)
    _records     shared records (Actor, Applicant, Document, FeeLine, PostalAddress)
    _models      payload models, the event envelope union, request/answer bodies
    _rules       cross-field rules with exact field paths
    _validation  bytes -> JSON (400) -> models (422)
    _mapping     models -> Avro records (hub.events.new_event)
    _app         routes and the order of checks, on the inbound shell (connectors.common:
                 lifespan, /ready, ack-after-broker publishing, dedupe by event id)
"""

from __future__ import annotations

from fastapi import FastAPI

from connectors.portal._app import PortalApp, build_app
from connectors.portal._auth import ApiKeyAuthenticator, AuthError, Caller, Endpoint
from connectors.portal._config import ACCEPTED_IDS_SUFFIX, DEV_API_KEYS, PortalConfig
from connectors.portal._models import EVENT_TYPES
from connectors.portal._openapi import OPENAPI_PATH, render
from hub.serde import RegistryClient
from hub.settings import Settings, get_settings

__all__ = [
    "ACCEPTED_IDS_SUFFIX",
    "DEV_API_KEYS",
    "EVENT_TYPES",
    "OPENAPI_PATH",
    "ApiKeyAuthenticator",
    "AuthError",
    "Caller",
    "Endpoint",
    "PortalConfig",
    "accepted_ids_topic",
    "create_app",
    "openapi_document",
]


def create_app(
    settings: Settings | None = None,
    config: PortalConfig | None = None,
    *,
    registry: RegistryClient | None = None,
) -> FastAPI:
    """The connector app. Kafka and the registry are first used at start-up (the lifespan).

    ``registry`` lets a caller share its registry client (it is then not closed at shutdown).
    Raises ``ValueError`` when the API key configuration is invalid.
    """
    return build_app(PortalApp(settings or get_settings(), config or PortalConfig(), registry))


def accepted_ids_topic(settings: Settings) -> str:
    """The compacted topic of the event ids the connector accepted (its dedupe markers)."""
    return f"{settings.topic_prefix}{ACCEPTED_IDS_SUFFIX}"


def openapi_document(app: FastAPI | None = None) -> str:
    """The OpenAPI document exactly as committed in ``openapi.json``."""
    return render(app or create_app(Settings(), PortalConfig()))
