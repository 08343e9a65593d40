"""``dvchub simulate --faults short|long``: the plan, and the stack its stack faults act on."""

from __future__ import annotations

import typer

from dvchub.demo import console
from dvchub.simulate._faults import PLANS, FaultPlan
from hub.settings import Settings
from hub.stack import LocalStack, running_brokers

#: The broker kill needs this many brokers (replication 3, ``min.insync.replicas`` 2).
BROKERS_NEEDED = 3


def fault_plan(name: str | None, settings: Settings) -> tuple[FaultPlan | None, LocalStack | None]:
    """The plan called ``name`` (None: no faults) and the local stack of three brokers its
    registry restart and broker kill act on; without one (another cluster, the one-broker
    development stack others share), the plan without those two, said so."""
    if name is None:
        return None, None
    if name not in PLANS:
        typer.echo(f"--faults: one of {', '.join(PLANS)}, not {name!r}", err=True)
        raise typer.Exit(2)
    plan = PLANS[name]()
    brokers = running_brokers(settings) if settings.local_stack else None
    if brokers is not None and brokers >= BROKERS_NEEDED:
        return plan, LocalStack(settings.model_copy(update={"kafka_brokers": brokers}))
    console.print("[yellow]faults: no local stack of three brokers (`dvchub stack up --brokers "
                  "3`): the registry restart and the broker kill are left out")  # fmt: skip
    return plan.without_stack(), None
