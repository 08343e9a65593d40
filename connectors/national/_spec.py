"""The national portal (DVCQG) as the hub sees it from outside this package: ``SPEC``."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from typing import Any

from connectors.common import Inbound, PartnerSpec, Payload, Received, Workload
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

    def calls(self, sim: Any) -> Counter[str]:
        return Counter({kind: len(sim.received(service=service))
                        for kind, service in _SERVICE_OF.items()})  # fmt: skip

    def received(self, sim: Any) -> Received:
        counts = sim.counts()
        violations = len(sim.order_violations)
        problems = (f"{violations:,} order violations",) if violations else ()
        detail = (f"{counts.get(SERVICE_DOSSIER_SYNC, 0):,} {SERVICE_DOSSIER_SYNC}, "
                  f"{counts.get(SERVICE_PROGRESS, 0):,} {SERVICE_PROGRESS}, "
                  f"{counts['logins']} logins, {violations} order violations")  # fmt: skip
        return Received(len(sim.received()), sim.duplicates, detail, problems)

    def fail_next(self, sim: Any, count: int) -> None:
        sim.faults.arm("error_5xx", count)


SPEC = PartnerSpec(
    name=PARTNER,
    command_types=NationalPortalClient.command_types,
    client=client,
    simulator=NationalPortalSimulator,
    workload=NationalWorkload(),
    inbound=(Inbound("national-intake", "Take in the dossiers filed on the national portal "
                     "(polls its new dossiers; DVC_NATIONAL_*); /ready and /metrics on "
                     "DVC_NATIONAL_INTAKE_HOST:PORT, over TLS (DVC_HTTP_TLS_*).", run_intake),),
)  # fmt: skip
