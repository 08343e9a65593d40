"""Every metric the alert rules and the dashboard use is exported by a running process.

A rule on a name nobody exports never fires and a panel on one stays empty, silently; so the
names in the expressions (as the running Prometheus parsed alerts.yml, and the dashboard's
targets) are checked against the ``/metrics`` pages of the hub's processes. Names of metrics
still to come are listed in ``PENDING``, which must shrink as they land.
"""

from __future__ import annotations

from tests.monitoring._support import PENDING, PrometheusApi, exported_names, used_names
from tests.monitoring.conftest import Hub


def _exported(hub: Hub) -> set[str]:
    return set().union(*(exported_names(page) for page in hub.metrics_pages().values()))


def test_every_metric_used_is_exported(prometheus: PrometheusApi, hub: Hub) -> None:
    used = used_names(prometheus.rules())
    exported = _exported(hub)
    missing = {name: sorted(where) for name, where in used.items() if name not in exported}
    assert {n: w for n, w in missing.items() if n not in PENDING} == {}
    assert len(used) > 20  # the parse found the expressions at all


def test_pending_metrics_are_used_and_not_exported_yet(prometheus: PrometheusApi, hub: Hub) -> None:
    used = used_names(prometheus.rules())
    assert set(used) >= PENDING, "a PENDING name no rule or panel uses any more"
    assert PENDING & _exported(hub) == set(), "now exported: remove it from PENDING"


def test_each_process_exports_its_own_metrics(hub: Hub) -> None:
    pages = {job: exported_names(page) for job, page in hub.metrics_pages().items()}
    assert "dvchub_processor_events_total" in pages["dvchub-lifecycle"]
    assert "dvchub_deadletters_total" in pages["dvchub-lifecycle"]
    assert "dvchub_sla_alerts_total" in pages["dvchub-sla"]
    assert "dvchub_processor_timer_lag_seconds_bucket" in pages["dvchub-sla"]
    assert "dvchub_sla_overdue_dossiers" in pages["dvchub-api"]
    assert "dvchub_kpi_full_online_ratio" in pages["dvchub-api"]
    assert "dvchub_portal_requests_total" in pages["dvchub-connector-portal"]
    assert "dvchub_outbox_breaker_state" in pages["dvchub-outbox-emc"]
    assert "dvchub_outbox_oldest_pending_seconds" in pages["dvchub-outbox-emc"]
