"""Helpers of the monitoring tests: Prometheus's HTTP API, and the metric names that the alert
rules and the dashboard use versus those the hub's processes export."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any, TypeVar

import httpx

from hub.settings import REPO_ROOT

ALERTS_FILE = REPO_ROOT / "infra" / "prometheus" / "alerts.yml"
DASHBOARD_FILE = REPO_ROOT / "infra" / "grafana" / "dashboards" / "dvchub.json"

#: Metrics the rules or the dashboard already use but no process exports yet. Each name here
#: must be used, and must not be exported: remove it once its exporter lands. (The first one,
#: the query API's dvchub_kpi_full_online_ratio, landed with the KPIs, #9.)
PENDING: frozenset[str] = frozenset()

#: Grafana's interval variables, replaced by fixed windows when a query is sent to Prometheus.
GRAFANA_VARIABLES = {"$__rate_interval": "1m", "$__interval": "1m", "$__range": "1h"}

_NAME = re.compile(r"\bdvchub_[a-z0-9_]+\b")
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'')
# The samples a metric family of each type shows, from its `# TYPE` line (text format 0.0.4).
_SAMPLE_SUFFIXES = {
    "counter": ("", "_created"),  # prometheus-client's TYPE line names counters with _total
    "gauge": ("",),
    "histogram": ("_bucket", "_count", "_sum", "_created"),
    "summary": ("", "_count", "_sum", "_created"),
    "untyped": ("",),
    "info": ("",),
    "stateset": ("",),
    "gaugehistogram": ("_bucket", "_gcount", "_gsum"),
}

T = TypeVar("T")


def referenced_names(expression: str) -> set[str]:
    """The ``dvchub_*`` series names a PromQL expression reads (quoted label values skipped)."""
    return set(_NAME.findall(_STRING.sub('""', expression)))


def alert_names(path: Path = ALERTS_FILE) -> set[str]:
    """The alerts a rules file declares (``- alert: Name`` lines; no YAML parser needed)."""
    return set(re.findall(r"^\s*-\s*alert:\s*(\w+)", path.read_text(), flags=re.MULTILINE))


def _panels(panels: Iterable[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for panel in panels:
        yield panel
        yield from _panels(panel.get("panels", []))  # a collapsed row holds its panels


def dashboard_expressions(path: Path = DASHBOARD_FILE) -> dict[str, str]:
    """``<panel title> [<refId>]`` -> the target's PromQL."""
    dashboard = json.loads(path.read_text())
    return {
        f"{panel['title']} [{target.get('refId', '?')}]": str(target["expr"])
        for panel in _panels(dashboard["panels"])
        for target in panel.get("targets", [])
        if target.get("expr")
    }


def used_names(rules: Mapping[str, str]) -> dict[str, set[str]]:
    """Every ``dvchub_*`` name the alert ``rules`` (name -> expression) and the dashboard use
    -> where."""
    found: dict[str, set[str]] = {}
    for source, expressions in (("alerts.yml", rules), ("dvchub.json", dashboard_expressions())):
        for where, expression in expressions.items():
            for name in referenced_names(expression):
                found.setdefault(name, set()).add(f"{source}: {where}")
    return found


def exported_names(exposition: str) -> set[str]:
    """The sample names a ``/metrics`` page can show, from its ``# TYPE`` lines (a labelled
    family without children yet still declares itself there)."""
    names: set[str] = set()
    for line in exposition.splitlines():
        if line.startswith("# TYPE "):
            _, _, family, kind = line.split(maxsplit=3)
            base = family.removesuffix("_total") if kind == "counter" else family
            for suffix in _SAMPLE_SUFFIXES.get(kind, ("",)):
                names.add(family if suffix == "" else base + suffix)
    return names


def grafana_to_promql(expression: str) -> str:
    for variable, value in GRAFANA_VARIABLES.items():
        expression = expression.replace(variable, value)
    return expression


def poll(check: Callable[[], T | None], timeout_s: float, what: str, every_s: float = 0.5) -> T:
    """``check()``'s first truthy result; AssertionError naming ``what`` after ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    last: T | None = None
    while time.monotonic() < deadline:
        last = check()
        if last:
            return last
        time.sleep(every_s)
    raise AssertionError(f"not within {timeout_s:.0f} s: {what} (last: {last!r})")


class PrometheusApi:
    """The few calls of Prometheus's HTTP API (``/api/v1``) the tests make."""

    def __init__(self, base_url: str) -> None:
        self.client = httpx.Client(base_url=base_url, timeout=10.0)

    def _get(self, path: str, **params: str) -> Any:
        response = self.client.get(f"/api/v1/{path}", params=params)
        body = response.json()
        if body.get("status") != "success":
            raise AssertionError(f"{path} {params}: {body.get('errorType')}: {body.get('error')}")
        return body["data"]

    def query(self, promql: str) -> list[dict[str, Any]]:
        """An instant query's vector: [{'metric': {...}, 'value': [t, 'v']}, ...]."""
        data = self._get("query", query=promql)
        return list(data["result"]) if data["resultType"] == "vector" else [data]

    def values(self, promql: str, label: str) -> dict[str, float]:
        """An instant query's values keyed by one label."""
        return {r["metric"].get(label, ""): float(r["value"][1]) for r in self.query(promql)}

    def targets(self) -> list[dict[str, Any]]:
        return list(self._get("targets", state="active")["activeTargets"])

    def rule_documents(self) -> list[dict[str, Any]]:
        """The loaded rules as ``/api/v1/rules`` describes them (name, query, annotations...)."""
        return [rule for group in self._get("rules")["groups"] for rule in group["rules"]]

    def rules(self) -> dict[str, str]:
        """The loaded rules (alerts.yml, as Prometheus parsed it): name -> expression."""
        return {str(rule["name"]): str(rule["query"]) for rule in self.rule_documents()}

    def close(self) -> None:
        self.client.close()
