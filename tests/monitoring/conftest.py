"""A real Prometheus (the stack component) scraping a real, small hub.

The hub, started once for the monitoring tests: lifecycle, SLA and KPI (kpi-dossiers, kpi)
workers and an outbox worker (EMC) as OS processes, the query API and the portal connector on
loopback threads, all on this run's own topic prefix and registered as file-discovered scrape
targets. The SLA worker and the API read one file clock, set past the appointments of the
dossiers fed in, so some are overdue; their channels make each agency's full-online ratio known.
"""

from __future__ import annotations

import signal
import uuid
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from connectors.portal import PortalConfig, create_app
from dvchub.demo._servers import serving
from hub.api import create_api, development_keys
from hub.kafka import ensure_topics, make_producer
from hub.processing import FileClock, WorkerProcess
from hub.serde import RegistryClient, serde_for
from hub.settings import Settings
from hub.stack import PrometheusServer, StackError, scrape_target
from hub.topics import CATALOG_PROCEDURES
from tests.connectors.portal import samples
from tests.lifecycle._support import EventProducer
from tests.monitoring._support import PrometheusApi, alert_names, poll
from tests.sla._support import CATALOG, event, vn

PORTAL_KEY = "monitoring-test-key"
NOW = vn(2025, 3, 12, 12)  # Wed 12 Mar, noon: dossiers accepted Mon 3 Mar are overdue
#: Dossier -> (agency, channel, accepted at), all of full-online procedures: two overdue in STP,
#: one in SYT, one on time in SYT (due Fri 14 Mar) handed in at the desk.
DOSSIERS = {
    "HS-MON-1": ("STP", "ONLINE", vn(2025, 3, 3, 9)),
    "HS-MON-2": ("STP", "ONLINE", vn(2025, 3, 3, 10)),
    "HS-MON-3": ("SYT", "ONLINE", vn(2025, 3, 4, 9)),
    "HS-MON-4": ("SYT", "DIRECT", vn(2025, 3, 11, 9)),
}
OVERDUE = {"STP": 2, "SYT": 1}
#: dvchub_kpi_full_online_ratio by (agency, period): received online / received, in 2025.
FULL_ONLINE = {("STP", "2025"): 1.0, ("SYT", "2025"): 0.5}
WORKER_ARGS = ("--session-timeout", "6", "--catalog-grace", "1.5")


@pytest.fixture(scope="session")
def prometheus(stack_settings: Settings) -> Iterator[PrometheusApi]:
    """The stack's Prometheus component, started here if it is not running (and then stopped
    at the end), else made to re-read alerts.yml; a missing binary fails with how to install it."""
    server = PrometheusServer(stack_settings)
    try:
        server.fetch()
    except StackError as exc:
        pytest.fail(str(exc), pytrace=False)
    started_here = server.process.pid() is None
    if started_here:
        server.start()
    else:
        server.reload()
    server.process.wait_ready(server.is_ready, stack_settings.stack_start_timeout_s)
    api = PrometheusApi(server.address)
    expected = alert_names()
    poll(lambda: set(api.rules()) == expected, 15, f"Prometheus to load the rules {expected}")
    yield api
    api.close()
    if started_here:
        server.process.stop()


@dataclass
class Hub:
    """The running processes, by scrape job: job -> host:port."""

    settings: Settings
    clock: FileClock
    targets: dict[str, str]
    workers: dict[str, WorkerProcess] = field(default_factory=dict)

    def metrics_pages(self) -> dict[str, str]:
        """Each process's ``/metrics`` text, by job."""
        return {
            job: httpx.get(f"http://{address}/metrics", timeout=10.0).text
            for job, address in self.targets.items()
        }


def _publish_catalog(settings: Settings, registry: RegistryClient) -> None:
    serde = serde_for(CATALOG_PROCEDURES, settings.topic_prefix, registry)
    producer = make_producer(settings)
    topic = CATALOG_PROCEDURES.name(settings.topic_prefix)
    for code, record in CATALOG.items():
        producer.send(topic, key=code.encode(), value=serde.encode(record))
    producer.flush()
    producer.close()


