"""The event-sourced dossier lifecycle: status machine, state table, replay.

``dossier.events`` -> ``LifecycleProcessor`` (a ``hub.processing`` fold) -> ``dossiers`` table
(changelog-backed) -> ``dossier.state``. The faust runner runs the fold live; replay runs the
same fold on the in-memory runner, so rebuilding from offset 0 gives the states published live.

Exceptions (everything raised from this package is a ``LifecycleError``)::

    LifecycleError
    ├── CatalogNotReady        the procedure catalogue could not be loaded in time
    └── ReplayError            a replay or replay check could not be carried out
        └── LiveStateLagging   the live processor has not caught up with the event log

A message that cannot be applied is not an exception but a value: ``Rejection`` from the machine,
``hub.processing.Reject`` from the fold, a dead letter on ``<prefix>deadletter`` from the runner.
"""

from hub.lifecycle._app import SPEC, app_id_for
from hub.lifecycle._catalog import CatalogView, catalog_input
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
from hub.lifecycle._processor import LifecycleProcessor, decode_event, procedure_code
from hub.lifecycle._replay import (
    Difference,
    ReplayResult,
    changelog_topic,
    compare,
    live_lag,
    read_states,
    replay,
    replay_check,
    replay_topic_name,
    wait_caught_up,
)

__all__ = [
    "EVENT_TYPES",
    "FEE_RETURN",
    "RECORDED_IN",
    "SPEC",
    "STATUSES",
    "STATUS_CODES",
    "TERMINAL",
    "TRANSITIONS",
    "CatalogNotReady",
    "CatalogView",
    "Difference",
    "LifecycleError",
    "LifecycleProcessor",
    "LiveStateLagging",
    "Rejection",
    "ReplayError",
    "ReplayResult",
    "app_id_for",
    "apply",
    "catalog_input",
    "changelog_topic",
    "compare",
    "decode_event",
    "is_duplicate",
    "live_lag",
    "procedure_code",
    "read_states",
    "replay",
    "replay_check",
    "replay_topic_name",
    "target_status",
    "wait_caught_up",
]
