"""The portal's JSON, as pydantic models: the simulator validates with them, the client builds
its requests with them (so a bad code is refused before sending), and ``openapi.json`` is
generated from them. Field names are the portal's (Vietnamese, PascalCase).

Envelope of every service call: ``{"service": <name>, "data": {...}}`` with the session token
in ``X-Session-Token`` and the idempotency key in ``Idempotency-Key``. Every answer is
``{"error_code": "0" | <code>, "message": str, "data": {...} | null}``.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

PortalDate = Annotated[str, StringConstraints(strict=True, pattern=r"^[0-9]{14}$")]
Text = Annotated[str, StringConstraints(strict=True, min_length=1, max_length=4000)]
Code = Annotated[
    str,
    StringConstraints(
        strict=True, min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9._:/-]*$"
    ),
]
StatusCode = Annotated[int, Field(strict=True, ge=1, le=10)]

SERVICE_DOSSIER_SYNC = "DongBoHoSoMC"
SERVICE_PROGRESS = "CapNhatTienDoHoSoMC"
SERVICE_LIST_NEW = "LayDanhSachHoSoMoi"
SERVICE_LIST_RATINGS = "LayDanhSachDanhGia"
SERVICES = (SERVICE_DOSSIER_SYNC, SERVICE_PROGRESS, SERVICE_LIST_NEW, SERVICE_LIST_RATINGS)

#: ``error_code`` values (HTTP status in brackets).
OK = "0"
INVALID_CREDENTIALS = "INVALID_CREDENTIALS"  # [401] login refused
SESSION_EXPIRED = "SESSION_EXPIRED"  # [401] token unknown or expired: log in again
VALIDATION_FAILED = "VALIDATION_FAILED"  # [400] the request breaks this schema
UNKNOWN_SERVICE = "UNKNOWN_SERVICE"  # [400] no such service
INTERNAL_ERROR = "INTERNAL_ERROR"  # [500, 503] try again later


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# -- login -----------------------------------------------------------------------------------
class LoginRequest(_Strict):
    username: Text
    password: Text


class LoginReply(_Strict):
    error_code: str
    message: str
    session_token: str
    expires_in: int = Field(description="Seconds the token stays valid.")
    expires_at: PortalDate


class ErrorReply(_Strict):
    error_code: str
    message: str
    data: None = None


# -- DongBoHoSoMC ----------------------------------------------------------------------------
class LePhi(_Strict):
    MaLePhi: Code
    TenLePhi: Text
    LoaiLePhi: Literal["FEE", "CHARGE", "UNKNOWN"]
    SoTien: Annotated[int, Field(strict=True, ge=0)]


class HoSoBoSung(_Strict):
    """A supplement round: when it was asked, the appointment before and after it."""

    NgayYeuCau: PortalDate | None = None
    NgayHenTraCu: PortalDate | None = None
    NgayHenTraMoi: PortalDate | None = None
    LyDo: Text | None = None


class GiayToKetQua(_Strict):
    MaGiayTo: Code
    TenGiayTo: Text
    DinhDang: Text
    MaBam: Annotated[str, StringConstraints(strict=True, pattern=r"^[0-9a-f]{64}$")]
    KichThuoc: Annotated[int, Field(strict=True, ge=0)]


class DongBoHoSoMC(_Strict):
    MaHoSo: Code
    MaTTHC: Code
    TenTTHC: Text | None = None
    DonViXuLy: Code
    DonViTiepNhan: Code | None = Field(
        None, description="Receiving desk when it is not the handling unit's own (NĐ 118/2025)."
    )
    ChuHoSo: Text
    NgayTiepNhan: PortalDate | None = None
    NgayHenTra: PortalDate | None = None
    NgayTra: PortalDate | None = None
    TrangThaiHoSo: StatusCode
    HinhThuc: Literal[0, 1] = Field(description="1 = by post, 0 otherwise.")
    DanhSachLePhi: list[LePhi] = Field(default_factory=list)
    DanhSachHoSoBoSung: list[HoSoBoSung] = Field(default_factory=list)
    DanhSachGiayToKetQua: list[GiayToKetQua] = Field(default_factory=list)


# -- CapNhatTienDoHoSoMC ---------------------------------------------------------------------
class CapNhatTienDoHoSoMC(_Strict):
    MaHoSo: Code
    NguoiXuLy: Text | None = None
    ChucDanh: Text | None = None
    ThoiDiemXuLy: PortalDate
    PhongBanXuLy: Text | None = None
    NoiDungXuLy: Text | None = None
    TrangThai: StatusCode
    NgayBatDau: PortalDate | None = None
    NgayKetThucTheoQuyDinh: PortalDate | None = None


# -- LayDanhSachHoSoMoi ----------------------------------------------------------------------
class LayDanhSachHoSoMoi(_Strict):
    Cursor: str | None = Field(None, description="Opaque; null: from the first dossier.")
    SoLuong: Annotated[int, Field(strict=True, ge=1, le=1000)] = 100


class DiaChiQuocGia(_Strict):
    DiaChiChiTiet: Text
    PhuongXa: Text | None = None
    QuanHuyen: Text | None = None
    TinhThanh: Text


class ChuHoSoQuocGia(_Strict):
    HoTen: Text
    LoaiDoiTuong: Literal[1, 2] = Field(description="1 citizen, 2 organisation.")
    SoGiayTo: Text | None = None
    SoDienThoai: Text | None = None
    Email: Text | None = None
    DiaChi: DiaChiQuocGia | None = None


class HoSoQuocGia(_Strict):
    """A dossier filed on the national portal, as its listing shows it."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    MaHoSo: Code
    MaTTHC: Code
    TenTTHC: Text | None = None
    DonViXuLy: Code
    TrangThai: str = Field(description="receiving, new, denied, processing, waiting, paying, "
                           "cancelled, unresolved, releasing, done.")  # fmt: skip
    NgayNop: PortalDate
    NgayTiepNhan: PortalDate | None = None
    NgayHenTra: PortalDate | None = None
    LyDo: Text | None = Field(None, description="Why it was denied (state denied).")
    HinhThuc: Literal[0, 1] = Field(0, description="1 = result returned by post.")
    ChuHoSo: ChuHoSoQuocGia


