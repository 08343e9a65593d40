"""EMC as the hub sees it from outside this package: ``SPEC``.

In the demo (``DEMO``): the tracking records it received per dossier (no story of its own: the
others' dossiers are its records).
"""

from __future__ import annotations

from collections import Counter

from connectors.common import PartnerSpec, Payload, Received, SimulatorServer, Workload
from connectors.common.audit import SimulatorLedger
from connectors.common.demo import Calls, DemoPart
from connectors.emc._client import EMC_TRACKING_RECORD, PARTNER, EmcClient
from connectors.emc._config import EmcConfig
from connectors.emc._sim import EmcSimulator
from connectors.emc._wire import CODES
from connectors.outbox import PartnerClient


def client() -> PartnerClient:
    config = EmcConfig()
    config.require_secrets()
    return EmcClient(config)


class EmcWorkload(Workload):
    """Per dossier: one tracking record per status change (EMC's status codes in turn)."""

    statuses = sorted(CODES["emc_status"])

    def env(self, url: str) -> dict[str, str]:
        return {"DVC_EMC_URL": url}

    def payload(self, dossier: int, step: int) -> Payload:
        record = {"procedure_code": "1.001612",
                  "emc_status": self.statuses[step % len(self.statuses)], "reception_form": 1,
                  "payment_form": 1, "level": 4, "from_national_portal": False,
                  "postal": 0}  # fmt: skip
        return EMC_TRACKING_RECORD, "EmcTrackingRecord", record

    def calls(self, sim: SimulatorServer) -> Counter[str]:
        sim = EmcSimulator.of(sim)
        return Counter({EMC_TRACKING_RECORD: sim.counts()["records"]})

    def received(self, sim: SimulatorServer) -> Received:
        sim = EmcSimulator.of(sim)
        counts = sim.counts()
        detail = f"{counts['records']:,} records of {counts['dossiers']:,} dossiers"
        return Received(counts["records"], counts["duplicates"], detail)

    def fail_next(self, sim: SimulatorServer, count: int) -> None:
        sim = EmcSimulator.of(sim)
        sim.faults.arm("error_5xx", count)

    def ledger(self, sim: SimulatorServer) -> SimulatorLedger:
        from hub.audit import PartnerCall  # only when the audit asks (connectors.common.audit)

        emc = EmcSimulator.of(sim)

        def applied() -> list[PartnerCall]:
            return [PartnerCall(r.idempotency_key or "", r.record.MaHoSo, EMC_TRACKING_RECORD)
                    for r in emc.received()]  # fmt: skip

        return SimulatorLedger(PARTNER, frozenset({EMC_TRACKING_RECORD}), applied)


def demo_simulator(_: Calls | None) -> EmcSimulator:
    return EmcSimulator()


def _records(sim: EmcSimulator, dossier_id: str) -> str:
    return str(len(sim.received(dossier_id)))


DEMO = DemoPart(title="EMC", simulator=demo_simulator, per_dossier=("EMC records", _records))

SPEC = PartnerSpec(
    name=PARTNER,
    command_types=EmcClient.command_types,
    client=client,
    simulator=EmcSimulator,
    workload=EmcWorkload(),
    demo=DEMO,
)
