"""VNPost as the hub sees it from outside this package: ``SPEC``."""

from __future__ import annotations

from collections import Counter

from connectors.common import Inbound, PartnerSpec, Payload, Received, SimulatorServer, Workload
from connectors.outbox import PartnerClient
from connectors.vnpost._client import PARTNER, POSTAL_CANCEL, POSTAL_ORDER, VnpostClient
from connectors.vnpost._config import VnpostConfig
from connectors.vnpost._simulator import VnpostSimulator

AGENCY = {"name": "Bộ phận Một cửa UBND quận 1",
          "address": {"line": "45-47 Lê Duẩn", "ward": "Bến Nghé", "district": "Quận 1",
                      "province": "TP Hồ Chí Minh"},
          "phone": "02838293600", "email": None}  # fmt: skip
CITIZEN = {"name": "Nguyễn Thị Lan",
           "address": {"line": "12 Nguyễn Huệ", "ward": None, "district": "Quận 1",
                       "province": "TP Hồ Chí Minh"},
           "phone": "0912345678", "email": None}  # fmt: skip


def client() -> PartnerClient:
    config = VnpostConfig()
    config.require_outbound_secrets()
    return VnpostClient(config)


def serve_callbacks() -> None:
    from connectors.vnpost._serve import serve_callbacks as serve
    from hub.settings import get_settings

    serve(get_settings(), VnpostConfig(), log_config=None)


class VnpostWorkload(Workload):
    """Per dossier: a pickup order, then its cancellation, again and again (a cancel that
    overtook its order would be refused: UNKNOWN_ORDER)."""

    sample_steps = 2

    def env(self, url: str) -> dict[str, str]:
        return {"DVC_VNPOST_URL": url}

    def payload(self, dossier: int, step: int) -> Payload:
        number = self.dossier_id(dossier)
        if step % 2:
            cancel = {"direction": "INTAKE_PICKUP", "order_number": number,
                      "reason": "Công dân rút hồ sơ"}  # fmt: skip
            return POSTAL_CANCEL, "PostalCancel", cancel
        order = {"direction": "INTAKE_PICKUP", "order_number": number,
                 "sender": dict(CITIZEN), "receiver": dict(AGENCY), "cod_amount_vnd": 0,
                 "note": "Gọi trước khi đến"}  # fmt: skip
        return POSTAL_ORDER, "PostalOrder", order

    def calls(self, sim: SimulatorServer) -> Counter[str]:
        sim = VnpostSimulator.of(sim)
        return Counter({POSTAL_ORDER: sim.orders_created,
                        POSTAL_CANCEL: sim.count(outcome="cancelled")})  # fmt: skip

    def received(self, sim: SimulatorServer) -> Received:
        sim = VnpostSimulator.of(sim)
        created, cancelled = sim.orders_created, sim.count(outcome="cancelled")
        return Received(created + cancelled, sim.duplicates,
                        f"{created:,} orders created, {cancelled:,} cancelled, "
                        f"{len(sim.callbacks):,} callbacks sent")  # fmt: skip

    def fail_next(self, sim: SimulatorServer, count: int) -> None:
        sim = VnpostSimulator.of(sim)
        sim.inject("unavailable", count)


SPEC = PartnerSpec(
    name=PARTNER,
    command_types=VnpostClient.command_types,
    client=client,
    simulator=VnpostSimulator,
    workload=VnpostWorkload(),
    inbound=(Inbound("vnpost-callbacks", "Serve VNPost's status callbacks (SOAP, WS-Security) on "
                     "DVC_VNPOST_HOST:PORT, over TLS (DVC_HTTP_TLS_*; VNPost's client CA: "
                     "DVC_VNPOST_CLIENT_CA_FILE).", serve_callbacks),),
)  # fmt: skip