class _Listing(BaseModel):
    """A listing's data: its items (a field of each listing's own name), the cursor and
    whether more wait. Items stay raw: each is validated (or dead-lettered) on its own."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    Cursor: str | None = Field(description="Pass it back to continue after the last item.")
    ConNua: bool = Field(description="More items are waiting after this page.")


class DanhSachHoSo(_Listing):
    """The new dossiers listing's data."""

    DanhSachHoSo: list[object] = Field(description="HoSoQuocGia items.")


# -- LayDanhSachDanhGia ----------------------------------------------------------------------
class LayDanhSachDanhGia(LayDanhSachHoSoMoi):
    """The ratings applicants gave on the national portal since ``Cursor``."""


#: A satisfaction score as the national portal records it: 1 (rất không hài lòng) to 5 (rất
#: hài lòng), the scale of ``vn.dvchub.event.SatisfactionRated``.
Score = Annotated[int, Field(strict=True, ge=1, le=5)]


class DanhGiaQuocGia(_Strict):
    """A rating given on the national portal (the QĐ 766 criteria), as its listing shows it."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    MaDanhGia: Code = Field(description="The rating's id on the portal.")
    MaHoSo: Code
    ThaiDo: Score = Field(description="Officials' attitude.")
    ThoiGian: Score = Field(description="Handling time.")
    CongKhai: Score = Field(description="Publicity of the procedure.")
    PhiLePhi: Score = Field(description="Fees and charges.")
    HaiLong: Score = Field(description="Overall satisfaction.")
    MaCanBo: Code | None = Field(None, description="The official rated, if the applicant chose.")
    NoiDung: Text | None = Field(None, description="The applicant's comment (personal data).")
    NgayDanhGia: PortalDate


class DanhSachDanhGia(_Listing):
    """The ratings listing's data."""

    DanhSachDanhGia: list[object] = Field(description="DanhGiaQuocGia items.")


# -- the service call envelope ---------------------------------------------------------------
class DongBoRequest(_Strict):
    service: Literal["DongBoHoSoMC"]
    data: DongBoHoSoMC


class CapNhatRequest(_Strict):
    service: Literal["CapNhatTienDoHoSoMC"]
    data: CapNhatTienDoHoSoMC


class DanhSachRequest(_Strict):
    service: Literal["LayDanhSachHoSoMoi"]
    data: LayDanhSachHoSoMoi = Field(default_factory=LayDanhSachHoSoMoi)


class DanhSachDanhGiaRequest(_Strict):
    service: Literal["LayDanhSachDanhGia"]
    data: LayDanhSachDanhGia = Field(default_factory=LayDanhSachDanhGia)


ServiceRequest = Annotated[
    DongBoRequest | CapNhatRequest | DanhSachRequest | DanhSachDanhGiaRequest,
    Field(discriminator="service"),
]


class Receipt(_Strict):
    MaBienNhan: str = Field(description="The portal's receipt id of the call.")
    MaHoSo: str


class ServiceReply(_Strict):
    error_code: str
    message: str
    data: Receipt | DanhSachHoSo | DanhSachDanhGia | None = None
