"""Shared records of the portal's JSON, field for field the vn.dvchub Avro records.

Field names are the Avro names; a field with an Avro default may be left out of the JSON and
takes that default, except enum fields, which must name a real symbol (see ``_types``).
Unknown fields are rejected, so a misspelt optional field cannot silently become null.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from connectors.portal._types import (
    AgencyCode,
    AmountVnd,
    ApplicantKindSymbol,
    Code,
    CorrelationId,
    DossierId,
    Email,
    EventTime,
    EventUuid,
    ExternalId,
    FeeKindSymbol,
    IdNumber,
    MediaType,
    Name,
    NotifyChannelSymbol,
    Phone,
    Sha256Hex,
    ShortText,
    SizeBytes,
)


class StrictModel(BaseModel):
    """Base of every input model: unknown fields rejected, validated values immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Actor(StrictModel):
    """vn.dvchub.Actor: the official, department and agency that acted."""

    official_id: ExternalId | None = None
    official_name: Name | None = None
    title: ShortText | None = None
    department: ShortText | None = None
    agency_code: AgencyCode | None = None


class PostalAddress(StrictModel):
    """vn.dvchub.PostalAddress. Personal data: never logged."""

    line: ShortText
    ward: Name | None = None
    district: Name | None = None
    province: Name


class Applicant(StrictModel):
    """vn.dvchub.Applicant (ChuHoSo). id_number, phone, email and address are never logged."""

    kind: ApplicantKindSymbol
    full_name: Name
    id_number: IdNumber | None = None
    phone: Phone | None = None
    email: Email | None = None
    address: PostalAddress | None = None
    #: Channels the applicant wants notifications by, in order, and their consent to them.
    notify_channels: list[NotifyChannelSymbol] = Field(default_factory=list, max_length=3)
    notify_consent: bool = False


class DocumentOrigin(StrictModel):
    """vn.dvchub.DocumentOrigin: the result a reused component was issued and signed as."""

    dossier_id: DossierId
    document_id: Code


class Document(StrictModel):
    """vn.dvchub.Document: content-addressed by its lowercase hex SHA-256; ``reused_from`` set
    when it was taken from the results store instead of uploaded (it then counts as signed in
    the digitisation KPI, docs/kpi-2024.md)."""

    document_id: Code
    name: ShortText
    media_type: MediaType
    sha256: Sha256Hex
    size_bytes: SizeBytes
    reused_from: DocumentOrigin | None = None


class FeeLine(StrictModel):
    """vn.dvchub.FeeLine: one fee (phí) or charge (lệ phí) in VND."""

    code: Code
    name: ShortText
    kind: FeeKindSymbol
    amount_vnd: AmountVnd


class EventEnvelope(StrictModel):
    """Fields every portal event carries besides its type and payload."""

    event_id: EventUuid
    dossier_id: DossierId
    occurred_at: EventTime
    actor: Actor | None = None
    correlation_id: CorrelationId | None = None
