"""The fault suite (issue #23 item 3): a province simulated while its parts fail, and the audit
at zero lost, zero duplicated, every poison record dead-lettered with its original bytes.

On a three-broker stack of its own (ports 29252-29274 and 28252, a tmp stack home: the broker
kill and the registry restart touch nobody else), the run's workers and partner simulators
(``dvchub.simulate``) with the short plan (``dvchub.simulate._faults.short_plan``): every worker
kind kill -9'd and restarted by the supervisor, every partner down then back and slowed past its
timeout, 1% poison on ``dossier.events``, the registry restarted, a broker kill -9'd and
restarted. The fault table (recovery, p99 before/after) is printed (``-s``), not asserted.

The long form (each kind several times, each worker and partner on its own, about 40 minutes):
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
LONG_HOW = ("the long fault run (each kind several times, about 40 minutes): "
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


def _assert_clean(figures: Figures, plan: FaultPlan) -> None:
    report = figures.faults
    assert report is not None
    # every kind was injected, each worker process killed at least once
    kinds = {type(s.fault) for s in plan.faults}
    assert kinds == {KillWorkers, PartnerDown, PartnerSlow, Poison, RegistryRestart, BrokerKill}
    killed = {n for s in plan.faults if isinstance(s.fault, KillWorkers) for n in s.fault.names}
    assert killed == {n for group in worker_groups() for n in group}
    assert len(report.results) == len(plan.faults)
    assert all(r.error is None for r in report.results), report.results
    # the verdict: nothing lost, nothing doubled, nothing disagreeing anywhere
    assert figures.audit_clean is True
    assert not figures.wrong_final
    assert not figures.without_outcome
    poison = report.poison
    assert poison is not None
    assert poison.planted > 0
    assert poison.missing == (), poison.missing[:3]
    assert report.clean, report.results


@pytest.mark.slow
@pytest.mark.timeout(1200)
def test_a_province_under_every_fault_loses_and_doubles_nothing(
    cluster: LocalStack, tmp_path: Path
) -> None:
    plan = short_plan()
    _assert_clean(_run(cluster, tmp_path, plan, days=3, per_day=80), plan)


@pytest.mark.slow
@pytest.mark.timeout(4 * 3600)
@pytest.mark.skipif(not LONG, reason=LONG_HOW)
def test_the_long_fault_run(cluster: LocalStack, tmp_path: Path) -> None:
    plan = long_plan()
    _assert_clean(_run(cluster, tmp_path, plan, days=20, per_day=100), plan)
