"""EMC's JSON as pydantic models (strict: ``"1"`` or ``true`` is not a code). The client
builds its request with ``TrackingRecord`` (a bad code is refused before sending), the
simulator validates with it, ``openapi.json`` is generated from it.

``POST /api/emc/v1/tracking-records`` with ``Authorization: Bearer <token>`` and
``Idempotency-Key``; answers ``{"error_code": "0" | <code>, "message": str, "data": ...}``.
"""

from __future__ import annotations

from typing import Annotated, Final, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

TRACKING_PATH = "/api/emc/v1/tracking-records"

EmcStatus = Literal[
    0, 1, 2, 3, 4
]  # 1 received, 2 processing, 3 result returned, 4 assigned, 0 other
ReceptionForm = Literal[1, 2]  # 1 online, 2 direct
PaymentForm = Literal[0, 1, 2]  # 1 online, 2 direct, 0 none
Level = Literal[0, 1, 3, 4]  # 0 partial-direct, 1 full-direct, 3 partial-online, 4 full-online
Flag = Literal[0, 1]

#: The codes EMC accepts, per PartnerCommand field (EmcTrackingRecord.avsc).
CODES: Final = {
    "emc_status": frozenset(get_args(EmcStatus)),
    "reception_form": frozenset(get_args(ReceptionForm)),
    "payment_form": frozenset(get_args(PaymentForm)),
    "level": frozenset(get_args(Level)),
    "postal": frozenset(get_args(Flag)),
}

OK = "0"
UNAUTHORIZED = "UNAUTHORIZED"  # [401] missing or wrong token
VALIDATION_FAILED = "VALIDATION_FAILED"  # [400]
INTERNAL_ERROR = "INTERNAL_ERROR"  # [500, 503]

Code = Annotated[
    str,
    StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9._:/-]*$"),
]
PortalDate = Annotated[str, StringConstraints(pattern=r"^[0-9]{14}$")]


class TrackingRecord(BaseModel):
    """One tracking record of one dossier event."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    MaHoSo: Code
    MaTTHC: Code
    TrangThai: EmcStatus = Field(
        description="1 received, 2 processing, 3 returned, 4 assigned, 0 other."
    )
    HinhThucTiepNhan: ReceptionForm = Field(description="1 online, 2 direct.")
    HinhThucThanhToan: PaymentForm = Field(description="1 online, 2 direct, 0 none.")
    MucDo: Level = Field(
        description="0 partial-direct, 1 full-direct, 3 partial-online, 4 full-online."
    )
    TuCongDVCQG: Flag = Field(description="1: filed on the national portal.")
    BuuChinh: Flag = Field(description="0 none, 1 VNPost.")
    ThoiDiem: PortalDate = Field(description="When the hub issued it, yyyyMMddHHmmss Vietnam time.")


class RecordReceipt(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    Id: str = Field(description="EMC's id of the record.")
    MaHoSo: str


class Reply(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    error_code: str
    message: str
    data: RecordReceipt | None = None
