"""The faults of ``dvchub simulate --faults short|long``: what is injected, and when.

A ``FaultPlan`` is a schedule of faults over the run, each at a share of its simulated span
(``Scheduled.at``, 0 to 1), so the same plan fits any speed. Each kind is a frozen dataclass::

    KillWorkers      kill -9 worker processes (a processor's, a partner's outbox); a supervisor
                     starts each again after ``RESTART_PAUSE_S`` (what systemd or Kubernetes does)
    PartnerDown      a partner refuses connections for ``for_s``, then is back
    PartnerSlow      a partner answers after the outbox gave up (its own timeout), for ``for_s``
    Poison           1% poison among the events on ``dossier.events`` for ``for_s``
    RegistryRestart  the schema registry stopped, down ``down_s``, started again
    BrokerKill       a Kafka node kill -9'd, down ``down_s``, started again (three brokers:
                     replication 3, ``min.insync.replicas`` 2, the hub's producers acks=all)

``_faults_run.FaultInjector`` injects them while the run drives the province, measures each
one's effect and recovery, and checks the poison reached the dead-letter topic. Killed workers
are processors, outboxes and the HTTP endpoints (the portal connector, VNPost's callbacks, the
bank's IPN, the national portal's intake), each a process of its own: who calls an endpoint
while it is down sends again (the one-stop system its batch, VNPost its callback, the bank its
IPN, then the payments worker's status query), as they do in life.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from connectors.partners import all_specs

#: Real seconds between a kill -9 and the supervisor's restart.
RESTART_PAUSE_S = 2.0
#: Share of the events accompanied by a poison record while a ``Poison`` fault lasts.
POISON_SHARE = 0.01


@dataclass(frozen=True)
class KillWorkers:
    names: tuple[str, ...]

    @property
    def label(self) -> str:
        return f"kill -9 {', '.join(self.names)}"


@dataclass(frozen=True)
class _PartnerFault:
    partners: tuple[str, ...]
    for_s: float
    what: ClassVar[str]

    @property
    def label(self) -> str:
        return f"{', '.join(self.partners)} {self.what} {self.for_s:.0f} s"


class PartnerDown(_PartnerFault):
    what = "down"


class PartnerSlow(_PartnerFault):
    what = "slower than the timeout for"


@dataclass(frozen=True)
class Poison:
    for_s: float
    share: float = POISON_SHARE

    @property
    def label(self) -> str:
        return f"poison {self.share:.0%} of the events for {self.for_s:.0f} s"


@dataclass(frozen=True)
class RegistryRestart:
    down_s: float

    @property
    def label(self) -> str:
        return f"schema registry restarted (down {self.down_s:.0f} s)"


@dataclass(frozen=True)
class BrokerKill:
    node: int
    down_s: float

    @property
    def label(self) -> str:
        return f"kill -9 broker kafka-{self.node} (down {self.down_s:.0f} s)"


Fault = KillWorkers | PartnerDown | PartnerSlow | Poison | RegistryRestart | BrokerKill
#: The kinds that act on the stack itself (they need a three-broker stack of the run's own).
STACK_KINDS = (RegistryRestart, BrokerKill)


@dataclass(frozen=True)
class Scheduled:
    at: float  # share of the run's simulated span, 0 to 1
    fault: Fault


@dataclass(frozen=True)
class FaultPlan:
    name: str
    faults: tuple[Scheduled, ...]
    #: how long (real seconds) the run's drive should last for the plan to fit
    target_real_s: float

    @property
    def touches_stack(self) -> bool:
        return any(isinstance(s.fault, STACK_KINDS) for s in self.faults)

    def without_stack(self) -> FaultPlan:
        """The plan less the faults on the stack (a stack shared with others, or one broker)."""
        kept = tuple(s for s in self.faults if not isinstance(s.fault, STACK_KINDS))
        return FaultPlan(f"{self.name} (no stack faults)", kept, self.target_real_s)


def partners() -> tuple[str, ...]:
    """The partners of the run's chain (those with a demo part), as the chain names them."""
    return tuple(spec.name for spec in all_specs() if spec.demo is not None)


