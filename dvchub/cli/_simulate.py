"""``dvchub simulate``: a province on every part of the hub at once, on an accelerated clock
(``dvchub.simulate``). Mount with ``register(app)``."""

from __future__ import annotations

import logging
import os
import uuid
from pathlib import Path
from typing import Annotated

import typer

from hub.logs import ENV_LEVEL, configure_logging
from hub.secrets import DEV_FLAG, dev_secrets_allowed

#: ``--short``: a few hundred dossiers, about a minute of simulated time passing.
SHORT_DAYS, SHORT_PER_DAY, SHORT_REAL_S = 3, 80, 40.0


def register(app: typer.Typer) -> None:
    """Add ``simulate`` to ``app``."""

    @app.command("simulate")
    def simulate(
        config: Annotated[
            Path | None, typer.Option(help="Province TOML [infra/province.toml].")
        ] = None,
        days: Annotated[
            int | None, typer.Option(help="Filing days (weekends file nothing).")
        ] = None,
        dossiers_per_day: Annotated[
            int | None, typer.Option(help="Dossiers per working day.")
        ] = None,
        speed: Annotated[
            float | None, typer.Option(help="Simulated seconds per real second.")
        ] = None,
        seed: Annotated[int | None, typer.Option(help="Seed of the province's scripts.")] = None,
        short: Annotated[
            bool, typer.Option(help="A few hundred dossiers, about two minutes.")
        ] = False,
        faults: Annotated[
            str | None,
            typer.Option(
                help="Inject faults while it runs: short (each kind once, a few "
                "minutes) or long (each kind several times, about 45 minutes)."
            ),
        ] = None,
    ) -> None:
        """Simulate the province: its dossiers through the portal connector, the national
        portal's intake and the partner simulators, every worker on one accelerated clock;
        a progress bar and a live summary, then the figures and the audit. With ``--faults``,
        also the table of the faults injected (their recovery and effect on latency); the
        registry restart and the broker kill only on a local stack of three brokers."""
        from dvchub.simulate import (
            DEFAULT_CONFIG,
            ProvinceError,
            SimulationFailed,
            fault_plan,
            load_province,
            run_simulation,
        )
        from hub.serde import RegistryClient
        from hub.settings import REPO_ROOT, get_settings

        # the simulators share the development secrets published in the repository
        if not dev_secrets_allowed():
            typer.echo(f"the simulation uses development secrets: set {DEV_FLAG}=1", err=True)
            raise typer.Exit(2)
        if not os.environ.get(ENV_LEVEL):
            # the live summary, not log lines (the workers' go to their files; the simulators'
            # development-secret notices are known: DVC_DEV_SECRETS=1 is required above)
            configure_logging("ERROR")
            logging.getLogger("kafka.net.selector").setLevel(logging.ERROR)
            if faults is not None:
                # a broker killed, partners cut: the runner's own clients log the connection
                # errors they recover from; the fault table and the audit say what happened
                for noisy in ("kafka", "uvicorn.error"):
                    logging.getLogger(noisy).setLevel(logging.CRITICAL)
        try:
            province = load_province(config or DEFAULT_CONFIG)
            if short:
                province = province.overridden(days=SHORT_DAYS, dossiers_per_day=SHORT_PER_DAY,
                                               target_real_s=SHORT_REAL_S)  # fmt: skip
            province = province.overridden(days=days, dossiers_per_day=dossiers_per_day,
                                           speed=speed, seed=seed)  # fmt: skip
        except ProvinceError as exc:
            typer.echo(f"province: {exc}", err=True)
            raise typer.Exit(2) from exc
        settings = get_settings()
        plan, local_stack = fault_plan(faults, settings)
        if plan is not None and speed is None:
            province = province.overridden(target_real_s=plan.target_real_s)
        run_id = uuid.uuid4().hex[:8]
        log_dir = REPO_ROOT / ".cache" / "simulate" / run_id
        with RegistryClient(settings.schema_registry_url) as registry:
            try:
                figures = run_simulation(settings, registry, province, run_id, log_dir,
                                         faults=plan, local_stack=local_stack)  # fmt: skip
            except SimulationFailed as exc:
                typer.echo(f"simulation failed: {exc}", err=True)
                raise typer.Exit(1) from exc
        if figures.audit_clean is False:
            raise typer.Exit(1)  # the audit found something lost, doubled or disagreeing
        if figures.faults is not None and not figures.faults.clean:
            raise typer.Exit(1)  # a fault not recovered from, or poison not dead-lettered
