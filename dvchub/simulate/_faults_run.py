"""Injecting a ``FaultPlan`` while the run drives the province, and measuring each fault.

The runner calls ``route`` while the chain starts (each partner's outbox is pointed at a
``PartnerProxy`` in front of its simulator), ``started`` once the tail follows the run, ``tick``
every tick of the drive and of the settling, and ``finish`` before the audit. A fault is
injected on a thread of its own (a broker takes seconds to come back; the feed goes on
meanwhile) and printed; it is *healed* when what it broke is back (the process ready, the
partner up, the broker ready, the poison window over).

What is measured (``hub.simulate._faults_watch``): the p99 of produce -> state before the fault
(the samples just before it) and after (from the injection to its recovery), and the recovery:
seconds from the injection until it healed, every command waiting at the heal has its outcome
(the backlog is gone) and the latest latencies are back near the baseline. Measured, not
asserted: the audit is the verdict.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import datetime

from rich.table import Table

from dvchub.demo import Chain, console
from dvchub.simulate._faults import (
    RESTART_PAUSE_S,
    BrokerKill,
    Fault,
    FaultPlan,
    KillWorkers,
    PartnerDown,
    PartnerSlow,
    Poison,
    RegistryRestart,
)
from dvchub.simulate._faults_poison import PoisonCheck, Poisoner
from dvchub.simulate._faults_proxy import PartnerProxy
from dvchub.simulate._faults_watch import FaultResult, Watch
from dvchub.simulate._tail import Tail
from hub.serde import RegistryClient
from hub.settings import Settings
from hub.stack import LocalStack

#: How long a restarted worker has to be ready again.
READY_TIMEOUT_S = 120.0
#: How long ``finish`` waits for the faults still recovering (and the poison's dead letters).
FINISH_WAIT_S = 120.0
#: How often the recovery of the faults in flight is looked at (real seconds).
CHECK_EVERY_S = 0.5


class FaultPlanError(RuntimeError):
    """The plan names a worker or partner the run does not have, or needs a stack it lacks."""


@dataclass(frozen=True)
class FaultReport:
    plan: str
    results: tuple[FaultResult, ...]
    poison: PoisonCheck | None
    #: (worker, exit code) of the processes that ended on their own and were restarted
    unplanned: tuple[tuple[str, int | None], ...] = ()

    @property
    def clean(self) -> bool:
        """Every fault recovered from and every poison record dead-lettered with its bytes."""
        healed = all(r.recovery_s is not None and r.error is None for r in self.results)
        return healed and (self.poison is None or self.poison.clean)


class FaultInjector:
    def __init__(self, plan: FaultPlan, settings: Settings, registry: RegistryClient,
                 local_stack: LocalStack | None, stack: ExitStack) -> None:  # fmt: skip
        if plan.touches_stack and local_stack is None:
            raise FaultPlanError(f"plan {plan.name} restarts the registry and kills a broker: "
                                 "it needs a local stack of the run's own")  # fmt: skip
        self.plan = plan
        self._settings = settings
        self._registry = registry
        self._local = local_stack
        self._stack = stack
        self.proxies: dict[str, list[PartnerProxy]] = {}
        self._pending = list(plan.faults)
        self._watches: list[Watch] = []
        self._threads: list[threading.Thread] = []
        #: workers a fault or the supervisor is restarting (the supervisor leaves them alone)
        self._restarting: set[str] = set()
        #: (worker, exit code) of each process that ended on its own, restarted
        self.unplanned: list[tuple[str, int | None]] = []
        self._poisoner: Poisoner | None = None
        self._poison_until = 0.0
        self._poison_from = (0, 0)  # the tail's events and the poison sent at its start
        self._poison_share = 0.0
        self._checked = 0.0
        self._span: tuple[datetime, datetime] | None = None
        self._chain: Chain | None = None
        self._tail: Tail | None = None
        self._origin = time.monotonic()
        self._finishing = threading.Event()

    # -- the runner's hooks ----------------------------------------------------------------------
    def route(self, partner: str, url: str) -> str:
        """``url`` of ``partner``'s simulator through proxies of the run (closed with it): one
        per address of a ``;``-separated list (the notification gateway's HTTP and SMTP)."""
        routed = []
        for address in url.split(";"):
            proxy, through = PartnerProxy.before(partner, address)
            self._stack.callback(proxy.close)
            self.proxies.setdefault(partner, []).append(proxy)
            routed.append(through)
        return ";".join(routed)

    def started(self, chain: Chain, tail: Tail, span: tuple[datetime, datetime]) -> None:
        for scheduled in self._pending:
            self._known(scheduled.fault, chain)
        self._chain, self._tail, self._span = chain, tail, span
        # a run that fails mid-fault still waits for the restarts in flight (a worker, the
        # registry, a broker) before its chain stops and whoever stops the stack after it
        self._stack.callback(self._wait_for_faults)
        self._origin = time.monotonic()
        console.print(f"faults ({self.plan.name}): {len(self._pending)} scheduled")

    def tick(self, now: datetime) -> None:
        assert self._span is not None, "started() first"
        assert self._tail is not None
        first, last = self._span
        done = (now - first).total_seconds() / max((last - first).total_seconds(), 1.0)
        while self._pending and self._pending[0].at <= done:
            self._inject(self._pending.pop(0).fault)
        self._plant_poison()
        if time.monotonic() - self._checked >= CHECK_EVERY_S:
            self._checked = time.monotonic()
            for watch in self._watches:
                watch.check(self._tail)
            self._supervise()

    def _supervise(self) -> None:
        """Start again any worker that ended on its own (systemd's ``Restart=on-failure``)."""
        assert self._chain is not None
        for name, worker in self._chain.workers.items():
            if name in self._restarting or worker.alive():
                continue
            code = worker.proc.returncode
            console.print(f"[yellow]supervisor[/]: {name} exited (code {code}), restarting it")
            self.unplanned.append((name, code))
            self._restarting.add(name)
            thread = threading.Thread(target=self._restart, args=((name,), False),
                                      name="simulate-supervisor", daemon=True)  # fmt: skip
            self._threads.append(thread)
            thread.start()

    def _restart(self, names: tuple[str, ...], kill: bool) -> None:
        """kill -9 (``kill``) then, after the supervisor's pause, start ``names`` again and
        wait until they are ready."""
        assert self._chain is not None
        workers = [self._chain.workers[name] for name in names]
        self._restarting.update(names)
        try:
            for worker in workers:
                if kill:
                    worker.kill()
            time.sleep(RESTART_PAUSE_S)
            for worker in workers:
                worker.restart()
            for name in names:
                self._until_ready(name)
        finally:
            self._restarting.difference_update(names)

    def _until_ready(self, name: str) -> None:
        """Wait until worker ``name`` is ready, starting it again if it ends meanwhile (another
        fault, a broker kill, may take it down while it starts)."""
        assert self._chain is not None
        worker = self._chain.workers[name]
        deadline = time.monotonic() + READY_TIMEOUT_S
        while not worker.ready():
            if not worker.alive():
                code = worker.proc.returncode
                console.print(f"[yellow]supervisor[/]: {name} exited (code {code}) while "
                              "starting, restarting it")  # fmt: skip
                self.unplanned.append((name, code))
                time.sleep(RESTART_PAUSE_S)
                worker.restart()
            if time.monotonic() > deadline:
                raise TimeoutError(f"{name} not ready {READY_TIMEOUT_S:.0f} s after its restart")
            time.sleep(CHECK_EVERY_S)

    def finish(self) -> FaultReport:
        """Inject what is left, wait for every fault to heal and recover (bounded), check the
        poison; the report, shown."""
        assert self._tail is not None, "started() first"
        while self._pending:
            self._inject(self._pending.pop(0).fault)
        deadline = self._wait_for_faults()
        self._poison_until = 0.0
        poison = None
        if self._poisoner is not None:
            self._poisoner.close()
            poison = self._settled_poison(deadline)
        while any(w.result().recovery_s is None for w in self._watches):
            if time.monotonic() > deadline:
                break
            for watch in self._watches:
                watch.check(self._tail, settling=True)
            time.sleep(CHECK_EVERY_S)
        report = FaultReport(self.plan.name, tuple(w.result() for w in self._watches), poison,
                             tuple(self.unplanned))  # fmt: skip
        show_report(report)
        return report

    def _wait_for_faults(self) -> float:
        """End the poison window, join the faults' threads (bounded); the deadline used."""
        self._finishing.set()
        deadline = time.monotonic() + FINISH_WAIT_S
        for thread in self._threads:
            thread.join(timeout=max(deadline - time.monotonic(), 0.0))
        return deadline

    # -- injecting ---------------------------------------------------------------------------------
    def _known(self, fault: Fault, chain: Chain) -> None:
        if isinstance(fault, KillWorkers):
            unknown = set(fault.names) - set(chain.workers)
        elif isinstance(fault, PartnerDown | PartnerSlow):
            unknown = set(fault.partners) - set(self.proxies)
        else:
            unknown = set()
        if unknown:
            raise FaultPlanError(f"{fault.label}: the run has no {', '.join(sorted(unknown))}")

    def _inject(self, fault: Fault) -> None:
        assert self._tail is not None
        at_s = time.monotonic() - self._origin
        console.print(f"[bold red]fault[/] at {at_s:,.0f} s: {fault.label}")
        watch = Watch(fault.label, at_s, self._tail)
        self._watches.append(watch)
        thread = threading.Thread(target=self._run, args=(fault, watch),
                                  name="simulate-fault", daemon=True)  # fmt: skip
        self._threads.append(thread)
        thread.start()

    def _run(self, fault: Fault, watch: Watch) -> None:
        try:
            self._act(fault)
        except Exception as exc:  # the table reports it; the audit judges the run
            first = (str(exc).splitlines() or [""])[0]  # a worker's error carries its log tail
            watch.failed(f"{type(exc).__name__}: {first}")
        watch.healed()

    def _act(self, fault: Fault) -> None:
        """Break it, and block until it is back."""
        assert self._chain is not None
        if isinstance(fault, KillWorkers):
            self._restart(fault.names, kill=True)
        elif isinstance(fault, PartnerDown | PartnerSlow):
            proxies = [proxy for p in fault.partners for proxy in self.proxies[p]]
            down = isinstance(fault, PartnerDown)
            _each(proxies, PartnerProxy.down if down else PartnerProxy.slow)
            time.sleep(fault.for_s)
            _each(proxies, PartnerProxy.up if down else PartnerProxy.fast)
        elif isinstance(fault, Poison):
            self._start_poison(fault)
            self._finishing.wait(fault.for_s)  # the window ends with the run's traffic
            self._poison_until = 0.0
        elif isinstance(fault, RegistryRestart):
            assert self._local is not None
            self._local.restart("registry", down_s=fault.down_s)
        else:
            self._kill_broker(fault)

    def _kill_broker(self, fault: BrokerKill) -> None:
        assert self._local is not None
        node = self._local.brokers[fault.node - 1]
        self._local.kill(node.name)
        time.sleep(fault.down_s)
        node.start()
        node.process.wait_ready(node.is_ready, self._local.settings.stack_start_timeout_s)

    # -- poison --------------------------------------------------------------------------------
    def _start_poison(self, fault: Poison) -> None:
        assert self._tail is not None
        if self._poisoner is None:
            self._poisoner = Poisoner(self._settings, self._registry)
        # each window plants its share of the events it sees
        self._poison_from = (self._tail.events, self._poisoner.sent)
        self._poison_share = fault.share
        self._poison_until = time.monotonic() + fault.for_s

    def _plant_poison(self) -> None:
        """As many poison records as ``share`` of the events the tail saw since it started."""
        poisoner, tail = self._poisoner, self._tail
        if poisoner is None or tail is None or time.monotonic() > self._poison_until:
            return
        events, sent = self._poison_from
        due = int((tail.events - events) * self._poison_share) - (poisoner.sent - sent)
        if due <= 0:
            return
        dossiers = list(tail.statuses())
        for _ in range(due):
            poisoner.plant(random.choice(dossiers) if dossiers else "poison")  # noqa: S311

    def _settled_poison(self, deadline: float) -> PoisonCheck:
        """The poison check, again while a dead letter is missing (the lifecycle may still be
        behind its last poison record), until ``deadline``."""
        assert self._poisoner is not None
        while True:
            check = self._poisoner.check(self._registry)
            if check.clean or time.monotonic() > deadline:
                return check
            time.sleep(CHECK_EVERY_S * 4)


def _each(proxies: list[PartnerProxy], act: Callable[[PartnerProxy], None]) -> None:
    for proxy in proxies:
        act(proxy)


def show_report(report: FaultReport) -> None:
    table = Table("fault", "at (s)", "recovery (s)", "p99 before (ms)", "p99 after (ms)",
                  "note", title=f"faults ({report.plan})")  # fmt: skip

    def ms(value: float | None) -> str:
        return "-" if value is None else f"{value:,.0f}"

    for r in report.results:
        recovery = "not recovered" if r.recovery_s is None else f"{r.recovery_s:,.1f}"
        table.add_row(r.fault, f"{r.at_s:,.0f}", recovery, ms(r.p99_before_ms),
                      ms(r.p99_after_ms), r.error or "")  # fmt: skip
    console.print(table)
    poison = report.poison
    if poison is not None:
        by = ", ".join(f"{k} {v:,}" for k, v in sorted(poison.by_processor.items()))
        reasons = ", ".join(f"{k} {v:,}" for k, v in sorted(poison.reasons.items()))
        console.print(f"poison: {poison.planted:,} records planted, "
                      f"{poison.planted - len(poison.missing):,} dead-lettered by the lifecycle "
                      f"with their bytes; dead letters by processor: {by or 'none'}; "
                      f"reasons: {reasons or 'none'}")  # fmt: skip
    for name, code in report.unplanned:
        console.print(f"[yellow]supervisor[/]: {name} ended on its own (code {code}), restarted")
    console.print(f"faults: {'all recovered' if report.clean else 'NOT all recovered'}")


__all__ = ["FaultInjector", "FaultPlanError", "FaultReport", "show_report"]
