"""The portal's JSON contract: one model per lifecycle payload, the event envelope, a procedure.

Each payload model mirrors ``schemas/vn.dvchub.event.<Name>.avsc`` field for field, so
``model_dump()`` is the Avro payload record. The envelope's ``event_type`` names the payload
record (``"FeePaid"``) and selects the payload model (a discriminated union). Rules that tie
several fields together live in ``_rules``, so each error can name the exact field.
"""

from __future__ import annotations

from typing import Annotated, Literal
from uuid import UUID

from pydantic import Field, TypeAdapter

from connectors.portal._records import Applicant, Document, EventEnvelope, FeeLine, StrictModel
from connectors.portal._transfers import TRANSFER_EVENT_TYPES, TransferEvent
from connectors.portal._types import (
    AgencyCode,
    AgencyTypeSymbol,
    AmountVnd,
    ChannelSymbol,
    ClockPolicySymbol,
    Code,
    Day,
    DossierId,
    ExternalId,
    Flag,
    LongText,
    Name,
    PaymentMethodSymbol,
    ProcedureCode,
    RatingChannelSymbol,
    ReturnChannelSymbol,
    Score,
    ServiceLevelSymbol,
    Sha256Hex,
    ShortText,
    StepKindSymbol,
    Timestamp,
    Waybill,
    WorkingDays,
)

DocumentList = Annotated[list[Document], Field(max_length=200)]
FeeLineList = Annotated[list[FeeLine], Field(max_length=50)]


# -- payloads (vn.dvchub.event.*) ------------------------------------------------------------
class DossierSubmitted(StrictModel):
    """A dossier was filed (status 1, Mới đăng ký)."""

    procedure_code: ProcedureCode
    procedure_name: ShortText | None = None
    agency_code: AgencyCode
    #: the desk that received it, when not the agency's own (acceptance anywhere, #22.1)
    receiving_desk: AgencyCode | None = None
    channel: ChannelSymbol
    applicant: Applicant
    postal_intake: Flag = False
    postal_return: Flag = False
    from_national_portal: Flag = False
    national_dossier_code: DossierId | None = None
    documents: DocumentList = Field(default_factory=list)


class DossierAccepted(StrictModel):
    """The dossier was accepted as complete (status 2); the deadline starts."""

    appointment_at: Timestamp | None = None
    deadline_working_days: WorkingDays | None = None
    level: ServiceLevelSymbol | None = None


class DossierRefused(StrictModel):
    """The dossier was refused at intake (status 3)."""

    reason: LongText


class ProcessingStepRecorded(StrictModel):
    """A processing step or a transfer between departments/agencies (status 4)."""

    kind: StepKindSymbol
    content: LongText | None = None
    to_department: ShortText | None = None
    to_agency_code: AgencyCode | None = None
    step_due_at: Timestamp | None = None


class SupplementRequested(StrictModel):
    """More documents are requested from the applicant (status 5); the clock stops."""

    reason: LongText
    requested_documents: Annotated[list[ShortText], Field(max_length=100)] = Field(
        default_factory=list
    )
    respond_by: Timestamp | None = None


class SupplementReceived(StrictModel):
    """The applicant supplied the requested documents; processing resumes (status 4)."""

    documents: DocumentList = Field(default_factory=list)


class FeeRequested(StrictModel):
    """Fees are due before processing continues (status 6); the clock stops."""

    fee_lines: Annotated[list[FeeLine], Field(min_length=1, max_length=50)]
    total_vnd: AmountVnd
    due_at: Timestamp | None = None


class FeePaid(StrictModel):
    """Fees were paid (verified provider callback or desk receipt)."""

    payment_reference: ExternalId
    amount_vnd: AmountVnd
    method: PaymentMethodSymbol
    provider: Code | None = None
    provider_transaction_id: ExternalId | None = None


class DossierWithdrawn(StrictModel):
    """The applicant withdrew the dossier (status 7, terminal)."""

    reason: LongText | None = None


class ProcessingStopped(StrictModel):
    """Processing was stopped (status 8, terminal)."""

    reason: LongText


