"""PartnerCommand payloads -> the portal's request models (dates converted by ``_dates``).

Building the pydantic model checks every code before anything is sent: a status outside 1..10
or a malformed procedure code raises ``pydantic.ValidationError`` here.

DanhSachHoSoBoSung comes from NationalDossierSync's ``supplements`` (SupplementRound records,
oldest first): ``requested_at`` -> NgayYeuCau, ``old_appointment_at`` -> NgayHenTraCu,
``new_appointment_at`` -> NgayHenTraMoi (null while the new date is unknown), ``reason`` ->
LyDo (an empty reason is sent as null: the portal refuses an empty text). The round's
``received_at`` is not sent: the portal's HoSoBoSung has no field for it. A payload without
``supplements`` (written before the field existed) sends the list empty.

DonViXuLy is the handling (competent) agency, DonViTiepNhan the receiving desk when a desk other
than the agency's own received the dossier (``receiving_unit``; null, also in payloads written
before it existed, when the handling agency's own desk received it).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from connectors.national._dates import to_portal, to_portal_or_none
from connectors.national._wire import (
    CapNhatTienDoHoSoMC,
    DongBoHoSoMC,
    GiayToKetQua,
    HoSoBoSung,
    LePhi,
)


def dossier_sync(dossier_id: str, payload: Mapping[str, Any]) -> DongBoHoSoMC:
    return DongBoHoSoMC(
        MaHoSo=dossier_id,
        MaTTHC=payload["procedure_code"],
        TenTTHC=payload.get("procedure_name"),
        DonViXuLy=payload["agency_code"],
        DonViTiepNhan=payload.get("receiving_unit"),
        ChuHoSo=payload["applicant_name"],
        NgayTiepNhan=to_portal_or_none(payload.get("received_at")),
        NgayHenTra=to_portal_or_none(payload.get("appointment_at")),
        NgayTra=to_portal_or_none(payload.get("returned_at")),
        TrangThaiHoSo=payload["status_code"],
        HinhThuc=1 if payload.get("postal") else 0,
        DanhSachLePhi=[
            LePhi(
                MaLePhi=fee["code"],
                TenLePhi=fee["name"],
                LoaiLePhi=fee["kind"],
                SoTien=fee["amount_vnd"],
            )
            for fee in payload.get("fee_lines") or ()
        ],
        DanhSachHoSoBoSung=[
            HoSoBoSung(
                NgayYeuCau=to_portal(item["requested_at"]),
                NgayHenTraCu=to_portal_or_none(item.get("old_appointment_at")),
                NgayHenTraMoi=to_portal_or_none(item.get("new_appointment_at")),
                LyDo=item.get("reason") or None,
            )
            for item in payload.get("supplements") or ()
        ],
        DanhSachGiayToKetQua=[
            GiayToKetQua(
                MaGiayTo=doc["document_id"],
                TenGiayTo=doc["name"],
                DinhDang=doc["media_type"],
                MaBam=doc["sha256"],
                KichThuoc=doc["size_bytes"],
            )
            for doc in payload.get("result_documents") or ()
        ],
    )


def progress_update(dossier_id: str, payload: Mapping[str, Any]) -> CapNhatTienDoHoSoMC:
    return CapNhatTienDoHoSoMC(
        MaHoSo=dossier_id,
        NguoiXuLy=payload.get("handler_name"),
        ChucDanh=payload.get("handler_title"),
        ThoiDiemXuLy=to_portal(payload["handled_at"]),
        PhongBanXuLy=payload.get("department"),
        NoiDungXuLy=payload.get("content"),
        TrangThai=payload["status_code"],
        NgayBatDau=to_portal_or_none(payload.get("started_at")),
        NgayKetThucTheoQuyDinh=to_portal_or_none(payload.get("due_at")),
    )
