"""The national portal (DVCQG) as the hub sees it from outside this package: ``SPEC``.

In the demo (``DEMO``): the statuses synced to the portal, in order, per dossier; and a dossier
filed on the portal taken in by the intake, served as its service is.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta

from fastapi import FastAPI

from connectors.common import (
    VIETNAM,
    Inbound,
    PartnerSpec,
    Payload,
    Received,
    SimulatorServer,
    Workload,
)
from connectors.common.audit import SimulatorLedger
from connectors.common.demo import Calls, DemoPart, Event, Stage
from connectors.national._client import (
    NATIONAL_DOSSIER_SYNC,
    NATIONAL_PROGRESS_UPDATE,
    PARTNER,
    NationalPortalClient,
)
from connectors.national._config import NationalConfig
from connectors.national._sim import NationalPortalSimulator
from connectors.national._wire import SERVICE_DOSSIER_SYNC, SERVICE_PROGRESS
from connectors.outbox import PartnerClient
from hub.settings import Settings

#: A dossier's life as the national portal sees it (fee step, supplement round, ways back).
LIFE = (1, 6, 2, 4, 5, 4, 9, 10)
_SERVICE_OF = {NATIONAL_DOSSIER_SYNC: SERVICE_DOSSIER_SYNC,
               NATIONAL_PROGRESS_UPDATE: SERVICE_PROGRESS}  # fmt: skip


def client() -> PartnerClient:
    config = NationalConfig()
    config.require_secrets()
    return NationalPortalClient(config)


def run_intake() -> None:
    from connectors.national.__main__ import run_intake as run

    run()


class NationalWorkload(Workload):
    """Per dossier: DongBoHoSoMC and CapNhatTienDoHoSoMC alternately, the statuses of ``LIFE``
    in order; the simulator's order check must stay silent."""

    max_per_dossier = 2 * len(LIFE)
    sample_steps = 2

    def env(self, url: str) -> dict[str, str]:
        return {"DVC_NATIONAL_URL": url}

    def payload(self, dossier: int, step: int) -> Payload:
        code = LIFE[step // 2]
        at = self.started + timedelta(minutes=step)
        if step % 2:
            progress = {"handler_name": "Trần Thị Bình", "handler_title": "Chuyên viên",
                        "handled_at": at, "department": "Phòng Quản lý xây dựng",
                        "content": "Thẩm định hồ sơ", "status_code": code, "started_at": None,
                        "due_at": None}  # fmt: skip
            return NATIONAL_PROGRESS_UPDATE, "NationalProgressUpdate", progress
        sync = {"procedure_code": "1.001612", "procedure_name": "Cấp giấy phép xây dựng",
                "agency_code": "SXD", "applicant_name": "Nguyễn Văn An",
                "received_at": self.started, "appointment_at": None, "returned_at": None,
                "status_code": code, "postal": False, "fee_lines": [],
                "result_documents": []}  # fmt: skip
        return NATIONAL_DOSSIER_SYNC, "NationalDossierSync", sync

    def calls(self, sim: SimulatorServer) -> Counter[str]:
        sim = NationalPortalSimulator.of(sim)
        return Counter({kind: len(sim.received(service=service))
                        for kind, service in _SERVICE_OF.items()})  # fmt: skip

    def received(self, sim: SimulatorServer) -> Received:
        sim = NationalPortalSimulator.of(sim)
        counts = sim.counts()
        violations = len(sim.order_violations)
        problems = (f"{violations:,} order violations",) if violations else ()
        detail = (f"{counts.get(SERVICE_DOSSIER_SYNC, 0):,} {SERVICE_DOSSIER_SYNC}, "
                  f"{counts.get(SERVICE_PROGRESS, 0):,} {SERVICE_PROGRESS}, "
                  f"{counts['logins']} logins, {violations} order violations")  # fmt: skip
        return Received(len(sim.received()), sim.duplicates, detail, problems)

    def fail_next(self, sim: SimulatorServer, count: int) -> None:
        sim = NationalPortalSimulator.of(sim)
        sim.faults.arm("error_5xx", count)

    def ledger(self, sim: SimulatorServer) -> SimulatorLedger:
        from hub.audit import PartnerCall  # only when the audit asks (connectors.common.audit)

        portal = NationalPortalSimulator.of(sim)
        kind_of = {service: kind for kind, service in _SERVICE_OF.items()}

        def applied() -> list[PartnerCall]:
            return [PartnerCall(r.idempotency_key or "", r.ma_ho_so, kind_of[r.service])
                    for r in portal.received()]  # fmt: skip

        return SimulatorLedger(PARTNER, frozenset(_SERVICE_OF), applied, ordered=True)


def demo_simulator(_: Calls | None) -> NationalPortalSimulator:
    return NationalPortalSimulator()


def demo_story(stage: Stage, sim: NationalPortalSimulator) -> None:
    """A dossier filed on the national portal, taken in by the intake polling it."""
    from connectors.national._serve import create_intake_app

    code = f"QG-{stage.run_id}"
    filed = f"{datetime.now(VIETNAM) - timedelta(hours=1):%Y%m%d%H%M%S}"
    sim.file_dossier({
        "MaHoSo": code, "MaTTHC": "1.001612", "TenTTHC": "Cấp giấy phép xây dựng",
        "DonViXuLy": "SXD", "TrangThai": "new", "NgayNop": filed, "NgayTiepNhan": filed,
        "ChuHoSo": {"HoTen": "Nguyễn Văn An", "LoaiDoiTuong": 1, "SoGiayTo": "001203004567",
                    "SoDienThoai": "0912345678",
                    "DiaChi": {"DiaChiChiTiet": "12 Lê Lợi", "PhuongXa": "Mỹ Bình",
                               "TinhThanh": "An Giang"}},
    })  # fmt: skip
    config = NationalConfig(url=sim.url, poll_interval_s=DEMO_POLL_S)

    def app(settings: Settings) -> FastAPI:
        return create_intake_app(settings, config, registry=stage.registry)

    with stage.serve("national-intake", app) as url:
        taken = stage.wait(lambda: _taken_in(stage, code), 60, f"{code} taken in by the intake")
        stage.say(f"national-portal intake ({url}/ready): {code} taken in as "
                  f"{', '.join(e['event_type'] for e in taken)}")  # fmt: skip


def _taken_in(stage: Stage, code: str) -> list[Event]:
    """The intake's events of the dossier (not yet those the hub's processors added)."""
    return [e for e in stage.events(code) if e["source"] == "NATIONAL_PORTAL"]


def _synced(sim: NationalPortalSimulator, dossier_id: str) -> str:
    return " -> ".join(map(str, sim.statuses(dossier_id)))


#: How often the demo's intake asks the portal: it waits for one dossier.
DEMO_POLL_S = 0.5
DEMO = DemoPart(
    title="national portal",
    simulator=demo_simulator,
    story=demo_story,
    per_dossier=("TrangThai synced to the national portal, in order", _synced),
)

SPEC = PartnerSpec(
    name=PARTNER,
    command_types=NationalPortalClient.command_types,
    client=client,
    simulator=NationalPortalSimulator,
    workload=NationalWorkload(),
    inbound=(Inbound("national-intake", "Take in the dossiers filed on the national portal "
                     "(polls its new dossiers; DVC_NATIONAL_*); /ready and /metrics on "
                     "DVC_NATIONAL_INTAKE_HOST:PORT, over TLS (DVC_HTTP_TLS_*).", run_intake),),
    demo=DEMO,
)  # fmt: skip
