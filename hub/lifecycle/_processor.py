"""The lifecycle as a ``hub.processing`` fold: one DossierEvent on a dossier's state, Kafka-free.

The kernel (``hub.dossier.DossierFold``) decodes, checks for a duplicate and looks the procedure
up; this applies the status machine. The state is the decoded DossierState; the runner encodes
it (as the table value and the ``dossier.state`` value, identical bytes) once per batch.
"""

from __future__ import annotations

from hub.dossier import CatalogEntry, DossierEvent, DossierFold
from hub.lifecycle._machine import Rejection, apply, is_duplicate
from hub.processing import Changed, Message, Outcome, Reject
from hub.records import DossierState
from hub.topics import DOSSIER_STATE


class LifecycleProcessor(DossierFold[DossierState]):
    """``dossier.events`` -> ``dossiers`` table -> ``dossier.state``."""

    name = "lifecycle"
    table = "dossiers"
    state_topic = DOSSIER_STATE

    def seen(self, state: DossierState, event_id: str) -> bool:
        # every applied event is in the DossierState's history
        return is_duplicate(state, event_id)

    def apply(
        self, state: DossierState | None, event: DossierEvent, procedure: CatalogEntry | None,
        message: Message,
    ) -> Outcome[DossierState]:  # fmt: skip
        result = apply(state, event, procedure)
        if isinstance(result, Rejection):
            return Reject(result.reason_code, result.reason)
        return Changed(result)
