"""The national intake attacked: it polls the national portal, so what the attacker controls is
the portal's reply (a spoofed or broken portal). Each hostile reply must be refused with its
precise ``NationalPortalError`` code and nothing produced; the page is asked for again later.
A listed dossier that is itself malformed is dead-lettered by design (the intake moves past
it): that is the intake's own tests' business (``tests/connectors/national/test_intake.py``)."""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime, timedelta
from typing import ClassVar

import pytest

from connectors.national import NationalConfig, NationalIntake
from hub.sample import VN_TZ
from hub.serde import RegistryClient
from hub.settings import Settings
from tests.connectors.national._held import HeldIntake, IntakeTarget
from tests.security._attack import Attempt, Case, Expect, InboundEndpointAttack, Probe
from tests.security._hostile_portal import HostilePortal

#: Small, so that a reply over it streams quickly; the timeout bounds a client that waits.
LIMIT = 64 * 1024
TIMEOUT_S = 3.0
MALFORMED = Expect(None, ("PortalUnavailable", "MALFORMED_REPLY"))


def listing(*items: object, cursor: str | None = None) -> bytes:
    data = {"DanhSachHoSo": list(items), "Cursor": cursor, "ConNua": False}
    return json.dumps({"error_code": "0", "message": "OK", "data": data}).encode()


def filed() -> dict[str, object]:
    """A dossier filed on the national portal an hour ago (fictitious citizen)."""
    at = f"{datetime.now(VN_TZ) - timedelta(hours=1):%Y%m%d%H%M%S}"
    return {
        "MaHoSo": f"QG-{secrets.token_hex(5)}", "MaTTHC": "1.001612", "DonViXuLy": "UBND-LX",
        "TrangThai": "new", "NgayNop": at, "NgayTiepNhan": at,
        "ChuHoSo": {"HoTen": "Nguyễn Văn An", "LoaiDoiTuong": 1, "SoDienThoai": "0912345678"},
    }  # fmt: skip


@pytest.fixture(scope="module")
def portal() -> Iterator[HostilePortal]:
    hostile = HostilePortal()
    yield hostile
    hostile.close()


@pytest.fixture(scope="module")
def target(
    portal: HostilePortal, module_settings: Settings, registry: RegistryClient
) -> Iterator[IntakeTarget]:
    config = NationalConfig(url=portal.url, timeout_s=TIMEOUT_S, max_reply_bytes=LIMIT)
    with HeldIntake(NationalIntake(module_settings, registry, config, poll=False)) as intake:
        assert intake.cursor is None  # its state topic made and read before any attempt
        yield IntakeTarget(portal, intake)


class TestNationalIntakeAttack(InboundEndpointAttack):
    NOT_APPLICABLE: ClassVar[Mapping[Case, str]] = {
        Case.NO_CREDENTIALS: (
            "the hub logs in to the portal, not the other way round: the portal presents no "
            "credentials, that it is the portal is for the connection to the configured URL "
            "(TLS) to prove"
        ),
        Case.WRONG_CREDENTIALS: "as for no credentials: the portal presents none to the hub",
        Case.STALE: (
            "a listing is the answer to the hub's own poll and carries no sending time; a "
            "dossier's filing date may be any age"
        ),
    }
    ACCEPTED = Expect(None, ("imported=1", "events=2"))
    REPLAYED = Expect(None, ("imported=0", "duplicates=1", "events=0"))

    def valid(self, target: object) -> Probe:
        return Probe(body=listing(filed(), cursor=f"c-{secrets.token_hex(4)}"))

    def oversized(self, target: object) -> tuple[Attempt, int]:
        probe = Probe(body=listing(*(filed() for _ in range(LIMIT // 200))))
        assert len(probe.body) > LIMIT
        refused = Expect(None, ("PortalUnavailable", "REPLY_TOO_LARGE"))
        return Attempt("a listing over the limit", probe, refused), LIMIT

    def malformed(self, target: object) -> Sequence[Attempt]:
        depth = LIMIT // 3
        receipt = {"error_code": "0", "message": "OK",
                   "data": {"MaBienNhan": "BN-1", "MaHoSo": "QG-1"}}  # fmt: skip
        not_a_list = {
            "error_code": "0",
            "message": "OK",
            "data": {"DanhSachHoSo": "all of them", "Cursor": None, "ConNua": False},
        }
        return [
            Attempt("not JSON", Probe(body=b"{nope"), MALFORMED),
            Attempt("nested past the parser's depth",
                    Probe(body=b"[" * depth + b"]" * depth), MALFORMED),
            Attempt("not UTF-8", Probe(body=b'{"\xff": 1}'), MALFORMED),
            Attempt("a receipt where a listing belongs", Probe(body=json.dumps(receipt).encode()),
                    Expect(None, ("MALFORMED_REPLY", "is not a listing"))),
            Attempt("a listing that is no list", Probe(body=json.dumps(not_a_list).encode()),
                    MALFORMED),
            Attempt("the whole reply oversized", self.oversized(target)[0].probe,
                    Expect(None, ("REPLY_TOO_LARGE",))),
        ]  # fmt: skip
