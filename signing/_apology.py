"""Apology letters the hub writes and signs (DOMAIN.md §3; issue #21): what a letter says, and
the ApologyIssued event that records it.

An SLA alert asking for an apology (APOLOGY_DUE, OVERDUE_WITHOUT_APOLOGY) carries the new date
the SLA calendar proposes (``SlaAlert.proposed_appointment_at``). ``letter_for`` decides from the
alert and the dossier's views (the lifecycle's ``DossierState``, the SLA's ``DossierDeadline``)
whether the hub writes one: not when an apology was already issued (an officer's own letter, or
the hub's), nor once handling ended. The reason is the late record's (the unit's explanation)
if it holds one, else ``ApologySettings.default_reason``. ``ApologyWriter`` renders the letter
(``signing._apology_pdf``), stores it, signs it PAdES with the agency's key through
``SigningService`` (B-T with a TSA) and returns the ApologyIssued event: source HUB, its event id
derived from the dossier alone (``apology_event_id``), so a redelivered alert or a second worker
gives the same id, which every fold of the event log drops as a duplicate.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from hub.events import new_event
from hub.records import Document, DossierDeadline, DossierState, SlaAlert

from ._apology_pdf import LetterContent, render_letter
from ._errors import SigningError
from ._models import SignatureLevel, Signed, SigningFailed, SignRequest
from ._service import SigningService
from ._store import DocumentStore

#: Fixed namespace: one apology event id per dossier, whoever writes it and however often.
APOLOGY_NAMESPACE: Final = uuid.UUID("0f6c3d1e-8a42-4b7f-9c15-3e2d7a9b4f60")
ASKING: Final = frozenset({"APOLOGY_DUE", "OVERDUE_WITHOUT_APOLOGY"})
LETTER_ID: Final = "phieu-xin-loi"
LETTER_NAME: Final = "Phiếu xin lỗi và hẹn lại ngày trả kết quả.pdf"


def apology_event_id(dossier_id: str) -> str:
    return str(uuid.uuid5(APOLOGY_NAMESPACE, dossier_id))


@dataclass(frozen=True)
class ApologySettings:
    """What every letter of the province says alike (``DVC_APOLOGY_*``)."""

    place: str = "An Giang"
    signer_title: str = "Thủ trưởng cơ quan"
    default_reason: str = "Hồ sơ cần thêm thời gian xem xét, xác minh để bảo đảm đúng quy định."

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> ApologySettings:
        defaults = cls()
        return cls(
            place=environ.get("DVC_APOLOGY_PLACE") or defaults.place,
            signer_title=environ.get("DVC_APOLOGY_SIGNER_TITLE") or defaults.signer_title,
            default_reason=environ.get("DVC_APOLOGY_DEFAULT_REASON") or defaults.default_reason,
        )


@dataclass(frozen=True)
class Skip:
    """No letter, and why (a metric label)."""

    why: str


def letter_for(
    alert: SlaAlert,
    state: DossierState | None,
    deadline: DossierDeadline | None,
    settings: ApologySettings,
) -> LetterContent | Skip:
    """The letter the hub writes for ``alert``, or why it writes none."""
    proposed = alert.get("proposed_appointment_at")
    if alert["kind"] not in ASKING or proposed is None:
        return Skip("not_asked")
    if deadline is None:
        return Skip("unknown_dossier")
    if deadline["apology_issued_at"] is not None:
        return Skip("apologised")
    if deadline["finished_at"] is not None:
        return Skip("finished")
    original = deadline["original_appointment_at"] or deadline["appointment_at"]
    received = deadline["accepted_at"] or (state.get("accepted_at") if state else None)
    if original is None or received is None:
        return Skip("not_started")
    explanation = deadline.get("explanation")
    return LetterContent(
        agency_name=deadline["agency_name"] or alert["agency_code"],
        dossier_id=alert["dossier_id"],
        applicant_name=state.get("applicant_name") if state else None,
        procedure_name=(state.get("procedure_name") if state else None) or alert["procedure_code"],
        received_at=received,
        original_appointment_at=original,
        reason=explanation["reason"] if explanation else settings.default_reason,
        new_appointment_at=proposed,
        place=settings.place,
        issued_at=alert["raised_at"],
        signer_title=settings.signer_title,
    )


class ApologyWriter:
    """Renders, stores and signs a letter; the ApologyIssued event, or the signature's failure."""

    def __init__(self, service: SigningService, store: DocumentStore, *, timestamped: bool):
        self._service = service
        self._store = store
        self.level = SignatureLevel.PADES_B_T if timestamped else SignatureLevel.PADES_B_B

    def write(self, alert: SlaAlert, letter: LetterContent) -> Mapping[str, object] | SigningFailed:
        try:
            key = self._store.put(render_letter(letter))
        except SigningError as exc:  # no font: a failure to report like a refused signature
            return SigningFailed(LETTER_ID, exc.reason_code, str(exc))
        outcome = self._service.sign_result(
            SignRequest(alert["dossier_id"], LETTER_ID, key, "application/pdf", self.level)
        )
        if not isinstance(outcome, Signed):
            return outcome
        document: Document = {
            "document_id": LETTER_ID, "name": LETTER_NAME, "media_type": "application/pdf",
            "sha256": outcome.signed_sha256,
            "size_bytes": len(self._store.get(outcome.signed_key)),
        }  # fmt: skip
        payload = {
            "reason": letter.reason,
            "new_appointment_at": letter.new_appointment_at,
            "letter": document,
        }
        return new_event(
            alert["dossier_id"], "ApologyIssued", payload, source="HUB",
            occurred_at=alert["raised_at"], causation_id=str(alert["alert_id"]),
            event_id=apology_event_id(alert["dossier_id"]),
        )  # fmt: skip
