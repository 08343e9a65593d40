"""The event-sourced dossier lifecycle: the DossierState table, its rules, replay.

``dossier.events`` -> ``LifecycleProcessor`` (a ``hub.processing`` fold) -> ``dossiers`` table
(changelog-backed) -> ``dossier.state``. The faust runner runs the fold live; replay runs the
same fold on the in-memory runner, so rebuilding from offset 0 gives the states published live.

Exceptions (everything raised from this package is a ``LifecycleError``)::

    LifecycleError
    └── ReplayError            a replay or replay check could not be carried out
        └── LiveStateLagging   the live processor has not caught up with the event log

The status machine, the typed event and the catalogue every processor shares are the kernel's
(``hub.dossier``). A message that cannot be applied is not an exception but a value:
``Rejection`` from the rules, ``hub.processing.Reject`` from the fold, a dead letter on
``<prefix>deadletter`` from the runner.
"""

from hub.lifecycle._app import SPEC, app_id_for
from hub.lifecycle._errors import LifecycleError, LiveStateLagging, ReplayError
from hub.lifecycle._machine import Rejection, apply, is_duplicate, status_view, target_status
from hub.lifecycle._processor import LifecycleProcessor
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
    "SPEC",
    "Difference",
    "LifecycleError",
    "LifecycleProcessor",
    "LiveStateLagging",
    "Rejection",
    "ReplayError",
    "ReplayResult",
    "app_id_for",
    "apply",
    "changelog_topic",
    "compare",
    "is_duplicate",
    "live_lag",
    "read_states",
    "replay",
    "replay_check",
    "replay_topic_name",
    "status_view",
    "target_status",
    "wait_caught_up",
]