class ResultReady(StrictModel):
    """The result is ready and must be signed (status 9)."""

    decision_number: ShortText | None = None
    documents: Annotated[list[Document], Field(min_length=1, max_length=200)]
    return_channel: ReturnChannelSymbol


class ResultReturned(StrictModel):
    """The result reached the applicant (status 10, terminal)."""

    return_channel: ReturnChannelSymbol
    waybill_number: Waybill | None = None


class ApologyIssued(StrictModel):
    """An apology letter with a new appointment date was issued for a late dossier."""

    reason: LongText
    new_appointment_at: Timestamp
    letter: Document | None = None


class ExplanationRecorded(StrictModel):
    """The responsible unit's explanation of a late dossier to the head of the agency."""

    unit_code: AgencyCode
    unit_name: ShortText | None = None
    official_id: ExternalId
    official_name: Name | None = None
    reason: LongText
    document_id: Code
    sha256: Sha256Hex
    recorded_at: Timestamp


class SatisfactionRated(StrictModel):
    """The applicant rated the handling by the QĐ 766 criteria, each 1 (rất không hài lòng) to
    5 (rất hài lòng). Legal once handling ended (result returned, refused, withdrawn, stopped);
    a later rating of the dossier replaces the earlier. The comment is never logged."""

    attitude: Score
    time: Score
    publicity: Score
    fees: Score
    overall: Score
    channel: RatingChannelSymbol = "PROVINCIAL_PORTAL"
    official_id: ExternalId | None = None
    comment: LongText | None = None


# -- envelopes -------------------------------------------------------------------------------
class DossierSubmittedEvent(EventEnvelope):
    """A DossierSubmitted event (payload vn.dvchub.event.DossierSubmitted)."""

    event_type: Literal["DossierSubmitted"]
    payload: DossierSubmitted


class DossierAcceptedEvent(EventEnvelope):
    """A DossierAccepted event (payload vn.dvchub.event.DossierAccepted)."""

    event_type: Literal["DossierAccepted"]
    payload: DossierAccepted


class DossierRefusedEvent(EventEnvelope):
    """A DossierRefused event (payload vn.dvchub.event.DossierRefused)."""

    event_type: Literal["DossierRefused"]
    payload: DossierRefused


class ProcessingStepRecordedEvent(EventEnvelope):
    """A ProcessingStepRecorded event (payload vn.dvchub.event.ProcessingStepRecorded)."""

    event_type: Literal["ProcessingStepRecorded"]
    payload: ProcessingStepRecorded


class SupplementRequestedEvent(EventEnvelope):
    """A SupplementRequested event (payload vn.dvchub.event.SupplementRequested)."""

    event_type: Literal["SupplementRequested"]
    payload: SupplementRequested


class SupplementReceivedEvent(EventEnvelope):
    """A SupplementReceived event (payload vn.dvchub.event.SupplementReceived)."""

    event_type: Literal["SupplementReceived"]
    payload: SupplementReceived


class FeeRequestedEvent(EventEnvelope):
    """A FeeRequested event (payload vn.dvchub.event.FeeRequested)."""

    event_type: Literal["FeeRequested"]
    payload: FeeRequested


class FeePaidEvent(EventEnvelope):
    """A FeePaid event (payload vn.dvchub.event.FeePaid)."""

    event_type: Literal["FeePaid"]
    payload: FeePaid


class DossierWithdrawnEvent(EventEnvelope):
    """A DossierWithdrawn event (payload vn.dvchub.event.DossierWithdrawn)."""

    event_type: Literal["DossierWithdrawn"]
    payload: DossierWithdrawn


class ProcessingStoppedEvent(EventEnvelope):
    """A ProcessingStopped event (payload vn.dvchub.event.ProcessingStopped)."""

    event_type: Literal["ProcessingStopped"]
    payload: ProcessingStopped


class ResultReadyEvent(EventEnvelope):
    """A ResultReady event (payload vn.dvchub.event.ResultReady)."""

    event_type: Literal["ResultReady"]
    payload: ResultReady


