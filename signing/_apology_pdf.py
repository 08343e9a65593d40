"""The apology letter as a PDF: the standard form "Phiếu xin lỗi và hẹn lại ngày trả kết quả".

``render_letter`` lays out the form's content (the national header, the agency, the title, the
dossier, its applicant and procedure, the received and original appointment dates, the reason,
the new date, place and date, the signer's title) with fpdf2 and an embedded, subset Unicode TTF,
so Vietnamese diacritics render in every reader. The font family is DejaVu Sans (the OS package
``fonts-dejavu-core``) unless ``DVC_APOLOGY_FONT_DIR`` names another directory holding
``DejaVuSans.ttf`` and ``DejaVuSans-Bold.ttf``.

The same content renders the same bytes (the PDF's dates are the letter's issue date, not the
clock's), so only the signature differs between two renderings of one letter.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Final

from fpdf import FPDF
from fpdf.enums import Align, XPos, YPos

from ._errors import UnsupportedDocument
from ._models import VIETNAM_TZ

#: Where the font files are unless DVC_APOLOGY_FONT_DIR says otherwise (Debian's fonts-dejavu).
DEFAULT_FONT_DIR: Final = Path("/usr/share/fonts/truetype/dejavu")
FONT_FILES: Final = {"": "DejaVuSans.ttf", "B": "DejaVuSans-Bold.ttf"}
TITLE: Final = "PHIẾU XIN LỖI VÀ HẸN LẠI NGÀY TRẢ KẾT QUẢ"
NATION: Final = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
MOTTO: Final = "Độc lập - Tự do - Hạnh phúc"
_FAMILY: Final = "DejaVu"
_BODY_PT: Final = 12
_LINE_MM: Final = 7.0


@dataclass(frozen=True)
class LetterContent:
    """What one letter says; times are aware and shown in Asia/Ho_Chi_Minh."""

    agency_name: str
    dossier_id: str
    applicant_name: str | None
    procedure_name: str
    received_at: datetime
    original_appointment_at: datetime
    reason: str
    new_appointment_at: datetime
    place: str
    issued_at: datetime
    signer_title: str


def font_dir() -> Path:
    return Path(os.environ.get("DVC_APOLOGY_FONT_DIR") or DEFAULT_FONT_DIR)


def render_letter(content: LetterContent, fonts: Path | None = None) -> bytes:
    """The letter as PDF bytes; ``UnsupportedDocument`` if the fonts are missing."""
    fonts = fonts or font_dir()
    missing = [name for name in FONT_FILES.values() if not (fonts / name).is_file()]
    if missing:
        raise UnsupportedDocument(
            f"the apology letter's fonts are missing from {fonts}: {', '.join(missing)} "
            "(apt-get install fonts-dejavu-core, or set DVC_APOLOGY_FONT_DIR)"
        )
    pdf = FPDF(format="A4")
    pdf.set_creation_date(content.issued_at)
    pdf.set_title(TITLE)
    pdf.set_author(content.agency_name)
    pdf.set_margins(20, 15, 15)
    for style, name in FONT_FILES.items():
        pdf.add_font(_FAMILY, style, str(fonts / name))
    pdf.add_page()
    _header(pdf, content)
    _body(pdf, content)
    return bytes(pdf.output())


def _header(pdf: FPDF, c: LetterContent) -> None:
    half = (pdf.w - pdf.l_margin - pdf.r_margin) / 2
    top = pdf.get_y()
    pdf.set_font(_FAMILY, "B", 10)
    pdf.multi_cell(half - 5, 5, c.agency_name.upper(), align=Align.C)
    pdf.set_font(_FAMILY, "", 10)
    pdf.multi_cell(half - 5, 5, f"Số hồ sơ: {c.dossier_id}", align=Align.C)
    left_bottom = pdf.get_y()
    pdf.set_xy(pdf.l_margin + half, top)
    pdf.set_font(_FAMILY, "B", 10)
    pdf.cell(half, 5, NATION, align=Align.C, new_x=XPos.LEFT, new_y=YPos.NEXT)
    pdf.cell(half, 5, MOTTO, align=Align.C, new_x=XPos.LEFT, new_y=YPos.NEXT)
    pdf.set_font(_FAMILY, "", 10)
    issued = _local(c.issued_at)
    dated = f"{c.place}, ngày {issued.day:02d} tháng {issued.month:02d} năm {issued.year}"
    pdf.cell(half, 7, dated, align=Align.C, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_y(max(left_bottom, pdf.get_y()) + 8)
    pdf.set_font(_FAMILY, "B", 14)
    pdf.cell(0, 8, TITLE, align=Align.C, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(4)


def _body(pdf: FPDF, c: LetterContent) -> None:
    pdf.set_font(_FAMILY, "", _BODY_PT)
    whom = f"ông/bà {c.applicant_name}" if c.applicant_name else "ông/bà"
    paragraphs = (
        f"Ngày {_date(c.received_at)}, {c.agency_name} tiếp nhận giải quyết hồ sơ đề nghị "
        f"giải quyết thủ tục hành chính {c.procedure_name} của {whom}.",
        f"Mã hồ sơ: {c.dossier_id}.",
        f"Thời gian hẹn trả kết quả giải quyết hồ sơ: {_moment(c.original_appointment_at)}.",
        f"Tuy nhiên đến nay, {c.agency_name} chưa trả kết quả giải quyết hồ sơ cho ông/bà "
        "đúng thời hạn.",
        f"Lý do: {c.reason}",
        "Sự chậm trễ này đã gây phiền hà, tốn kém chi phí đi lại cho ông/bà. Chúng tôi xin lỗi "
        "ông/bà và sẽ trả kết quả giải quyết hồ sơ cho ông/bà vào "
        f"{_moment(c.new_appointment_at)}.",
        "Xin trân trọng cảm ơn ông/bà./.",
    )
    for text in paragraphs:
        pdf.multi_cell(0, _LINE_MM, text, align=Align.J, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.ln(1)
    pdf.ln(6)
    half = (pdf.w - pdf.l_margin - pdf.r_margin) / 2
    pdf.set_x(pdf.l_margin + half)
    pdf.set_font(_FAMILY, "B", _BODY_PT)
    pdf.multi_cell(half, _LINE_MM, c.signer_title.upper(), align=Align.C)
    pdf.set_x(pdf.l_margin + half)
    pdf.set_font(_FAMILY, "", 10)
    pdf.multi_cell(half, _LINE_MM, "(Ký số)", align=Align.C)


def _local(moment: datetime) -> datetime:
    return moment.astimezone(VIETNAM_TZ)


def _date(moment: datetime) -> str:
    local = _local(moment)
    return f"{local.day:02d}/{local.month:02d}/{local.year}"


def _moment(moment: datetime) -> str:
    local = _local(moment)
    return f"{local.hour:02d} giờ {local.minute:02d} phút, ngày {_date(local)}"
