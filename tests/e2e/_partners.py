"""The partner chain of ``make run`` on a test's own topic prefix, and what to expect of it.

``partner_rig`` starts what the demo's partner section starts (dvchub/demo/_partners.py): the
VNPost callback and bank IPN apps and the portal connector in threads, the four simulators, and
the routing, payments and four outbox workers as processes. ``expected_calls`` says, from a
dossier's events as they are on ``dossier.events``, what the national portal and EMC must have
received (the routing rules' documented contract, folded independently of hub.routing).
"""

from __future__ import annotations

import signal
import time
from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from connectors.bank import PaygovSimulator, create_ipn_app
from connectors.common import AckedPublisher
from connectors.emc import EmcSimulator
from connectors.national import NationalPortalSimulator
from connectors.portal.client import portal_item
from connectors.vnpost import CALLBACK_PATH, VnpostSimulator, create_callback_app
from dvchub.demo._lifecycle import RunningPortal, portal_connector
from dvchub.demo._partners import Events, Topics
from dvchub.demo._servers import serving
from hub import kafka
from hub.dossier import FEE_RETURN, STATUS_CODES, TRANSITIONS
from hub.kafka import ensure_topics
from hub.processing import WorkerProcess, free_port
from hub.records import PartnerOutcome
from hub.sample import PROCEDURES, catalog_entry
from hub.serde import RegistryClient, serde_for
from hub.settings import Settings
from hub.stack import services_granted
from hub.topics import DOSSIER_EVENTS, PARTNER_COMMANDS

T = TypeVar("T")
PARTNERS = ("vnpost", "national", "emc", "bank")
#: The national outbox worker gives up on a dead partner quickly and probes it often, so the
#: outage test sees its breaker open and close within seconds.
NATIONAL_ARGS = ("--retry-base", "0.05", "--retry-cap", "0.5", "--breaker-threshold", "5",
                 "--breaker-cooldown", "0.5", "--breaker-max-cooldown", "2")  # fmt: skip


def wait_for(check: Callable[[], T | None], timeout_s: float, what: str, every: float = 0.3) -> T:
    deadline = time.monotonic() + timeout_s
    while True:
        found = check()
        if found:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"waited {timeout_s:.0f} s for {what}")
        time.sleep(every)


@dataclass
class Rig:
    settings: Settings
    registry: RegistryClient
    vnpost: VnpostSimulator
    national: NationalPortalSimulator
    emc: EmcSimulator
    paygov: PaygovSimulator
    workers: dict[str, WorkerProcess]
    portal: RunningPortal
    signer: AckedPublisher
    events: Events
    topics: Topics = field(init=False)

    def __post_init__(self) -> None:
        self.topics = Topics(self.settings, self.registry)
        self._commands = serde_for(PARTNER_COMMANDS, self.settings.topic_prefix, self.registry)

    def push(self, *events: Mapping[str, Any]) -> None:
        """Through the portal connector, in order (202 once the broker acked)."""
        results = list(self.portal.client.push_all(portal_item(dict(e)) for e in events))
        assert sum(r.accepted for r in results) == len(events), results

    def sign(self, *events: Mapping[str, Any]) -> None:
        """What the signing processor publishes (it is not part of this chain)."""
        self.signer.publish(DOSSIER_EVENTS, [(str(e["dossier_id"]), e) for e in events])

    def dossier_events(self, dossier_id: str, event_type: str | None = None) -> list[Any]:
        return self.topics.dossier_events(dossier_id, event_type)

    def read_events(self) -> dict[str, list[dict[str, Any]]]:
        """Every event on dossier.events (one read), per dossier in topic order."""
        name = DOSSIER_EVENTS.name(self.settings.topic_prefix)
        per: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for record in kafka.read_to_end(self.settings, name):
            if record.value:
                event = self.topics.events.decode(record.value)
                per[str(event["dossier_id"])].append(event)
        return per

    def commands(self) -> list[dict[str, Any]]:
        name = PARTNER_COMMANDS.name(self.settings.topic_prefix)
        records = kafka.read_to_end(self.settings, name)
        return [self._commands.decode(r.value) for r in records if r.value]

    def outcomes(self) -> list[PartnerOutcome]:
        return self.topics.outcome_records()

    def waybills(
        self, dossier_id: str, events: Mapping[str, Sequence[Mapping[str, Any]]] | None = None
    ) -> dict[str, str]:
        """Direction -> waybill number of the dossier's postal orders (PostalOrderCreated)."""
        if events is None:
            created = self.dossier_events(dossier_id, "POSTAL_ORDER_CREATED")
        else:
            created = of_type(events[dossier_id], "POSTAL_ORDER_CREATED")
        return {e["payload"][1]["direction"]: e["payload"][1]["waybill_number"] for e in created}

    def settle(self, timeout_s: float = 60.0) -> list[PartnerOutcome]:
        """Wait until every command on partner.commands has an outcome; the outcomes."""

        missing: list[str] = []

        def done() -> list[PartnerOutcome] | None:
            wanted = {str(c["command_id"]): str(c["command_type"]) for c in self.commands()}
            outcomes = self.outcomes()
            seen = {str(o["command_id"]) for o in outcomes}
            missing[:] = sorted(f"{kind} {cid}" for cid, kind in wanted.items() if cid not in seen)
            return None if missing else outcomes

        try:
            return wait_for(done, timeout_s, "an outcome of every command", every=1.0)
        except AssertionError as exc:
            raise AssertionError(f"{exc}; without one: {missing}") from None


