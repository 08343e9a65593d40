"""The fault suite (issue #23 item 3): a province simulated while its parts fail, and the audit
at zero lost, zero duplicated, every poison record dead-lettered with its original bytes.

On a three-broker stack of its own (ports 29252-29274 and 28252, a tmp stack home: the broker
kill and the registry restart touch nobody else), the run's workers and partner simulators
(``dvchub.simulate``) with the short plan (``dvchub.simulate._faults.short_plan``): every process
(folds, routing, payments, outboxes, the HTTP endpoints) kill -9'd and restarted by the
supervisor, every partner down then back and slowed past its timeout, 1% poison on
``dossier.events``, the registry restarted, a broker kill -9'd and restarted. The fault table
(recovery, p99 before/after) is printed (``-s``), not asserted.

Asserted: every fault injected and recovered from, every poison record dead-lettered by the
lifecycle with its bytes, every dossier in its final state and every command with its outcome,
and the audit clean: no check finds anything lost, doubled or disagreeing. (An outbox killed
between its publish and its commit publishes its events again under their ids: the audit counts
those redeliveries in its notes, every fold deduplicates them.)

The long form (each kind several times, each process and partner on its own, about 45 minutes):
``DVC_FAULTS_LONG=1``.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from dvchub.simulate import load_province
from dvchub.simulate._faults import (
    BrokerKill,
    FaultPlan,
    KillWorkers,
    PartnerDown,
    PartnerSlow,
    Poison,
    RegistryRestart,
    long_plan,
    short_plan,
    worker_groups,
)
from dvchub.simulate._run import Figures, run_simulation
from hub.serde import RegistryClient
from hub.settings import Settings
from hub.stack import LocalStack, link_fetched_components

PORT = 29252  # nodes on 29252-29254, 29262-29264, 29272-29274
REGISTRY_PORT = 28252
PARTITIONS = 3
LONG = os.environ.get("DVC_FAULTS_LONG") == "1"
LONG_HOW = ("the long fault run (each kind several times, about 45 minutes): "
            "DVC_FAULTS_LONG=1 pytest tests/faults/test_fault_suite.py")  # fmt: skip
#: The variables the run's processes read from the environment: this stack's, not the shared
#: stack's (every other DVC_ variable is removed for the module).
KEPT = ("DVC_DEV_SECRETS",)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    home = tmp_path_factory.mktemp("faults-stack")
    link_fetched_components(Settings().stack_home, home)
    with pytest.MonkeyPatch.context() as env:
        # the workers are processes: they find this stack through the environment
        for name in [n for n in os.environ if n.startswith("DVC_") and n not in KEPT]:
            env.delenv(name)
        for name, value in {
            "DVC_STACK_HOME": str(home), "DVC_KAFKA_PORT": str(PORT),
            "DVC_KAFKA_CONTROLLER_PORT": str(PORT + 1), "DVC_REGISTRY_PORT": str(REGISTRY_PORT),
            "DVC_KAFKA_BROKERS": "3", "DVC_KAFKA_USERNAME": "admin",
        }.items():  # fmt: skip
            env.setenv(name, value)
        stack = LocalStack(Settings())
        try:
            stack.up()
            yield stack
        finally:
            stack.down()


def _run(cluster: LocalStack, tmp_path: Path, plan: FaultPlan, days: int, per_day: int) -> Figures:
    settings = cluster.settings.model_copy(
        update={"topic_prefix": f"faults.{uuid.uuid4().hex[:8]}.", "partitions": PARTITIONS}
    )
    assert (settings.replication_factor, settings.min_insync_replicas) == (3, 2)
    province = load_province().overridden(
        days=days, dossiers_per_day=per_day, target_real_s=plan.target_real_s
    )
    with RegistryClient(settings.schema_registry_url) as registry:
        return run_simulation(settings, registry, province, "faults", tmp_path, live=False,
                              faults=plan, local_stack=cluster)  # fmt: skip


@pytest.fixture(scope="module")
def short_run(cluster: LocalStack, tmp_path_factory: pytest.TempPathFactory) -> Figures:
    """The short plan on a short province, once for the module's checks."""
    return _run(cluster, tmp_path_factory.mktemp("short"), short_plan(), days=3, per_day=80)


def _check_faults(figures: Figures, plan: FaultPlan) -> None:
    report = figures.faults
    assert report is not None
    # every kind was injected, each worker process killed at least once
    kinds = {type(s.fault) for s in plan.faults}
    assert kinds == {KillWorkers, PartnerDown, PartnerSlow, Poison, RegistryRestart, BrokerKill}
    killed = {n for s in plan.faults if isinstance(s.fault, KillWorkers) for n in s.fault.names}
    assert killed == {n for group in worker_groups() for n in group}
    assert len(report.results) == len(plan.faults)
    assert report.clean, report.results  # each injected, each healed, each recovered from
    poison = report.poison
    assert poison is not None
    assert poison.planted > 0
    assert poison.missing == (), poison.missing[:3]


def _check_nothing_lost(figures: Figures) -> None:
    assert not figures.wrong_final
    assert not figures.without_outcome
    counts = figures.audit_counts
    assert counts, "the audit did not run"
    found = {(check, kind): n for check, kinds in counts.items()
             for kind, n in kinds.items() if n}  # fmt: skip
    assert found == {}


@pytest.mark.slow
@pytest.mark.timeout(1200)
def test_every_fault_is_injected_recovered_from_and_every_poison_record_dead_lettered(
    short_run: Figures,
) -> None:
    _check_faults(short_run, short_plan())


@pytest.mark.slow
def test_nothing_is_lost_and_each_partner_applies_each_command_once(short_run: Figures) -> None:
    _check_nothing_lost(short_run)


@pytest.mark.slow
def test_the_audit_is_clean(short_run: Figures) -> None:
    assert short_run.audit_clean is True, short_run.audit_counts


@pytest.mark.slow
@pytest.mark.timeout(4 * 3600)
@pytest.mark.skipif(not LONG, reason=LONG_HOW)
def test_the_long_fault_run(cluster: LocalStack, tmp_path: Path) -> None:
    plan = long_plan()
    figures = _run(cluster, tmp_path, plan, days=20, per_day=100)
    _check_faults(figures, plan)
    _check_nothing_lost(figures)
