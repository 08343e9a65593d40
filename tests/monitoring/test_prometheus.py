"""A real Prometheus scraping a running hub, queried back through its HTTP API.

The server is the stack's component (``stack up --with-prometheus``); the hub's processes are
found through target files (``register_scrape_target``), scraped every 2 s, and the alert rules
evaluated on what they export.
"""

from __future__ import annotations

from functools import partial

from typer.testing import CliRunner

from dvchub.cli import app
from hub.settings import Settings
from hub.stack import LocalStack, PrometheusSettings
from tests.monitoring._support import (
    PrometheusApi,
    dashboard_expressions,
    grafana_to_promql,
    poll,
)
from tests.monitoring.conftest import DOSSIERS, FULL_ONLINE, OVERDUE, Hub

SCRAPED_S = 30  # a few scrape intervals (2 s) after the data is there


def wait_for_values(
    prometheus: PrometheusApi, query: str, label: str, expected: dict[str, float]
) -> dict[str, float]:
    """Poll an instant query until its values by ``label`` are ``expected``."""

    def current() -> dict[str, float] | None:
        found = prometheus.values(query, label)
        return found if found == expected else None

    return poll(current, SCRAPED_S, f"{query} by {label} == {expected}")


def test_the_stack_runs_prometheus(prometheus: PrometheusApi, stack_settings: Settings) -> None:
    statuses = {s.name: s for s in LocalStack(stack_settings, with_prometheus=True).status()}
    assert statuses["prometheus"].ready
    assert statuses["prometheus"].pid
    assert statuses["prometheus"].address == f"http://127.0.0.1:{PrometheusSettings().port}"
    result = CliRunner().invoke(app, ["stack", "status"])  # shown because it runs
    assert result.exit_code == 0, result.output
    assert "prometheus" in result.output


def test_every_process_is_discovered_and_up(prometheus: PrometheusApi, hub: Hub) -> None:
    for job, address in hub.targets.items():
        wait_for_values(prometheus, f'up{{instance="{address}"}}', "job", {job: 1.0})


def test_worker_metrics_come_back(prometheus: PrometheusApi, hub: Hub) -> None:
    lifecycle = hub.targets["dvchub-lifecycle"]
    events = len(DOSSIERS) * 2 + 2  # two events a dossier, the poison, the portal's event
    handled = f'sum(dvchub_processor_events_total{{processor="lifecycle", instance="{lifecycle}"}})'
    poll(lambda: prometheus.values(f"{handled} >= {events}", ""), SCRAPED_S, handled)
    for job, worker in hub.workers.items():
        kind, label = ("outbox", "partner") if "outbox" in job else ("processor", "processor")
        ready = f'dvchub_{kind}_ready{{instance="127.0.0.1:{worker.port}"}}'
        poll(partial(prometheus.values, ready, label), SCRAPED_S, ready)
        assert list(prometheus.values(ready, label).values()) == [1.0], job
    dead = f'sum by (reason_code) (dvchub_deadletters_total{{instance="{lifecycle}"}}) > 0'
    poll(lambda: prometheus.values(dead, "reason_code").get("UNDECODABLE"), SCRAPED_S, dead)
    # One series per assigned input partition (the watchdog publishes them every 5 s), all 0
    # once the events are applied.
    lag = f'dvchub_processor_consumer_lag{{instance="{lifecycle}"}}'
    wait_for_values(prometheus, lag, "partition", {"0": 0.0, "1": 0.0, "2": 0.0})


def test_overdue_dossiers_per_agency(prometheus: PrometheusApi, hub: Hub) -> None:
    query = f'dvchub_sla_overdue_dossiers{{instance="{hub.targets["dvchub-api"]}"}}'
    wait_for_values(prometheus, query, "agency", {k: float(v) for k, v in OVERDUE.items()})
    # The rule sees them too: pending for its 15 minutes, per agency.
    pending = 'ALERTS{alertname="DvcHubDossiersOverdue", alertstate="pending"}'
    poll(lambda: set(OVERDUE) <= set(prometheus.values(pending, "agency")), SCRAPED_S, pending)


def test_full_online_ratio_per_agency(prometheus: PrometheusApi, hub: Hub) -> None:
    """The KPI gauge: the KPI workers' year snapshots, exported by the query API."""
    query = f'dvchub_kpi_full_online_ratio{{instance="{hub.targets["dvchub-api"]}"}}'

    def ratios() -> dict[tuple[str, str], float] | None:
        found = {
            (r["metric"]["agency"], r["metric"]["period"]): float(r["value"][1])
            for r in prometheus.query(query)
        }
        return found if found == FULL_ONLINE else None

    poll(ratios, SCRAPED_S, f"{query} == {FULL_ONLINE}")


def test_sla_alerts_by_kind(prometheus: PrometheusApi, hub: Hub) -> None:
    sla = hub.targets["dvchub-sla"]
    overdue = sum(1 for *_, at in DOSSIERS.values() if at.day < 6)
    query = f'dvchub_sla_alerts_total{{instance="{sla}", kind=~"OVERDUE.*"}}'
    expected = {"OVERDUE": float(overdue), "OVERDUE_WITHOUT_APOLOGY": float(overdue)}
    wait_for_values(prometheus, query, "kind", expected)
    timers = f'sum(dvchub_processor_timers_fired_total{{instance="{sla}"}}) >= {overdue}'
    poll(lambda: prometheus.values(timers, ""), SCRAPED_S, timers)


def test_portal_requests_come_back(prometheus: PrometheusApi, hub: Hub) -> None:
    address = hub.targets["dvchub-connector-portal"]
    query = f'dvchub_portal_requests_total{{instance="{address}", route="/v1/events"}}'
    wait_for_values(prometheus, query, "status", {"202": 1.0})


def test_every_dashboard_query_runs(prometheus: PrometheusApi, hub: Hub) -> None:
    """Each panel's PromQL parses and evaluates on the live data (Grafana's variables fixed)."""
    failures = {}
    for panel, expression in dashboard_expressions().items():
        try:
            prometheus.query(grafana_to_promql(expression))
        except AssertionError as exc:
            failures[panel] = str(exc)
    assert failures == {}
    handled = "sum by (processor) (rate(dvchub_processor_events_total[1m]))"
    processors = {"lifecycle", "sla", "kpi-dossiers"}
    poll(lambda: processors <= set(prometheus.values(handled, "processor")), SCRAPED_S, handled)


def test_every_alert_is_loaded_and_annotated(prometheus: PrometheusApi) -> None:
    for rule in prometheus.rule_documents():
        assert rule["health"] != "err", rule
        assert {"summary", "description"} <= set(rule["annotations"]), rule["name"]
        assert rule["labels"].get("severity") in {"page", "ticket"}, rule["name"]