def of_type(events: Sequence[Mapping[str, Any]], event_type: str) -> list[Mapping[str, Any]]:
    return [e for e in events if e["event_type"] == event_type]


@contextmanager
def _started(simulator: T) -> Iterator[T]:
    simulator.start()  # type: ignore[attr-defined]
    try:
        yield simulator
    finally:
        simulator.stop()  # type: ignore[attr-defined]


def _worker(
    stack: ExitStack,
    name: str | None,
    settings: Settings,
    log: Path,
    args: Sequence[str] = (),
    env: Mapping[str, str] | None = None,
    module: str = "hub.processing",
) -> WorkerProcess:
    """``python -m hub.processing worker NAME`` (``module``'s own worker without ``name``),
    stopped when ``stack`` closes."""
    process = WorkerProcess(name, settings, log, args=args, env=env, module=module)
    stack.callback(process.stop)
    return process


def _stop_all(workers: Mapping[str, WorkerProcess]) -> None:
    """SIGTERM to every worker at once, then wait for each (sequential stops take long)."""
    for process in workers.values():
        if process.alive():
            process.proc.send_signal(signal.SIGTERM)
    for process in workers.values():
        process.stop()


@contextmanager
def partner_rig(settings: Settings, registry: RegistryClient, log_dir: Path,
                run_id: str) -> Iterator[Rig]:  # fmt: skip
    """The chain, every part ready. The workers start first (on two loaded cores they take
    longest; each creates the topics it needs), the rest comes up while they do."""
    # every simulator's address is known before it serves, so the workers can be told it now
    vnpost = VnpostSimulator(port=free_port())
    national, emc, paygov = NationalPortalSimulator(), EmcSimulator(), PaygovSimulator()
    env = {"DVC_VNPOST_URL": vnpost.url, "DVC_NATIONAL_URL": national.url,
           "DVC_NATIONAL_TIMEOUT_S": "2", "DVC_EMC_URL": emc.url,
           "DVC_BANK_PAYGOV_BASE_URL": paygov.url}  # fmt: skip
    with ExitStack() as stack:
        # The demo's portal connector logs in as the portal service: its ACLs, for this prefix.
        stack.enter_context(services_granted(settings, settings.topic_prefix))
        workers = {
            "routing": _worker(stack, "routing", settings, log_dir / "routing.log"),
            "payments": _worker(stack, "payments", settings, log_dir / "payments.log"),
        }
        for partner in PARTNERS:
            args = ("--partner", partner, *(NATIONAL_ARGS if partner == "national" else ()))
            workers[partner] = _worker(stack, None, settings, log_dir / f"outbox-{partner}.log",
                                       args, env, module="dvchub.outbox")  # fmt: skip
        ensure_topics(settings)
        callbacks = stack.enter_context(
            serving(create_callback_app(settings, registry=registry), "e2e-vnpost-callbacks")
        )
        ipn = stack.enter_context(serving(create_ipn_app(settings, registry=registry), "e2e-ipn"))
        vnpost.callback_url = callbacks + CALLBACK_PATH
        paygov.ipn_url = f"{ipn}/v1/ipn/paygov"
        for simulator in (vnpost, national, emc, paygov):
            stack.enter_context(_started(simulator))
        portal = stack.enter_context(portal_connector(settings))
        stack.callback(_stop_all, workers)  # runs first; each worker's own stop() is a no-op then
        for procedure in PROCEDURES:
            portal.client.put_procedure(procedure.code, catalog_entry(procedure))
        signer = AckedPublisher(settings, registry, client_id="e2e-signing")
        for process in workers.values():
            process.wait_ready(150)
        # No notify outbox in this chain (tests/connectors/notify has its own): no consent.
        yield Rig(settings, registry, vnpost, national, emc, paygov, workers, portal, signer,
                  Events(run_id, notify=False))  # fmt: skip


@dataclass(frozen=True)
class Expected:
    """What the partners must have received for one dossier."""

    national: list[int]  # DongBoHoSoMC TrangThaiHoSo, in order
    progress: list[int]  # CapNhatTienDoHoSoMC TrangThai, in order
    emc: int  # tracking records


def _has_handler(event: Mapping[str, Any]) -> bool:
    actor = event.get("actor") or {}
    return bool(actor.get("official_name") or actor.get("official_id"))


def expected_calls(events: Sequence[Mapping[str, Any]]) -> Expected:
    """DongBoHoSoMC on every status change (and apology); CapNhatTienDoHoSoMC on every step and
    every status change naming an official; one EMC record per status change or step."""
    national: list[int] = []
    progress: list[int] = []
    emc = 0
    status: str | None = None
    before_fee = "ACCEPTED"
    seen: set[str] = set()
    for event in events:
        if str(event["event_id"]) in seen:
            continue
        seen.add(str(event["event_id"]))
        event_type = str(event["event_type"])
        target = TRANSITIONS.get((event_type, status))
        if target is None:
            continue  # refused by the machine: dead-lettered, no command
        if target == FEE_RETURN:
            target = before_fee
        if event_type == "FEE_REQUESTED" and status != "FEE_REQUESTED":
            before_fee = "PROCESSING" if status == "PROCESSING" else "ACCEPTED"
        changed = target != status
        step = event_type == "PROCESSING_STEP_RECORDED"
        if changed or event_type == "APOLOGY_ISSUED":
            national.append(STATUS_CODES[target])
        if step or (changed and _has_handler(event)):
            progress.append(STATUS_CODES[target])
        if changed or step:
            emc += 1
        status = target
    return Expected(national, progress, emc)
