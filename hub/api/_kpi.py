"""KPI endpoints and gauges of the query API, from the ``kpi`` and ``kpi.procedures`` topics.

    GET /v1/reports/full-online?year=2024[&format=csv|xlsx]   the province's yearly table
    GET /v1/reports/766?month=2025-03[&format=csv|xlsx]       QĐ 766 indicators per agency
    GET /v1/reports/online-submissions?quarter=2025-Q1        online share per agency vs 20%

``/metrics`` gains ``dvchub_kpi_full_online_ratio{agency,period}`` (year snapshots) and
``dvchub_kpi_on_time_ratio{agency,period}`` (month snapshots), read at scrape time: this
process holds every snapshot, whichever worker computed it.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Query
from fastapi.encoders import jsonable_encoder
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from hub.api._files import download
from hub.kpi import (
    FULL_ONLINE_TITLES,
    INDICATOR_TITLES,
    FullOnlineRow,
    IndicatorsRow,
    Kpis,
    KpiSettings,
    Period,
    Rate,
    full_online_rows,
    full_online_table,
    indicator_rows,
    indicators_766,
    online_submissions,
    write_full_online_csv,
    write_indicators_csv,
    write_xlsx,
)
from hub.materialized import MaterializedTopic
from hub.records import KpiSnapshot, ProcedureHistory
from hub.serde import RegistryClient, serde_for
from hub.settings import Settings
from hub.topics import KPI, KPI_PROCEDURES

Format = Literal["json", "csv", "xlsx"]


class KpiViews:
    """Every KPI snapshot and procedure history, followed from their compacted topics."""

    def __init__(self, settings: Settings, registry: RegistryClient) -> None:
        prefix = settings.topic_prefix
        self.snapshots = MaterializedTopic[KpiSnapshot](settings, serde_for(KPI, prefix, registry),
                                           KPI.name(prefix), what="KPI snapshots")  # fmt: skip
        self.histories = MaterializedTopic[ProcedureHistory](
            settings, serde_for(KPI_PROCEDURES, prefix, registry), KPI_PROCEDURES.name(prefix),
            what="procedure histories",
        )  # fmt: skip

    @property
    def ready(self) -> bool:
        return self.snapshots.ready and self.histories.ready

    def start(self) -> None:
        self.snapshots.start()
        self.histories.start()

    def stop(self) -> None:
        self.snapshots.stop()
        self.histories.stop()

    def kpis(self) -> Kpis:
        if not self.ready:
            raise HTTPException(status_code=503, detail="KPIs not loaded yet")
        histories = {str(h["procedure_code"]): h for h in self.histories.values()}
        snapshots = {f"{s['agency_code']}|{s['period']}": s for s in self.snapshots.values()}
        return Kpis(snapshots, histories)


class KpiCollector(Collector):
    """The KPI gauges, per agency and period, counted at scrape time."""

    def __init__(self, views: KpiViews) -> None:
        self.views = views

    def collect(self) -> Iterator[GaugeMetricFamily]:
        ratio = GaugeMetricFamily(
            "dvchub_kpi_full_online_ratio",
            "Full-online dossiers received online / all received, per agency and year (0-1).",
            labels=["agency", "period"],
        )
        on_time = GaugeMetricFamily(
            "dvchub_kpi_on_time_ratio",
            "Dossiers resolved early or on time / resolved, per agency and month (0-1).",
            labels=["agency", "period"],
        )
        for s in self.views.snapshots.values():
            labels = [str(s["agency_code"]), str(s["period"])]
            kind = Period.parse(str(s["period"])).kind
            if kind == "year" and s["full_online_ratio"] is not None:
                ratio.add_metric(labels, float(s["full_online_ratio"]))
            if kind == "month" and s["resolved"]:
                on_time.add_metric(labels, s["resolved_on_time"] / s["resolved"])
        yield ratio
        yield on_time


def kpi_routes(views: KpiViews, config: KpiSettings | None = None) -> APIRouter:
    config = config or KpiSettings()
    targets = config.parsed_targets()
    router = APIRouter()

    def period(label: str, kind: str) -> Period:
        try:
            parsed = Period.parse(label)
        except ValueError as exc:
            raise HTTPException(status_code=422, detail=str(exc)) from exc
        if parsed.kind != kind:
            raise HTTPException(status_code=422, detail=f"expected a {kind}, got {label!r}")
        return parsed

    @router.get("/v1/reports/full-online")
    def full_online(
        year: str = Query(..., description="The year, e.g. 2024."),
        format: Format = "json",  # the query parameter's name
    ) -> Any:
        """The yearly full-online table: one row per agency, the total row last."""
        label = period(year, "year").label
        table = full_online_table(views.kpis(), int(label), targets)
        name = f"full-online-{label}"
        rows = full_online_rows(table)
        title = f"Tỷ lệ hồ sơ trực tuyến toàn trình {label}"
        file = download(
            format, name, csv=lambda out: write_full_online_csv(table, out),
            xlsx=lambda path: write_xlsx(title, FULL_ONLINE_TITLES, rows, path),
        )  # fmt: skip
        if file is not None:
            return file
        return jsonable_encoder({
            "period": label, "rows": [_row(r) for r in table.rows], "total": _row(table.total),
        })  # fmt: skip

    @router.get("/v1/reports/766")
    def indicators(
        month: str = Query(..., description="The month, e.g. 2025-03."),
        format: Format = "json",  # the query parameter's name
    ) -> Any:
        """The QĐ 766 indicators of every agency for a month."""
        label = period(month, "month").label
        rows = indicators_766(views.kpis(), label)
        name = f"766-{label}"
        cells = indicator_rows(rows)
        title = f"Chỉ số QĐ 766 {label}"
        file = download(
            format, name, csv=lambda out: write_indicators_csv(rows, out),
            xlsx=lambda path: write_xlsx(title, INDICATOR_TITLES, cells, path),
        )  # fmt: skip
        if file is not None:
            return file
        return jsonable_encoder({"period": label, "rows": [_indicators(r) for r in rows]})

    @router.get("/v1/reports/online-submissions")
    def online(
        quarter: str = Query(..., description="The quarter, e.g. 2025-Q1."),
        target: Annotated[Decimal, Query(ge=0, le=100, description="Minimum percent.")] = (
            Decimal(20)
        ),
    ) -> Any:
        label = period(quarter, "quarter").label
        rows = online_submissions(views.kpis(), label, target)
        return jsonable_encoder({"period": label, "target_percent": target, "rows": [
            {"agency_code": r.agency_code, **_rate(r.online), "reaches_target": r.reaches_target}
            for r in rows
        ]})  # fmt: skip

    return router


def _row(row: FullOnlineRow) -> dict[str, object]:
    data: dict[str, object] = {name: getattr(row, name) for name in row.__dataclass_fields__}
    data["ratio"] = None if row.ratio is None else f"{row.ratio}%"
    data["verdict_label"] = row.verdict_label
    return data


def _rate(rate: Rate) -> dict[str, object]:
    value = rate.percent
    return {"numerator": rate.numerator, "denominator": rate.denominator,
            "percent": None if value is None else f"{value}%"}  # fmt: skip


def _indicators(row: IndicatorsRow) -> dict[str, object]:
    data: dict[str, object] = {"agency_code": row.agency_code, "received": row.received}
    for name in row.__dataclass_fields__:
        if name not in data:
            data[name] = _rate(getattr(row, name))
    return data