def _dossier_events() -> list[dict[str, Any]]:
    """Submitted a minute before acceptance; the days from the catalogue (P3: 3 working days)."""
    events = []
    for dossier_id, (agency, channel, at) in DOSSIERS.items():
        submitted = at - timedelta(minutes=1)
        details = {"procedure_code": "P3", "agency_code": agency, "channel": channel}
        events.append(event(dossier_id, "DOSSIER_SUBMITTED", submitted, **details))
        events.append(
            event(
                dossier_id, "DOSSIER_ACCEPTED", at, deadline_working_days=None, level="FULL_ONLINE"
            )
        )
    return events


def _stop_all(workers: list[WorkerProcess]) -> None:
    """SIGTERM to every worker first, so they shut down together, then wait for each."""
    for worker in workers:
        if worker.alive():
            worker.proc.send_signal(signal.SIGTERM)
    for worker in workers:
        worker.stop()


def _address(url: str) -> str:
    return url.removeprefix("http://")


@pytest.fixture(scope="session")
def hub(
    prometheus: PrometheusApi,
    stack_settings: Settings,
    registry: RegistryClient,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Hub]:
    settings = stack_settings.model_copy(
        update={"topic_prefix": f"test.{uuid.uuid4().hex[:12]}.", "partitions": 3}
    )
    ensure_topics(settings)
    _publish_catalog(settings, registry)
    logs = tmp_path_factory.mktemp("monitoring")
    clock = FileClock(logs / "clock")
    clock.set(NOW)
    with ExitStack() as stack:
        # The workers boot at once (each takes seconds); the servers start meanwhile.
        workers: dict[str, WorkerProcess] = {}
        for job, name, args in (
            ("dvchub-lifecycle", "lifecycle", WORKER_ARGS),
            ("dvchub-sla", "sla", (*WORKER_ARGS, "--clock", clock.spec)),
            ("dvchub-kpi-dossiers", "kpi-dossiers", WORKER_ARGS),
            ("dvchub-kpi", "kpi", WORKER_ARGS),
        ):
            workers[job] = WorkerProcess(name, settings, logs / f"{job}.log", args=args)
        # an outbox worker (its partner need not answer: no command is sent to it)
        workers["dvchub-outbox-emc"] = WorkerProcess(
            None, settings, logs / "dvchub-outbox-emc.log", args=("--partner", "emc"),
            module="dvchub.outbox",
        )  # fmt: skip
        stack.callback(_stop_all, list(workers.values()))
        api = stack.enter_context(
            serving(create_api(settings, clock=clock, keys=development_keys()), "monitoring-api")
        )
        config = PortalConfig(api_keys=SecretStr(f"PROVINCIAL_PORTAL:{PORTAL_KEY}"))
        portal = stack.enter_context(
            serving(create_app(settings, config, registry=registry), "monitoring-portal")
        )
        targets = {
            **{job: f"127.0.0.1:{worker.port}" for job, worker in workers.items()},
            "dvchub-api": _address(api),
            "dvchub-connector-portal": _address(portal),
        }
        for job, address in targets.items():
            stack.enter_context(scrape_target(stack_settings, job, address))
        for worker in workers.values():
            worker.wait_ready(90)
        events = EventProducer(settings, registry)
        stack.callback(events.close)
        events.send(_dossier_events())
        events.send_raw("HS-MON-POISON", b"not avro")  # a dead letter from each worker
        events.flush()
        # One real request through the connector: 202 once the broker acknowledged it.
        response = httpx.post(
            f"{portal}/v1/events",
            headers={"X-API-Key": PORTAL_KEY},
            json={"events": [samples.item()]},
            timeout=30.0,
        )
        assert response.status_code == 202, response.text
        yield Hub(settings, clock, targets, workers)
