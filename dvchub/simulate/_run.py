"""``dvchub simulate``: the province's scripts through the whole hub, on a simulated clock.

On its own topic prefix (``<prefix>sim.<run id>.``, its services granted for the run): the
partner chain of the demo (``dvchub.demo._chain``: every partner's simulator and inbound
endpoint, routing, payments and an outbox worker per partner) plus the lifecycle and SLA
workers, the national portal's intake polling its simulator, and the portal connector with the
province's catalogue. Every process reads one clock: a ``file:`` clock (``hub.processing``)
the runner moves at most ``speed`` times faster than real time once everything is ready (so the
minute the workers take to start costs no simulated time), and never ahead of the workers that
judge time (``_pace``): the achieved speed follows the hub. The simulators act on the same
simulated time (``_feed.PartnerClock``). The scripts are fed as it passes (``_feed``), what the
hub writes is followed (``_tail``), a progress bar and a live summary are refreshed every
second; at the end, once every dossier reached its script's final state and every command has
its outcome, the figures, then the audit (``run_audit``).
"""

from __future__ import annotations

import statistics
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, closing, nullcontext
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path

from rich.console import Group
from rich.live import Live
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from connectors.bank import PaygovSimulator
from connectors.common import AckedPublisher, Received
from connectors.common.audit import ledgers as partner_ledgers
from connectors.national import NationalPortalSimulator
from connectors.partners import all_specs
from connectors.vnpost import VnpostSimulator
from dvchub.demo import Chain, console, endpoint_process, start_chain
from dvchub.simulate._faults import FaultPlan
from dvchub.simulate._faults_run import FaultInjector, FaultReport
from dvchub.simulate._feed import Feed, PartnerClock, Partners
from dvchub.simulate._pace import STALL_S, ClockStalled, Pacer
from dvchub.simulate._province import Province
from dvchub.simulate._script import Script, scripts
from dvchub.simulate._tail import Summary, Tail
from hub import audit
from hub.dossier import REFUSED, RESULT_RETURNED
from hub.kpi import PROCESSORS as KPI_PROCESSORS
from hub.processing import FileClock, free_port
from hub.serde import RegistryClient
from hub.settings import Settings
from hub.stack import LocalStack, services_granted

#: The hub's folds beyond the partner chain, each a worker on the run's clock: every part, so
#: the audit finds each derived topic kept (the KPI folds too).
HUB_WORKERS = ("lifecycle", "sla", *KPI_PROCESSORS)
#: Real seconds after a payment request with no callback before the payments worker asks.
QUERY_AFTER_S = 3
#: How often the intake polls the national portal (real seconds).
INTAKE_POLL_S = 0.5
#: How often the runner moves the clock and feeds due steps (real seconds).
TICK_S = 0.1
#: Real seconds the hub has, after the last step, to reach every final state and outcome.
SETTLE_S = 120.0
#: Real seconds a barrier may wait on a judging worker under faults (a restart after a broker
#: kill, with the group's rebalance, took up to 157 s on a loaded machine).
FAULT_STALL_S = 600.0
#: Threads for the partners' slow steps (VNPost's callbacks, IPNs with retries).
PARTNER_THREADS = 4


class SimulationFailed(RuntimeError):
    """The run did not end as its scripts say (states, outcomes) within ``SETTLE_S``."""


@dataclass(frozen=True)
class Figures:
    dossiers: int
    events: int
    real_s: float
    speed: float  # the target: simulated seconds per real second
    per_partner: Mapping[str, Counter[str]]
    received: Mapping[str, Received]
    to_state_ms: tuple[float, float] | None  # p50, p99
    planned_late: int
    observed_late: int
    callbacks: Mapping[str, int]
    dead_letters: Mapping[str, int]
    wrong_final: Mapping[str, tuple[str, str | None]]  # dossier -> (expected, found)
    without_outcome: tuple[str, ...]
    #: the audit's verdict (None until it ran: ``run_simulation`` sets it)
    audit_clean: bool | None = None
    #: the speed the clock achieved while the scripts were fed (it waits for the hub)
    achieved_speed: float = 0.0
    #: per agency (its name): dossiers filed, returned, refused, planned late, judged late
    per_agency: Mapping[str, Counter[str]] = field(default_factory=dict)
    #: the faults injected (``--faults``), measured; None: a run without faults
    faults: FaultReport | None = None
    #: the audit's findings, check -> kind (lost, duplicated, disagreeing) -> count
    audit_counts: Mapping[str, Mapping[str, int]] | None = None

    @property
    def events_per_s(self) -> float:
        return self.events / self.real_s if self.real_s else 0.0


