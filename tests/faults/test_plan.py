"""The fault plans, without a broker: every kind in the short form, each worker and partner on
its own in the long one, the stack faults left out on request; the nearest-rank p99."""

from __future__ import annotations

from dvchub.simulate._faults import (
    STACK_KINDS,
    BrokerKill,
    KillWorkers,
    PartnerDown,
    PartnerSlow,
    Poison,
    RegistryRestart,
    long_plan,
    partners,
    short_plan,
    worker_groups,
)
from dvchub.simulate._faults_watch import p99

EVERY_KIND = {KillWorkers, PartnerDown, PartnerSlow, Poison, RegistryRestart, BrokerKill}


def test_the_short_plan_has_every_kind_and_kills_every_worker_in_order() -> None:
    plan = short_plan()
    assert {type(s.fault) for s in plan.faults} == EVERY_KIND
    killed = [n for s in plan.faults if isinstance(s.fault, KillWorkers) for n in s.fault.names]
    assert sorted(killed) == sorted(n for group in worker_groups() for n in group)
    ats = [s.at for s in plan.faults]
    assert ats == sorted(ats)
    assert ats[0] > 0
    assert ats[-1] < 1


def test_the_long_plan_repeats_each_worker_and_partner_alone() -> None:
    rounds = 2
    plan = long_plan(rounds)
    alone = [s.fault.names for s in plan.faults if isinstance(s.fault, KillWorkers)]
    assert all(len(names) == 1 for names in alone)
    assert len(alone) == rounds * sum(len(group) for group in worker_groups())
    for kind in (PartnerDown, PartnerSlow):
        hit = [s.fault.partners for s in plan.faults if isinstance(s.fault, kind)]
        assert sorted(hit) == sorted([(p,) for p in partners()] * rounds)
    brokers = [s.fault.node for s in plan.faults if isinstance(s.fault, BrokerKill)]
    assert brokers == [1, 2]


def test_without_the_stack_the_registry_and_broker_faults_are_left_out() -> None:
    kept = short_plan().without_stack()
    assert not kept.touches_stack
    assert short_plan().touches_stack
    assert {type(s.fault) for s in kept.faults} == EVERY_KIND - set(STACK_KINDS)


def test_p99_is_the_nearest_rank() -> None:
    assert p99([]) is None
    assert p99([5]) == 5
    assert p99(list(range(1, 101))) == 99
    assert p99(list(range(1, 201))) == 198
