"""The processor registry, checked without a broker: each spec builds its fold and says what it
honours, ``dvchub worker`` takes every name (the hub's and signing's, ``dvchub.processors``) and
refuses an unknown one, and docker-compose and its Prometheus run and scrape exactly the
registered processors."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from dvchub.cli import app
from dvchub.processors import PROCESSORS
from hub.processing import LoopSpec, ProcessorSpec, RunnerOptions
from hub.processors import HUB_PROCESSORS, Option, Registered, Registry, UnknownProcessor
from hub.serde import RegistryClient
from hub.settings import REPO_ROOT, Settings
from hub.stack._prometheus import INFRA
from tests.stack.test_kafka_compose import compose, option

#: every processor ``dvchub worker`` runs; the hub's are all folds
NAMES = PROCESSORS.names
HUB_NAMES = HUB_PROCESSORS.names


@pytest.fixture(scope="module")
def unreachable_registry() -> Iterator[RegistryClient]:
    # Building a fold makes its serdes and side inputs but contacts nothing: nobody listens here.
    with RegistryClient("http://127.0.0.1:9/apis/ccompat/v7") as client:
        yield client


@pytest.mark.parametrize("name", HUB_NAMES)
def test_each_spec_builds_its_fold_and_says_what_it_honours(
    name: str, unreachable_registry: RegistryClient
) -> None:
    spec = HUB_PROCESSORS.spec(name)
    assert isinstance(spec, ProcessorSpec)
    processor = spec.build(Settings(), unreachable_registry, RunnerOptions())
    assert processor.name == name
    # --clock for timers, --catalog-grace for side inputs: declared as the fold uses them
    assert spec.honours == spec.expected_honours(processor)
    assert (Option.CATALOG_GRACE in spec.honours) == bool(spec.side_topics)
    assert not {processor.source, *processor.outputs} & set(spec.side_topics)


def test_a_spec_that_makes_another_processor_is_refused(
    unreachable_registry: RegistryClient,
) -> None:
    routing = HUB_PROCESSORS.spec("routing")
    assert isinstance(routing, ProcessorSpec)
    impostor = ProcessorSpec("lifecycle", routing.factory)
    with pytest.raises(ValueError, match="'lifecycle' made the processor 'routing'"):
        impostor.build(Settings(), unreachable_registry, RunnerOptions())


def test_an_entry_naming_something_else_than_its_spec_is_refused() -> None:
    swapped = Registry((Registered("sla", "hub.lifecycle", "SPEC", "not sla's"),))
    with pytest.raises(TypeError, match=r"hub\.lifecycle\.SPEC is not the spec of 'sla'"):
        swapped.spec("sla")
    with pytest.raises(UnknownProcessor, match="one of sla"):
        swapped.spec("nope")


def test_names_are_unique() -> None:
    assert len(set(NAMES)) == len(NAMES)
    assert set(HUB_NAMES) < set(NAMES)


def test_signing_runs_on_the_consume_loop_and_honours_no_fold_option() -> None:
    spec = PROCESSORS.spec("signing")
    assert isinstance(spec, LoopSpec)
    assert spec.honours == frozenset()  # no timers (--clock), no side inputs (--catalog-grace)
    assert spec.side_topics == ()
    assert "signing" not in HUB_NAMES  # hub imports no signing: composed in dvchub.processors


def _workers_in_compose() -> dict[str, list[str]]:
    """Compose service -> its ``dvchub worker ...`` command (the image's entrypoint is dvchub)."""
    services: dict[str, Any] = compose()["services"]
    return {
        service: config["command"]
        for service, config in services.items()
        if config.get("command", [None])[0] == "worker"
    }


def test_compose_runs_every_registered_processor_and_nothing_else() -> None:
    workers = _workers_in_compose()
    assert sorted({command[1] for command in workers.values()}) == sorted(NAMES)


def test_prometheus_scrapes_every_compose_worker() -> None:
    config = yaml.safe_load((INFRA / "prometheus.yml").read_text())
    targets = {
        target
        for job in config["scrape_configs"]
        for static in job.get("static_configs", [])
        for target in static["targets"]
    }
    wanted = {
        f"{service}:{option(command, '--web-port')}"
        for service, command in _workers_in_compose().items()
    }
    assert wanted <= targets, f"not scraped: {sorted(wanted - targets)}"


runner = CliRunner()


@pytest.mark.parametrize("name", NAMES)
def test_dvchub_worker_name_help(name: str) -> None:
    result = runner.invoke(app, ["worker", name, "--help"])
    assert result.exit_code == 0, result.output
    assert f"usage: dvchub worker {name}" in result.output
    for shared in ("--web-port", "--catalog-grace", "--clock", "--batch-max", "--store"):
        assert shared in result.output


def test_an_unknown_processor_is_a_usage_error_naming_the_known_ones() -> None:
    result = runner.invoke(app, ["worker", "no-such-processor"])
    assert result.exit_code == 2
    assert "invalid choice: 'no-such-processor'" in result.stderr
    assert all(f"'{name}'" in result.stderr for name in NAMES)


def test_a_worker_without_a_name_is_a_usage_error() -> None:
    result = runner.invoke(app, ["worker"])
    assert result.exit_code == 2
    assert "a processor NAME is required" in result.stderr


def test_python_m_hub_processing_lists_the_registry() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "hub.processing", "worker", "--list"],
        cwd=REPO_ROOT, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    listed = [line.split(":")[0] for line in done.stdout.splitlines() if not line[0].isspace()]
    assert listed == list(HUB_NAMES)
    honours = [line for line in done.stdout.splitlines() if line.strip().startswith("honours:")]
    assert len(honours) == len(HUB_NAMES)


def test_dvchub_worker_list_names_signing_too() -> None:
    result = runner.invoke(app, ["worker", "--list"])
    assert result.exit_code == 0, result.output
    # stdout only: a log record of something imported goes to stderr, which Click mixes into
    # ``output`` (the suite's logging is configured by earlier tests)
    listed = [line.split(":")[0] for line in result.stdout.splitlines() if not line[0].isspace()]
    assert listed == list(NAMES)


def test_an_unconfigured_signing_worker_refuses_to_start_in_one_line(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for variable in [v for v in os.environ if v.startswith("DVC_SIGNING_")]:
        monkeypatch.delenv(variable)
    result = runner.invoke(app, ["worker", "signing", "--no-web"])
    assert result.exit_code == 2
    assert "signing is not configured" in result.stderr
    assert "Traceback" not in result.stderr