def run_simulation(
    settings: Settings,
    registry: RegistryClient,
    province: Province,
    run_id: str,
    log_dir: Path,
    *,
    live: bool = True,
    on_settled: Callable[[Chain, Tail, Sequence[Script]], None] | None = None,
    faults: FaultPlan | None = None,
    local_stack: LocalStack | None = None,
) -> Figures:
    """Run ``province`` on ``<prefix>sim.<run_id>.``; the figures (``SimulationFailed`` if a
    dossier or a command did not end as its script says). ``faults``: injected while it runs
    (``_faults_run``), the registry and broker faults on ``local_stack``."""
    found = scripts(province)
    first, last = province.opening, max(s.ends_at for s in found)
    speed = province.speed or (last - first).total_seconds() / province.target_real_s
    prefix = f"{settings.topic_prefix}sim.{run_id}."
    ps = settings.model_copy(update={"topic_prefix": prefix})
    log_dir.mkdir(parents=True, exist_ok=True)
    clock = FileClock(log_dir / "clock")
    clock.set(first)  # held here while the workers start
    console.print(f"[bold]{province.name}[/]: {len(found):,} dossiers over {province.days} days "
                  f"from {first:%Y-%m-%d}, {speed:,.0f}x real time; topics {prefix}*; "
                  f"logs in {log_dir}")  # fmt: skip
    partner_of = {kind: spec.name for spec in all_specs() for kind in spec.command_types}
    with ExitStack() as stack:
        stack.enter_context(services_granted(settings, prefix))
        injector = None if faults is None else FaultInjector(faults, ps, registry, local_stack,
                                                              stack)  # fmt: skip
        chain = start_chain(
            stack, ps, registry, log_dir, query_after_s=QUERY_AFTER_S,
            hub_workers={name: {"DVC_CLOCK": clock.spec} for name in HUB_WORKERS},
            catalogue=((p.code, province.catalog_entry(p)) for p in province.catalogue),
            route=None if injector is None else injector.route, endpoint_processes=True,
        )  # fmt: skip
        vnpost = VnpostSimulator.of(chain.sim("vnpost"))
        bank = PaygovSimulator.of(chain.sim("bank"))
        # the partners act on the simulated clock: a payment's paid time (the FeePaid's, which
        # resumes the SLA clock a fee paused), a postal order's statuses (VNPost's callbacks)
        vnpost.clock = bank.clock = partner_clock = PartnerClock(clock.now)
        partners = Partners(vnpost, bank, NationalPortalSimulator.of(chain.sim("national")),
                            partner_clock)  # fmt: skip
        _intake_process(stack, chain, ps, log_dir, partners.national)
        signer = AckedPublisher(ps, registry, client_id="dvchub-simulate-signing")
        stack.callback(signer.close)
        tail = Tail(ps, registry, partner_of)
        tail.start()
        stack.callback(tail.stop)
        # under faults a judging worker may be down (killed, its broker gone) for minutes
        stall_s = STALL_S if injector is None else FAULT_STALL_S
        pacer = stack.enter_context(closing(Pacer(ps, clock, tail.lagging, speed,
                                                  stall_s=stall_s)))  # fmt: skip
        pool = stack.enter_context(ThreadPoolExecutor(PARTNER_THREADS, "simulate-partner"))
        feed = Feed(found, chain.portal, signer, partners, tail, pool)
        started = time.monotonic()
        if injector is not None:
            injector.started(chain, tail, (first, last))
        on_tick = None if injector is None else injector.tick
        try:
            _drive(feed, tail, pacer, (first, last), province, live=live, on_tick=on_tick)
            achieved = pacer.achieved()
            _settle(found, feed, tail, pacer, on_tick=on_tick)
        except ClockStalled as exc:
            raise SimulationFailed(str(exc)) from exc
        finally:
            pacer.close()  # idle from here on: its client would only log its metadata refreshes
        report = None if injector is None else injector.finish()
        if on_settled is not None:
            on_settled(chain, tail, found)
        names = {a.code: a.name for a in province.agencies}
        figures = replace(_figures(found, tail, chain, time.monotonic() - started, speed),
                          achieved_speed=achieved,
                          per_agency=_per_agency(found, tail, names))  # fmt: skip
        show_figures(figures)
        for code, reason in tail.dead_letter_reasons().items():
            console.print(f"dead letter {code}, the first: {reason}")
        counts: dict[str, dict[str, int]] = {}
        clean = run_audit(ps, registry, chain, counts)
    return replace(figures, audit_clean=clean, faults=report, audit_counts=counts)