def endpoints() -> tuple[str, ...]:
    """The run's HTTP endpoints, by their commands: the portal connector, each partner's callback
    endpoint (``dvchub.demo._chain``), the national portal's intake (``_run``)."""
    calls = [spec.demo.calls.inbound for spec in all_specs()
             if spec.demo is not None and spec.demo.calls is not None]  # fmt: skip
    return ("portal", *calls, "national-intake")


def worker_groups() -> tuple[tuple[str, ...], ...]:
    """The run's processes in four groups: the folds of the log, the processors that write
    commands, the partners' outboxes (``dvchub.demo._chain`` names them), the endpoints."""
    from dvchub.simulate._run import HUB_WORKERS  # the runner imports this module

    outboxes = tuple(f"outbox-{p}" for p in partners())
    return HUB_WORKERS, ("routing", "payments"), outboxes, endpoints()


#: Seconds a partner stays down or slow, the registry and a broker down, in the short form.
SHORT_OUTAGE_S = 8.0
#: The short form's drive: long enough for every fault to be injected and recovered from.
SHORT_REAL_S = 150.0
#: The long form: every kind this many times, each worker and partner on its own.
LONG_ROUNDS = 3
LONG_REAL_S_PER_FAULT = 25.0


def short_plan() -> FaultPlan:
    """Each kind once, over a few minutes; the processes in four waves."""
    folds, commands, outboxes, served = worker_groups()
    every = partners()
    faults = (
        Scheduled(0.05, Poison(for_s=SHORT_REAL_S * 0.8)),
        Scheduled(0.12, KillWorkers(folds)),
        Scheduled(0.25, PartnerDown(every, SHORT_OUTAGE_S)),
        Scheduled(0.38, KillWorkers(commands + outboxes)),
        Scheduled(0.44, KillWorkers(served)),
        Scheduled(0.50, RegistryRestart(SHORT_OUTAGE_S)),
        Scheduled(0.62, PartnerSlow(every, SHORT_OUTAGE_S)),
        Scheduled(0.75, BrokerKill(2, SHORT_OUTAGE_S)),
    )
    return FaultPlan("short", faults, SHORT_REAL_S)


def long_plan(rounds: int = LONG_ROUNDS) -> FaultPlan:
    """Every kind ``rounds`` times: each worker and endpoint, each partner down and slow on its
    own, the registry, each broker in turn; poison all along."""
    one_round: list[Fault] = [KillWorkers((name,)) for group in worker_groups() for name in group]
    for partner in partners():
        one_round += [PartnerDown((partner,), SHORT_OUTAGE_S * 2),
                      PartnerSlow((partner,), SHORT_OUTAGE_S * 2)]  # fmt: skip
    one_round += [RegistryRestart(SHORT_OUTAGE_S * 2)]
    # a broker of the three in turn, once per round
    brokers = [BrokerKill(1 + r % 3, SHORT_OUTAGE_S * 2) for r in range(rounds)]
    kinds = [fault for r in range(rounds) for fault in (*one_round, brokers[r])]
    real_s = LONG_REAL_S_PER_FAULT * len(kinds)
    step = 0.9 / len(kinds)
    faults = (Scheduled(0.02, Poison(for_s=real_s * 0.9)),
              *(Scheduled(0.05 + i * step, fault) for i, fault in enumerate(kinds)))  # fmt: skip
    return FaultPlan("long", faults, real_s)


PLANS = {"short": short_plan, "long": long_plan}


__all__ = [
    "PLANS",
    "BrokerKill",
    "Fault",
    "FaultPlan",
    "KillWorkers",
    "PartnerDown",
    "PartnerSlow",
    "Poison",
    "RegistryRestart",
    "Scheduled",
    "endpoints",
    "long_plan",
    "short_plan",
]
