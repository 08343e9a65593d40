"""Rules that tie several fields together, checked after each item is structurally valid.

They live outside the pydantic models so each error names the exact field it is about
(``payload.total_vnd``), not the record that holds it. Each rule yields ``FieldError``s with a
path relative to the item it checks; ``batch_errors`` checks events against the earlier events
of the same batch (paths relative to the body).

**Ratings.** A satisfaction rating is legal once handling ended (``hub.kpi._ratings``). The
portal keeps no dossier state, so it can judge only what the batch itself shows: a rating after
an event of its dossier that leaves it open (submitted, accepted, in processing, waiting for a
supplement or a fee, result ready) is refused, and so is one dated before the event that ended
it. A rating whose dossier the batch does not show is the hub's to judge: the lifecycle
dead-letters one before the end, and the KPIs do not count it.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Final

from connectors.portal._models import (
    ApologyIssued,
    DossierSubmitted,
    ExplanationRecorded,
    FeeRequested,
    PortalEvent,
    ProcedureEntry,
    ProcessingStepRecorded,
    ResultReady,
    ResultReturned,
    SatisfactionRated,
    SupplementReceived,
    SupplementRequested,
)
from connectors.portal._records import Actor, Applicant, Document, FeeLine
from connectors.portal._types import CITIZEN_ID, ENTERPRISE_ID

PathPart = str | int


@dataclass(frozen=True)
class FieldError:
    """One broken rule: where (a path into the JSON body), which rule, and a message."""

    path: tuple[PathPart, ...]
    rule: str
    message: str

    def under(self, *prefix: PathPart) -> FieldError:
        return FieldError((*prefix, *self.path), self.rule, self.message)

    @property
    def json_path(self) -> str:
        """``("events", 3, "payload", "total_vnd")`` -> ``events[3].payload.total_vnd``."""
        text = ""
        for part in self.path:
            text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
        return text or "body"


def event_errors(event: PortalEvent) -> Iterator[FieldError]:
    """Consistency errors of one structurally valid event, paths relative to the event."""
    if event.actor is not None:
        yield from (e.under("actor") for e in _actor_errors(event.actor))
    payload = event.payload
    if isinstance(payload, DossierSubmitted | SupplementReceived):
        reused = _reuse_errors(payload.documents, event.dossier_id)
        yield from (e.under("payload") for e in reused)
    errors: Iterator[FieldError] = iter(())
    if isinstance(payload, DossierSubmitted):
        errors = _submitted_errors(payload)
    elif isinstance(payload, FeeRequested):
        errors = _fee_requested_errors(payload)
    elif isinstance(payload, ProcessingStepRecorded):
        errors = _step_errors(payload)
    elif isinstance(payload, ResultReturned):
        errors = _returned_errors(payload)
    elif isinstance(payload, ResultReady | SupplementReceived):
        errors = _document_list_errors(payload.documents, "documents")
    elif isinstance(payload, ApologyIssued) and payload.new_appointment_at <= event.occurred_at:
        errors = iter(
            [
                FieldError(
                    ("new_appointment_at",),
                    "not_after_occurred_at",
                    "must be later than occurred_at",
                )
            ]
        )
    elif (
        isinstance(payload, SupplementRequested)
        and payload.respond_by is not None
        and payload.respond_by <= event.occurred_at
    ):
        errors = iter(
            [FieldError(("respond_by",), "not_after_occurred_at", "must be later than occurred_at")]
        )
    elif isinstance(payload, ExplanationRecorded) and payload.recorded_at > event.occurred_at:
        # the report's date cannot be later than the event that records it
        late = FieldError(("recorded_at",), "after_occurred_at", "must not be after occurred_at")
        errors = iter([late])
    yield from (e.under("payload") for e in errors)


#: Events after which a dossier's handling has ended, and those that leave it open.
_ENDING: Final = frozenset({"ResultReturned", "DossierRefused", "DossierWithdrawn",
                            "ProcessingStopped"})  # fmt: skip
_OPENING: Final = frozenset({"DossierSubmitted", "DossierAccepted", "ProcessingStepRecorded",
                             "SupplementRequested", "SupplementReceived", "FeeRequested",
                             "FeePaid", "ResultReady"})  # fmt: skip


def batch_errors(events: Iterable[tuple[int, PortalEvent]]) -> Iterator[FieldError]:
    """Ratings the batch itself shows to come before their dossier's handling ended (see the
    module's docstring); ``events``: (index in the batch, event), in the batch's order."""
    ended: dict[str, PortalEvent | None] = {}  # dossier -> the ending event, None: still open
    for index, event in events:
        kind = event.event_type
        if kind in _ENDING or kind in _OPENING:
            ended[event.dossier_id] = event if kind in _ENDING else None
        elif isinstance(event.payload, SatisfactionRated) and event.dossier_id in ended:
            end = ended[event.dossier_id]
            if end is None:
                yield FieldError(("events", index, "event_type"), "rated_before_end",
                                 "a rating is legal once handling ended (result returned, "
                                 "refused, withdrawn or stopped): this batch leaves the "
                                 "dossier open before it")  # fmt: skip
            elif event.occurred_at < end.occurred_at:
                yield FieldError(("events", index, "occurred_at"), "rated_before_end",
                                 f"must not be before the {end.event_type} that ended the "
                                 "dossier's handling")  # fmt: skip


def procedure_errors(entry: ProcedureEntry) -> Iterator[FieldError]:
    """Consistency errors of a catalogue entry, paths relative to the body."""
    yield from _fee_line_errors(entry.fee_lines)
    if entry.fee_before_processing and not any(line.amount_vnd > 0 for line in entry.fee_lines):
        yield FieldError(
            ("fee_before_processing",),
            "fee_step_without_fee",
            "is true but no fee line has an amount above 0",
        )
    if entry.valid_from and entry.valid_to and entry.valid_to < entry.valid_from:
        yield FieldError(("valid_to",), "before_valid_from", "must not be before valid_from")


def _actor_errors(actor: Actor) -> Iterator[FieldError]:
    if not any(actor.model_dump().values()):
        yield FieldError((), "empty_actor", "must name at least one of its fields (or be null)")


def _submitted_errors(payload: DossierSubmitted) -> Iterator[FieldError]:
    if payload.national_dossier_code is not None and not payload.from_national_portal:
        yield FieldError(
            ("national_dossier_code",),
            "national_code_without_national_portal",
            "is set but from_national_portal is false",
        )
    if payload.postal_intake and payload.channel != "POSTAL":
        yield FieldError(
            ("postal_intake",),
            "postal_intake_channel_mismatch",
            "is true but channel is not POSTAL",
        )
    yield from (e.under("applicant") for e in _applicant_errors(payload.applicant))
    yield from _document_list_errors(payload.documents, "documents")


def _applicant_errors(applicant: Applicant) -> Iterator[FieldError]:
    if applicant.id_number is None:
        return
    if applicant.kind == "CITIZEN" and not CITIZEN_ID.match(applicant.id_number):
        yield FieldError(
            ("id_number",),
            "citizen_id_format",
            "a citizen's id_number must be a 12-digit CCCD, a 9-digit CMND "
            "or a passport number (letter + 7 digits)",
        )
    if applicant.kind == "ORGANIZATION" and not ENTERPRISE_ID.match(applicant.id_number):
        yield FieldError(
            ("id_number",),
            "enterprise_code_format",
            "an organisation's id_number must be a 10-digit enterprise code, "
            "optionally followed by -NNN for a branch",
        )


def _fee_requested_errors(payload: FeeRequested) -> Iterator[FieldError]:
    yield from _fee_line_errors(payload.fee_lines)
    total = sum(line.amount_vnd for line in payload.fee_lines)
    if payload.total_vnd != total:
        yield FieldError(
            ("total_vnd",),
            "total_mismatch",
            f"must equal the sum of fee_lines[*].amount_vnd ({total})",
        )


def _fee_line_errors(lines: Sequence[FeeLine]) -> Iterator[FieldError]:
    first_index: dict[str, int] = {}
    for index, line in enumerate(lines):
        if line.code in first_index:
            yield FieldError(
                ("fee_lines", index, "code"),
                "duplicate_code",
                f"repeats fee_lines[{first_index[line.code]}].code",
            )
        first_index.setdefault(line.code, index)


def _document_list_errors(documents: Sequence[Document], field: str) -> Iterator[FieldError]:
    first_index: dict[str, int] = {}
    for index, document in enumerate(documents):
        if document.document_id in first_index:
            yield FieldError(
                (field, index, "document_id"),
                "duplicate_document_id",
                f"repeats {field}[{first_index[document.document_id]}].document_id",
            )
        first_index.setdefault(document.document_id, index)


def _reuse_errors(documents: Sequence[Document], dossier_id: str) -> Iterator[FieldError]:
    # a component is reused from a result issued before: never from the dossier's own
    for index, document in enumerate(documents):
        if document.reused_from is not None and document.reused_from.dossier_id == dossier_id:
            yield FieldError(
                ("documents", index, "reused_from", "dossier_id"),
                "reused_from_itself",
                "names this dossier: a component is reused from another dossier's result",
            )


def _step_errors(payload: ProcessingStepRecorded) -> Iterator[FieldError]:
    if payload.kind == "TRANSFERRED" and not (payload.to_department or payload.to_agency_code):
        yield FieldError(
            ("to_department",),
            "transfer_without_target",
            "a TRANSFERRED step needs to_department or to_agency_code",
        )


def _returned_errors(payload: ResultReturned) -> Iterator[FieldError]:
    if payload.waybill_number is not None and payload.return_channel != "POSTAL":
        yield FieldError(
            ("waybill_number",),
            "waybill_without_postal_return",
            "is set but return_channel is not POSTAL",
        )