def _intake_process(stack: ExitStack, chain: Chain, ps: Settings, log_dir: Path,
                    national: NationalPortalSimulator) -> None:  # fmt: skip
    """``dvchub national-intake`` polling the simulator, a process among the chain's workers
    (a fault may kill it: its cursor and markers are on its topic); ready before the run."""
    port = free_port()
    env = {
        "DVC_NATIONAL_URL": national.url,
        "DVC_NATIONAL_POLL_INTERVAL_S": str(INTAKE_POLL_S),
        "DVC_NATIONAL_INTAKE_HOST": "127.0.0.1",
        "DVC_NATIONAL_INTAKE_PORT": str(port),
    }
    intake = endpoint_process("national-intake", ("national-intake",), ps, log_dir, env,
                              port=port)  # fmt: skip
    stack.callback(intake.stop)
    chain.workers["national-intake"] = intake
    intake.wait_ready()


def _drive(feed: Feed, tail: Tail, pacer: Pacer, span_of: tuple[datetime, datetime],
           province: Province, *, live: bool,
           on_tick: Callable[[datetime], None] | None = None) -> None:  # fmt: skip
    first, last = span_of
    tz = province.office_hours.tz
    span = (last - first).total_seconds()
    progress = Progress(TextColumn("{task.description}"), BarColumn(), TextColumn(
        "{task.percentage:>3.0f}%"), TimeElapsedColumn(), console=console)  # fmt: skip
    task = progress.add_task("simulated time", total=span)
    shown = 0.0
    display = Live(console=console, auto_refresh=False) if live else nullcontext()
    with display as screen:
        while not feed.done:
            target = pacer.target(until=last)
            feed.tick(target)
            pacer.step(target, feed.horizon)
            if on_tick is not None:
                on_tick(pacer.now)
            if tail.error is not None:
                raise SimulationFailed("the tail of the run's topics failed") from tail.error
            if screen is not None and (feed.done or time.monotonic() - shown >= 1.0):
                shown = time.monotonic()
                now = pacer.now
                progress.update(task, completed=(now - first).total_seconds(),
                                description=f"{now.astimezone(tz):%Y-%m-%d %H:%M} "
                                            f"({pacer.achieved():,.0f}x)")  # fmt: skip
                screen.update(Group(progress, summary_table(tail.summary(), feed)), refresh=True)
            time.sleep(TICK_S)
    if live:
        console.line()  # the live display's last line has no newline of its own


def _settle(found: Sequence[Script], feed: Feed, tail: Tail, pacer: Pacer,
            on_tick: Callable[[datetime], None] | None = None) -> None:  # fmt: skip
    """Wait (the clock running on, behind the workers) until every dossier is in its final
    state and every command has its outcome."""
    deadline = time.monotonic() + SETTLE_S
    while True:
        wrong = _wrong_final(found, tail)
        missing = tail.without_outcome()
        if not wrong and not missing:
            return
        if time.monotonic() > deadline:
            raise SimulationFailed(
                f"after {SETTLE_S:.0f} s: {len(wrong)} dossiers not in their final state "
                f"(e.g. {dict(list(wrong.items())[:5])}), {len(missing)} commands without an "
                f"outcome (e.g. {missing[:5]}); unfinished scripts: {feed.waiting()[:5]}"
            )  # fmt: skip
        pacer.step(pacer.target(), feed.horizon)
        if on_tick is not None:
            on_tick(pacer.now)
        time.sleep(TICK_S)


def _wrong_final(found: Sequence[Script], tail: Tail) -> dict[str, tuple[str, str | None]]:
    status = tail.statuses()
    return {s.dossier_id: (s.final_status, status.get(s.dossier_id)) for s in found
            if status.get(s.dossier_id) != s.final_status}  # fmt: skip


def summary_table(summary: Summary, feed: Feed) -> Table:
    table = Table("filed", "open", "returned", "refused", "late (SLA)", "events", "pushed",
                  "commands", "outcomes", "dead letters", title="live summary")  # fmt: skip
    outcomes = ", ".join(f"{k.lower()} {v:,}" for k, v in sorted(summary.outcomes.items()))
    table.add_row(*(f"{n:,}" for n in (summary.filed, summary.open, summary.returned,
                                        summary.refused, summary.late, summary.events,
                                        feed.pushed, summary.commands)),
                  outcomes or "-", f"{summary.dead_letters:,}")  # fmt: skip
    return table


