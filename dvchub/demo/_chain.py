"""The partner chain, started: what the demo's partner section and ``dvchub simulate`` run.

For each spec with a demo part, in ``NAMES`` order: the endpoint its simulator calls
(``CallsHub``: VNPost's callbacks, the payment IPN) served over HTTPS with mutual TLS by a CA
of the partner's own, then its simulator; the routing and payments processors, any other hub
workers the caller names (the simulation's lifecycle and SLA workers on its clock), and an
outbox worker per partner pointed at its simulator by its spec's workload, as processes; the
portal connector with the catalogue. The endpoints are served in threads of this process, or
(``endpoint_processes``) as processes of their own among the workers (``_endpoints``), which a
fault can kill. The caller's ``ExitStack`` stops it all (the workers at once: one by one they
take long).
"""

from __future__ import annotations

import signal
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from connectors.common import Calls, DemoPart, PartnerSpec, SimulatorServer
from connectors.partners import all_specs
from dvchub.demo._console import console
from dvchub.demo._endpoints import callbacks_process, portal_process
from dvchub.demo._lifecycle import RunningPortal, portal_connector
from dvchub.demo._servers import demo_pki, outbox_process, partner_pki, serving, worker_process
from hub.kafka import ensure_topics
from hub.processing import WorkerProcess
from hub.serde import RegistryClient
from hub.settings import Settings
from hub.stack import as_service

#: How long the chain waits for each of its workers to be ready.
READY_TIMEOUT_S = 120


@dataclass(frozen=True)
class Shown:
    """A partner of the chain: its spec, its demo part and its simulator, started."""

    spec: PartnerSpec
    part: DemoPart[Any]
    sim: SimulatorServer


@dataclass(frozen=True)
class Chain:
    """The chain, every part ready."""

    shown: tuple[Shown, ...]
    #: every process of the chain by name (a caller adds its own: the simulation's intake)
    workers: dict[str, WorkerProcess]
    portal: RunningPortal

    def sim(self, partner: str) -> SimulatorServer:
        return next(s.sim for s in self.shown if s.spec.name == partner)


def start_chain(
    stack: ExitStack,
    settings: Settings,
    registry: RegistryClient,
    log_dir: Path,
    *,
    query_after_s: float,
    hub_workers: Mapping[str, Mapping[str, str]] | None = None,
    catalogue: Iterable[tuple[str, Mapping[str, object]]] = (),
    route: Callable[[str, str], str] | None = None,
    endpoint_processes: bool = False,
) -> Chain:
    """The chain on ``settings``' topic prefix (its services granted by the caller): the
    payments worker asks the provider ``query_after_s`` after a request with no callback;
    ``hub_workers`` maps more processors (``dvchub worker --list``) to their extra variables;
    ``route(partner, url)`` gives the address its outbox uses instead of its simulator's ``url``
    (the fault suite's proxy); ``endpoint_processes``: the portal connector and the partners'
    callback endpoints as processes (named by their commands among the workers)."""
    ensure_topics(settings)
    endpoints: dict[str, WorkerProcess] = {}
    spawned = endpoints if endpoint_processes else None
    shown = tuple(_start_partners(stack, settings, registry, log_dir, spawned))
    # each partner's outbox worker pointed at its simulator by its spec's workload
    env: dict[str, str] = {}
    for s in shown:
        url = s.spec.workload.url(s.sim)
        env.update(s.spec.workload.env(url if route is None else route(s.spec.name, url)))
    named: dict[str, Mapping[str, str] | None] = {
        "routing": None,
        "payments": {"DVC_PAYMENT_QUERY_AFTER": str(query_after_s)},
        **(hub_workers or {}),
    }
    workers = {
        name: _stopped_with(stack, worker_process(name, settings, log_dir / f"{name}-worker.log",
                                                  env=extra))
        for name, extra in named.items()
    }  # fmt: skip
    for s in shown:
        workers[f"outbox-{s.spec.name}"] = _stopped_with(stack, outbox_process(
            s.spec.name, settings, log_dir / f"outbox-{s.spec.name}.log", env=env))  # fmt: skip
    if endpoint_processes:
        connector, portal = portal_process(stack, settings, log_dir)
        endpoints["portal"] = _stopped_with(stack, connector)
        workers.update(endpoints)
        connector.wait_ready(READY_TIMEOUT_S)  # before the catalogue goes in
    stack.callback(_terminate_all, workers)  # runs first; each stop() then only waits
    if not endpoint_processes:
        portal = stack.enter_context(portal_connector(settings))
    for code, entry in catalogue:
        portal.client.put_procedure(code, dict(entry))
    for process in workers.values():
        process.wait_ready(READY_TIMEOUT_S)
    return Chain(shown, workers, portal)


def _start_partners(stack: ExitStack, ps: Settings, registry: RegistryClient, log_dir: Path,
                    processes: dict[str, WorkerProcess] | None) -> Iterator[Shown]:  # fmt: skip
    """Each spec's demo part: the endpoint its simulator calls (in a thread, or a process
    added to ``processes``), then the simulator."""
    pki = demo_pki()
    for spec in all_specs():
        part = spec.demo
        if part is None:
            continue
        calls = None
        if part.calls is not None:
            # mutual TLS: the simulator presents a certificate of the partner's own CA
            own = partner_pki(spec.name)
            if processes is None:
                app = part.calls.app(as_service(ps, part.calls.inbound), registry)
                base = stack.enter_context(serving(app, part.calls.inbound, pki.tls(own.ca)))
            else:
                endpoint = callbacks_process(part.calls, own, ps, log_dir)
                processes[part.calls.inbound] = _stopped_with(stack, endpoint)
                base = endpoint.url
            calls = Calls(base + part.calls.path, pki.client(own.client))
            console.print(f"over HTTPS (CA {pki.hub.ca_file}): {part.calls.inbound} {base}, "
                          f"mutual TLS ({spec.name}'s client CA)")  # fmt: skip
        yield Shown(spec, part, stack.enter_context(started(part.simulator(calls))))


def _stopped_with(stack: ExitStack, process: WorkerProcess) -> WorkerProcess:
    """``process``, stopped when ``stack`` closes."""
    stack.callback(process.stop)
    return process


def _terminate_all(workers: Mapping[str, WorkerProcess]) -> None:
    """SIGTERM to every worker at once (each finishes what it has in flight meanwhile)."""
    for process in workers.values():
        if process.alive():
            process.proc.send_signal(signal.SIGTERM)


@contextmanager
def started(simulator: SimulatorServer) -> Iterator[SimulatorServer]:
    simulator.start()
    try:
        yield simulator
    finally:
        simulator.stop()