class ResultReturnedEvent(EventEnvelope):
    """A ResultReturned event (payload vn.dvchub.event.ResultReturned)."""

    event_type: Literal["ResultReturned"]
    payload: ResultReturned


class ApologyIssuedEvent(EventEnvelope):
    """A ApologyIssued event (payload vn.dvchub.event.ApologyIssued)."""

    event_type: Literal["ApologyIssued"]
    payload: ApologyIssued


class ExplanationRecordedEvent(EventEnvelope):
    """A ExplanationRecorded event (payload vn.dvchub.event.ExplanationRecorded)."""

    event_type: Literal["ExplanationRecorded"]
    payload: ExplanationRecorded


class SatisfactionRatedEvent(EventEnvelope):
    """A SatisfactionRated event (payload vn.dvchub.event.SatisfactionRated)."""

    event_type: Literal["SatisfactionRated"]
    payload: SatisfactionRated


PortalEvent = Annotated[
    DossierSubmittedEvent
    | DossierAcceptedEvent
    | DossierRefusedEvent
    | ProcessingStepRecordedEvent
    | SupplementRequestedEvent
    | SupplementReceivedEvent
    | FeeRequestedEvent
    | FeePaidEvent
    | DossierWithdrawnEvent
    | ProcessingStoppedEvent
    | ResultReadyEvent
    | ResultReturnedEvent
    | ApologyIssuedEvent
    | ExplanationRecordedEvent
    | SatisfactionRatedEvent
    | TransferEvent,
    Field(discriminator="event_type"),
]
PORTAL_EVENT = TypeAdapter[PortalEvent](PortalEvent)
EVENT_TYPES: tuple[str, ...] = (
    "DossierSubmitted", "DossierAccepted", "DossierRefused", "ProcessingStepRecorded",
    "SupplementRequested", "SupplementReceived", "FeeRequested", "FeePaid", "DossierWithdrawn",
    "ProcessingStopped", "ResultReady", "ResultReturned", "ApologyIssued", "ExplanationRecorded",
    "SatisfactionRated",
    *TRANSFER_EVENT_TYPES,
)  # fmt: skip


class EventBatch(StrictModel):
    """Body of ``POST /v1/events`` (documentation; items are validated one by one)."""

    events: Annotated[list[PortalEvent], Field(min_length=1, max_length=500)]


class ProcedureEntry(StrictModel):
    """Body of ``PUT /v1/procedures/{code}``: vn.dvchub.Procedure without code and updated_at."""

    name: ShortText
    agency_code: AgencyCode
    agency_name: ShortText | None = None
    agency_type: AgencyTypeSymbol
    level: ServiceLevelSymbol
    deadline_working_days: WorkingDays
    fee_lines: FeeLineList = Field(default_factory=list)
    fee_before_processing: Flag = False
    postal_allowed: Flag = False
    supplement_clock_policy: ClockPolicySymbol | None = None
    valid_from: Day | None = None
    valid_to: Day | None = None


class EventOutcome(StrictModel):
    event_id: UUID
    status: Literal["accepted", "duplicate"]


class BatchAccepted(StrictModel):
    """Answer to ``POST /v1/events`` (202): every event is durably on Kafka."""

    accepted: int
    duplicates: int
    events: list[EventOutcome]


class ProcedureStored(StrictModel):
    """Answer to ``PUT /v1/procedures/{code}`` (200)."""

    procedure_code: str
    updated_at: str


class Health(StrictModel):
    """Answer to ``GET /healthz``: 200 when the broker answers, 503 otherwise."""

    status: Literal["ok", "unavailable"]
    broker: str
    events_topic: str
    broker_reachable: bool


class FieldErrorOut(StrictModel):
    path: str = Field(description="JSON path of the field, e.g. events[3].payload.total_vnd")
    rule: str = Field(description="Machine-readable rule broken, e.g. greater_than_equal")
    message: str


class ValidationFailed(StrictModel):
    """Answer to a request with invalid fields (422); nothing of it was produced."""

    detail: str
    errors: list[FieldErrorOut]


class Problem(StrictModel):
    """Answer to any other refused request (400, 401, 403, 409, 413, 415, 503)."""

    detail: str