def _figures(found: Sequence[Script], tail: Tail, chain: Chain, real_s: float,
             speed: float) -> Figures:  # fmt: skip
    to_state_ms, late, dead_letters = tail.figures()
    latencies = sorted(to_state_ms)
    quantiles = None
    if len(latencies) >= 2:
        cuts = statistics.quantiles(latencies, n=100)
        quantiles = (cuts[49], cuts[98])
    callbacks = Counter(str(s.callback) for s in found if s.callback is not None)
    return Figures(
        dossiers=len(found), events=tail.events, real_s=real_s, speed=speed,
        per_partner=tail.per_partner(),
        received={s.spec.name: s.spec.workload.received(s.sim) for s in chain.shown},
        to_state_ms=quantiles, planned_late=sum(s.late for s in found),
        observed_late=len(late), callbacks=dict(callbacks), dead_letters=dead_letters,
        wrong_final=_wrong_final(found, tail),
        without_outcome=tuple(tail.without_outcome()),
    )  # fmt: skip


def _per_agency(found: Sequence[Script], tail: Tail,
                names: Mapping[str, str]) -> dict[str, Counter[str]]:  # fmt: skip
    status, late = tail.statuses(), tail.figures()[1]
    rows: dict[str, Counter[str]] = defaultdict(Counter)
    for s in found:
        row = rows[names.get(s.agency_code, s.agency_code)]
        row["filed"] += 1
        row[str(status.get(s.dossier_id))] += 1
        row["planned late"] += s.late
        row["judged late"] += s.dossier_id in late
    return dict(rows)


def show_figures(f: Figures) -> None:
    console.print(f"{f.dossiers:,} dossiers, {f.events:,} events in {f.real_s:,.0f} s "
                  f"({f.events_per_s:,.0f} events/s); simulated time at {f.achieved_speed:,.0f}x "
                  f"real time (target {f.speed:,.0f}x, the clock waiting for the hub)")  # fmt: skip
    if f.to_state_ms is not None:
        console.print(f"produce -> state: p50 {f.to_state_ms[0]:,.0f} ms, "
                      f"p99 {f.to_state_ms[1]:,.0f} ms")  # fmt: skip
    table = Table("partner", "commands", "outcomes", "what the simulator received", "problems")
    for partner, counts in sorted(f.per_partner.items()):
        outcomes = ", ".join(f"{k} {v:,}" for k, v in sorted(counts.items()) if k != "commands")
        received = f.received.get(partner)
        table.add_row(partner, f"{counts['commands']:,}", outcomes,
                      received.detail if received else "-",
                      "; ".join(received.problems) if received else "-")  # fmt: skip
    console.print(table)
    agencies = Table("agency", "filed", "returned", "refused", "late (planned)",
                     "late (judged by the SLA)", title="by agency")  # fmt: skip
    columns = ("filed", RESULT_RETURNED, REFUSED, "planned late", "judged late")
    for name, row in sorted(f.per_agency.items()):
        agencies.add_row(name, *(f"{row[k]:,}" for k in columns))
    console.print(agencies)
    paid = ", ".join(f"{k} {v:,}" for k, v in sorted(f.callbacks.items()))
    console.print(f"online payments by IPN fate: {paid or 'none'}; late dossiers planned "
                  f"{f.planned_late:,}, judged late by the SLA {f.observed_late:,}; dead letters "
                  f"{sum(f.dead_letters.values()):,} {dict(f.dead_letters) or ''}")  # fmt: skip


def run_audit(settings: Settings, registry: RegistryClient, chain: Chain,
              findings: dict[str, dict[str, int]] | None = None) -> bool:  # fmt: skip
    """The audit of the run (issue #23 item 2, ``hub.audit``: the log reconciled with every
    derived topic and each simulator's ledger), once the hub settled; whether it is clean.
    ``findings`` gets each check's findings by kind."""
    sims = {s.spec.name: s.sim for s in chain.shown}
    ledgers = partner_ledgers([s.spec for s in chain.shown], sims)
    report = audit.audit_settled(settings, registry, partners=ledgers)
    table = Table("check", "examined", *audit.KINDS, "detail", title="audit")
    for row in report.checks:
        counts = ["-"] * len(audit.KINDS) if row.skipped else [str(row.count(k))
                                                                for k in audit.KINDS]  # fmt: skip
        table.add_row(row.check, str(row.examined), *counts, row.detail(1))
        if findings is not None:
            findings[row.check] = {k: row.count(k) for k in audit.KINDS}
    console.print(table)
    console.print(f"audit: {'clean' if report.clean else dict(report.totals())}")
    return bool(report.clean)


__all__ = ["Figures", "SimulationFailed", "run_simulation"]
