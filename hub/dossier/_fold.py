"""``DossierFold``: a processor of ``dossier.events``, with what every such processor shares.

Each event is decoded once (``decode_event``), checked for a duplicate once (``seen``: by the
``seen_events`` digests a state keeps, unless the processor says otherwise), given its catalogue
entry (a submission's procedure, and the procedure's again at acceptance, where the level is
fixed), and a submission whose procedure is not in the catalogue yet waits for it (``Deferred``).
A subclass writes only its own rules: ``apply`` (and, if a duplicate is not simply published
again, ``on_duplicate``).
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from hub.dossier._event import DossierEvent, decode_event
from hub.events import has_seen
from hub.processing import (
    NO_SIDE_INPUTS,
    AvroStateProcessor,
    Deferred,
    Message,
    Outcome,
    Reject,
    SideInputs,
    Unchanged,
)
from hub.serde import AvroSerde
from hub.topics import DOSSIER_EVENTS

#: A processor's state: the record of its state schema (a TypedDict of ``hub.records``).
S = TypeVar("S", bound=Mapping[str, object])
#: A catalogue entry as a processor reads it: a ``Procedure`` record (``hub.records``, as
#: ``CatalogView`` gives it), or the same fields as the portal takes them, without code and
#: ``updated_at`` (``hub.sample.catalog_entry``: what tests and benches look procedures up in).
CatalogEntry = Mapping[str, Any]
#: procedure code -> its catalogue entry, or None while it is not in the catalogue
ProcedureLookup = Callable[[str], CatalogEntry | None]


def no_catalogue(code: str) -> CatalogEntry | None:
    """The lookup of a processor that reads no catalogue: it finds nothing."""
    return None


class DossierFold(AvroStateProcessor[S]):
    """``dossier.events`` -> a state ``S`` per dossier; subclasses declare ``name``, ``table``,
    ``state_topic``, ``outputs`` and write ``apply``."""

    source = DOSSIER_EVENTS

    def __init__(
        self,
        events: AvroSerde,
        states: AvroSerde,
        procedures: ProcedureLookup = no_catalogue,
        *,
        side_inputs: SideInputs = NO_SIDE_INPUTS,
    ) -> None:
        self.events = events
        self.states = self.state_serde = states
        self.side_inputs = side_inputs
        self._procedures = procedures

    def serdes(self) -> tuple[AvroSerde, ...]:
        return (self.events,)

    def fold(self, state: S | None, message: Message) -> Outcome[S]:
        event = decode_event(self.events, message)
        if isinstance(event, Reject):
            return event
        if state is not None and self.seen(state, event.event_id):
            return self.on_duplicate(state, event, message)
        code = self.procedure_code(event, state)
        procedure = None if code is None else self._procedures(code)
        if (
            procedure is None
            and self._procedures is not no_catalogue
            and state is None
            and event.event_type == "DOSSIER_SUBMITTED"
        ):
            reject = Reject("UNKNOWN_PROCEDURE", f"procedure {code} is not in the catalogue")
            return Deferred(reject, waiting_for=f"procedure {code}")
        return self.apply(state, event, procedure, message)

    def procedure_code(self, event: DossierEvent, state: S | None) -> str | None:
        """The catalogue entry an event needs: the submission's, or the level at acceptance."""
        if event.event_type == "DOSSIER_SUBMITTED":
            return event.procedure_code
        if event.event_type == "DOSSIER_ACCEPTED" and state is not None:
            code = state.get("procedure_code")
            return None if code is None else str(code)
        return None

    def seen(self, state: S, event_id: str) -> bool:
        """Whether ``event_id`` was already applied to ``state`` (by its ``seen_events``)."""
        seen = state.get("seen_events")
        # the decoded bytes may be a view of the message's buffer
        return isinstance(seen, bytes | memoryview | bytearray) and has_seen(bytes(seen), event_id)

    def on_duplicate(self, state: S, event: DossierEvent, message: Message) -> Outcome[S]:
        # published again: a crash may have persisted the table but lost what it published
        return Unchanged("duplicate", republish=True)

    @abstractmethod
    def apply(
        self,
        state: S | None,
        event: DossierEvent,
        procedure: CatalogEntry | None,
        message: Message,
    ) -> Outcome[S]:
        """The outcome of ``event`` (not a duplicate) on ``state``."""
