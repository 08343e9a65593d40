"""The apology letter without a broker: what the hub decides to write, the PDF's text read back
(diacritics included), the same content rendering the same bytes, missing fonts refused."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader

from hub.records import DossierDeadline, SlaAlert
from hub.sla import new_record
from signing import UnsupportedDocument
from signing._apology import ApologySettings, Skip, letter_for
from signing._apology_pdf import MOTTO, NATION, TITLE, LetterContent, render_letter

T0 = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)  # Monday 09:00 in Vietnam
SETTINGS = ApologySettings(place="Long Xuyên", signer_title="Chủ tịch")


def _alert(**changes: Any) -> SlaAlert:
    alert: SlaAlert = {
        "alert_id": "7d1f3c9e-0b2a-4c5d-8e6f-1a2b3c4d5e6f", "dossier_id": "HS-L-1",
        "kind": "APOLOGY_DUE", "agency_code": "UBND-LX", "procedure_code": "1.001",
        "due_at": T0 + timedelta(days=3), "raised_at": T0 + timedelta(days=2),
        "working_minutes_left": 510, "handler": None,
        "proposed_appointment_at": T0 + timedelta(days=10),
    }  # fmt: skip
    alert.update(changes)  # type: ignore[typeddict-item]
    return alert


def _deadline(**changes: Any) -> DossierDeadline:
    record = new_record("HS-L-1")
    record["agency_name"] = "Ủy ban nhân dân phường Long Xuyên"
    record["accepted_at"] = T0
    record["original_appointment_at"] = record["appointment_at"] = T0 + timedelta(days=3)
    record["clock"] = "RUNNING"
    record.update(changes)  # type: ignore[typeddict-item]
    return record


def test_the_hub_writes_only_what_is_asked_and_not_yet_done() -> None:
    assert letter_for(_alert(kind="OVERDUE"), None, _deadline(), SETTINGS) == Skip("not_asked")
    no_date = _alert(proposed_appointment_at=None)
    assert letter_for(no_date, None, _deadline(), SETTINGS) == Skip("not_asked")
    assert letter_for(_alert(), None, None, SETTINGS) == Skip("unknown_dossier")
    officer = _deadline(apology_issued_at=T0 + timedelta(days=1))
    assert letter_for(_alert(), None, officer, SETTINGS) == Skip("apologised")
    ready = _deadline(finished_at=T0 + timedelta(days=2), clock="STOPPED")
    assert letter_for(_alert(), None, ready, SETTINGS) == Skip("finished")


def test_the_reason_is_the_late_records_else_the_default() -> None:
    letter = letter_for(_alert(kind="OVERDUE_WITHOUT_APOLOGY"), None, _deadline(), SETTINGS)
    assert isinstance(letter, LetterContent)
    assert (letter.reason, letter.procedure_name) == (SETTINGS.default_reason, "1.001")
    explained = _deadline(explanation={"reason": "Chờ kết quả xác minh của Công an tỉnh"})
    letter = letter_for(_alert(), None, explained, SETTINGS)
    assert isinstance(letter, LetterContent)
    assert letter.reason == "Chờ kết quả xác minh của Công an tỉnh"
    assert letter.new_appointment_at == T0 + timedelta(days=10)


def test_the_pdf_says_the_standard_form_in_vietnamese() -> None:
    letter = letter_for(_alert(), None, _deadline(), SETTINGS)
    assert isinstance(letter, LetterContent)
    pdf = render_letter(letter)
    assert render_letter(letter) == pdf  # the same letter, the same bytes
    text = PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    for said in (NATION, MOTTO, TITLE, "Mã hồ sơ: HS-L-1", "Lý do: " + SETTINGS.default_reason,
                 "Long Xuyên, ngày 04 tháng 03 năm 2026", "ngày 12/03/2026", "CHỦ TỊCH",
                 "09 giờ 00 phút, ngày 05/03/2026", "Ngày 02/03/2026"):  # fmt: skip
        assert said in text, (said, text)
    assert "ông/bà." in text  # no applicant name known: addressed without one


def test_missing_fonts_are_refused_with_the_fix(tmp_path: Path) -> None:
    letter = letter_for(_alert(), None, _deadline(), SETTINGS)
    assert isinstance(letter, LetterContent)
    with pytest.raises(UnsupportedDocument, match="fonts-dejavu-core"):
        render_letter(letter, tmp_path)
