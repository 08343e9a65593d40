"""VNPost as the hub sees it from outside this package: ``SPEC``.

In the demo (``DEMO``): a dossier filed by post both ways: VNPost collects it and delivers it to
the agency, then returns the result with the fee collected on delivery (COD); the status
callbacks come back through the callback endpoint, over mutual TLS.
"""

from __future__ import annotations

from collections import Counter

from fastapi import FastAPI

from connectors.common import Inbound, PartnerSpec, Payload, Received, SimulatorServer, Workload
from connectors.common.audit import SimulatorLedger
from connectors.common.demo import Calls, CallsHub, DemoPart, Stage
from connectors.outbox import PartnerClient
from connectors.vnpost._app import create_callback_app
from connectors.vnpost._client import PARTNER, POSTAL_CANCEL, POSTAL_ORDER, VnpostClient
from connectors.vnpost._config import CALLBACK_PATH, VnpostConfig
from connectors.vnpost._serve import CLIENT_CA_VARIABLE
from connectors.vnpost._simulator import VnpostSimulator
from hub.serde import RegistryClient
from hub.settings import Settings
from hub.topics import PARTNER_OUTCOMES

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

    def ledger(self, sim: SimulatorServer) -> SimulatorLedger:
        from hub.audit import PartnerCall  # only when the audit asks (connectors.common.audit)

        vnpost = VnpostSimulator.of(sim)
        # what the simulator applied: an order created or cancelled (a repeated key is a
        # "duplicate", a refusal or a fault changed nothing)
        kinds = {"created": POSTAL_ORDER, "cancelled": POSTAL_CANCEL}

        def applied() -> list[PartnerCall]:
            return [PartnerCall(r.idempotency_key or "", r.order_number, kinds[r.outcome])
                    for r in list(vnpost.requests) if r.outcome in kinds]  # fmt: skip

        return SimulatorLedger(PARTNER, frozenset(kinds.values()), applied)


def demo_simulator(calls: Calls | None) -> VnpostSimulator:
    if calls is None:
        return VnpostSimulator()
    return VnpostSimulator(callback_url=calls.url, callback_tls=calls.tls)


def _waybills(stage: Stage, dossier_id: str) -> list[str]:
    """Waybills of the orders the outbox created for the dossier (what the callback endpoint
    accepts callbacks for)."""
    return [str(o["partner_reference"]) for o in stage.read(PARTNER_OUTCOMES)
            if o["dossier_id"] == dossier_id and o["command_type"] == POSTAL_ORDER
            and o["partner"] == PARTNER and o["outcome"] == "ACCEPTED"]  # fmt: skip


def demo_story(stage: Stage, sim: VnpostSimulator) -> None:
    """Dossier 1, filed by post: collected, delivered, processed, its result returned by post."""
    sample, one = stage.sample, stage.sample.dossier_id(1)
    stage.push(sample.submitted(1, "POSTAL", postal=True))
    stage.wait(lambda: _waybills(stage, one), 60, "the pickup order the outbox created")
    sim.advance_all(until_final=True)
    stage.wait(lambda: stage.events(one, "POSTAL_STATUS_CHANGED"), 60, "VNPost's callbacks")
    stage.push(sample.accepted(1), sample.step(1), sample.result_ready(1, "POSTAL"))
    stage.publish(sample.result_signed(1))
    stage.wait(lambda: len(_waybills(stage, one)) >= 2, 60, "the delivery order from the outbox")
    sim.advance_all(until_final=True)
    stage.wait(lambda: stage.events(one, "RESULT_RETURNED"), 60, "the result delivered")
    changes = stage.events(one, "POSTAL_STATUS_CHANGED")
    rows = []
    for order in stage.events(one, "POSTAL_ORDER_CREATED"):
        p = order["payload"][1]
        statuses = [c["payload"][1]["status"] for c in changes
                    if c["payload"][1]["waybill_number"] == p["waybill_number"]]  # fmt: skip
        rows.append((p["direction"], p["waybill_number"], f"{p['cod_amount_vnd']:,}",
                     " -> ".join(statuses)))  # fmt: skip
    stage.say(f"{one}: postal intake and return (QĐ 45/2016)")
    stage.table(("direction", "waybill (UPU S10)", "COD VND", "tracked (VNPost callbacks)"), rows)


def demo_app(settings: Settings, registry: RegistryClient) -> FastAPI:
    return create_callback_app(settings, registry=registry)


DEMO = DemoPart(
    title="VNPost (SOAP)",
    simulator=demo_simulator,
    calls=CallsHub(
        "vnpost-callbacks",
        demo_app,
        CALLBACK_PATH,
        # what `dvchub vnpost-callbacks` binds by (its config) and takes the client CA from
        VnpostConfig.model_config["env_prefix"] + "HOST",
        VnpostConfig.model_config["env_prefix"] + "PORT",
        CLIENT_CA_VARIABLE,
    ),
    story=demo_story,
)

SPEC = PartnerSpec(
    name=PARTNER,
    command_types=VnpostClient.command_types,
    client=client,
    simulator=VnpostSimulator,
    workload=VnpostWorkload(),
    inbound=(Inbound("vnpost-callbacks", "Serve VNPost's status callbacks (SOAP, WS-Security) on "
                     "DVC_VNPOST_HOST:PORT, over TLS (DVC_HTTP_TLS_*; VNPost's client CA: "
                     "DVC_VNPOST_CLIENT_CA_FILE).", serve_callbacks),),
    demo=DEMO,
)  # fmt: skip
