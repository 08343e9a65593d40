"""PartnerCommand payloads -> the portal's request models (dates converted by ``_dates``).

Building the pydantic model checks every code before anything is sent: a status outside 1..10
or a malformed procedure code raises ``pydantic.ValidationError`` here.

NationalDossierSync has no supplement list yet; a payload carrying ``supplements`` (items
``{requested_at, old_appointment_at, new_appointment_at, reason}``) fills
DanhSachHoSoBoSung, otherwise it is sent empty.
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
                NgayYeuCau=to_portal_or_none(item.get("requested_at")),
                NgayHenTraCu=to_portal_or_none(item.get("old_appointment_at")),
                NgayHenTraMoi=to_portal_or_none(item.get("new_appointment_at")),
                LyDo=item.get("reason"),
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
