"""Query API for integrators: ``GET /v1/dossiers/{id}``, ``/v1/dossiers/{id}/events``,
``/v1/dossiers?agency=X&status=Y``, ``/v1/reports/late?month=2025-03[&format=csv|xlsx]``,
``/v1/reports/late/explanations[?format=csv|xlsx]`` (late dossiers still owing an explanation),
``/v1/reports/full-online?year=2024``, ``/v1/reports/766?month=2025-03``,
``/v1/reports/online-submissions?quarter=2025-Q1``, ``/metrics`` (with
``dvchub_sla_overdue_dossiers{agency}`` and the KPI gauges).

Design: the API process materialises the compacted ``<prefix>dossier.state`` topic into memory
with its own consumer (no consumer group: every replica reads every partition). It needs no
access to the processor's tables, scales by adding replicas, and is rebuilt from the topic on
restart. Reads are eventually consistent (milliseconds behind the processor). The event history
is the state's ``history`` (every applied event, oldest first), so ``/events`` needs no log scan.
Memory grows with the number of dossiers (~2 KB each); a province-scale multi-year archive would
want a database sink instead, fed by the same topic.

Access (``hub.api._auth``): every endpoint but ``/healthz``, ``/metrics`` and the OpenAPI pages
needs an API key (``Authorization: Bearer <key>`` or ``X-API-Key``) of a role allowed there;
responses carry personal data only for an officer of the dossier's agency. 401 (no or unknown
key, with a ``WWW-Authenticate: Bearer`` challenge), 403 (role or agency not allowed).

Raises :class:`ApiKeysMissing` when the API is created with no key configured outside development
mode (``DVC_DEV_SECRETS=1``). HTTP errors are also 404 (unknown dossier), 422 (bad query) and 503
(state not loaded yet).
"""

from hub.api._app import OverdueCollector, create_api, is_overdue, serve
from hub.api._auth import (
    DEV_KEYS,
    DOSSIER_READERS,
    ENV_DEV,
    ENV_KEYS,
    ENV_KEYS_FILE,
    EVERY_ROLE,
    PERSONAL_FIELDS,
    VERIFIERS,
    ApiKeys,
    ApiKeysMissing,
    Caller,
    DevelopmentKeys,
    Role,
    api_keys_from_env,
    authenticate,
    bearer_headers,
    dev_secrets_enabled,
    development_keys,
    parse_api_keys,
    requires,
    without_personal_data,
)
from hub.api._kpi import KpiCollector, KpiViews
from hub.api._store import DeadlineStore, StateStore

__all__ = [
    "DEV_KEYS",
    "DOSSIER_READERS",
    "ENV_DEV",
    "ENV_KEYS",
    "ENV_KEYS_FILE",
    "EVERY_ROLE",
    "PERSONAL_FIELDS",
    "VERIFIERS",
    "ApiKeys",
    "ApiKeysMissing",
    "Caller",
    "DeadlineStore",
    "DevelopmentKeys",
    "KpiCollector",
    "KpiViews",
    "OverdueCollector",
    "Role",
    "StateStore",
    "api_keys_from_env",
    "authenticate",
    "bearer_headers",
    "create_api",
    "dev_secrets_enabled",
    "development_keys",
    "is_overdue",
    "parse_api_keys",
    "requires",
    "serve",
    "without_personal_data",
]
