"""The event-sourced dossier lifecycle: status machine, state table, replay.

``dossier.events`` -> faust agent -> ``dossiers`` table (changelog-backed) -> ``dossier.state``.
The status machine (``TRANSITIONS``, ``apply``) is pure and shared by the live agent and the
replay, so rebuilding from offset 0 gives the same states the live processor published.

Exceptions (everything raised from this package is a ``LifecycleError``)::

    LifecycleError
    ├── CatalogNotReady        the procedure catalogue could not be loaded in time
    └── ReplayError            a replay or replay check could not be carried out
        └── LiveStateLagging   the live processor has not caught up with the event log

A message that cannot be applied is not an exception but a value: ``Rejection`` from the machine,
a ``DeadLetterInput`` from the core, written to ``<prefix>deadletter``.
"""

from hub.lifecycle._app import AppOptions, app_id_for, create_app
from hub.lifecycle._catalog import CatalogView
from hub.lifecycle._core import Applied, Duplicate, LifecycleCore, Pending, RawMessage
from hub.lifecycle._errors import CatalogNotReady, LifecycleError, LiveStateLagging, ReplayError
from hub.lifecycle._machine import (
    EVENT_TYPES,
    FEE_RETURN,
    RECORDED_IN,
    STATUS_CODES,
    STATUSES,
    TERMINAL,
    TRANSITIONS,
    Rejection,
    apply,
    is_duplicate,
    target_status,
)
from hub.lifecycle._worker import run_worker

__all__ = [
    "EVENT_TYPES",
    "FEE_RETURN",
    "RECORDED_IN",
    "STATUSES",
    "STATUS_CODES",
    "TERMINAL",
    "TRANSITIONS",
    "AppOptions",
    "Applied",
    "CatalogNotReady",
    "CatalogView",
    "Duplicate",
    "LifecycleCore",
    "LifecycleError",
    "LiveStateLagging",
    "Pending",
    "RawMessage",
    "Rejection",
    "ReplayError",
    "app_id_for",
    "apply",
    "create_app",
    "is_duplicate",
    "run_worker",
    "target_status",
]
