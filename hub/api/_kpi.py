"""KPI endpoints and gauges of the query API, from the ``kpi`` and ``kpi.procedures`` topics.

    GET /v1/reports/full-online?year=2024[&format=csv|xlsx]   the province's yearly table
    GET /v1/reports/766?month=2025-03|week=2025-W10[&format=csv|xlsx]
                                                              QĐ 766 indicators per agency
    GET /v1/reports/online-submissions?quarter=2025-Q1        online share per agency vs 20%
    GET /v1/reports/targets?period=2024[&format=csv|xlsx]     2024 indicators, target, verdict
    GET /v1/reports/postal?period=2025-03[&format=csv|xlsx]   postal pickups, returns, COD

(``period``: a year, quarter, month or ISO week.) ``/metrics`` gains
``dvchub_kpi_full_online_ratio{agency,period}`` (year snapshots),
``dvchub_kpi_on_time_ratio{agency,period}``, ``dvchub_kpi_indicator_ratio{agency,period,
indicator}`` (the 2024 indicators from the snapshots), ``dvchub_kpi_postal_dossiers{agency,
period,leg,timeliness}``, ``dvchub_kpi_postal_cod_vnd{agency,period}``,
``dvchub_kpi_satisfied_ratio{agency,period}`` and ``dvchub_kpi_satisfaction_score{agency,period,
criterion}`` (the QĐ 766 satisfaction group, where ratings were counted; month snapshots),
read at scrape time: this process holds every snapshot, whichever worker computed it.
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
    INDICATOR_FIELDS,
    INDICATOR_TITLES,
    POSTAL_COLUMNS,
    POSTAL_TITLES,
    RATE_COLUMNS,
    TARGET_COLUMNS,
    TARGET_TITLES,
    FullOnlineRow,
    IndicatorsRow,
    Kpis,
    KpiSettings,
    Period,
    PostalRow,
    Rate,
    Satisfaction,
    TargetsRow,
    full_online_rows,
    full_online_table,
    indicator_rows,
    indicators_766,
    indicators_2024,
    online_submissions,
    postal_figures,
    postal_rows,
    received,
    target_rows,
    write_csv,
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
        indicators = GaugeMetricFamily(
            "dvchub_kpi_indicator_ratio",
            "2024 indicators per agency and month (0-1): dossier_digitisation, "
            "result_digitisation, online_payment (full_online_procedures: see the report).",
            labels=["agency", "period", "indicator"],
        )
        postal = GaugeMetricFamily(
            "dvchub_kpi_postal_dossiers",
            "Dossiers collected (leg=pickup) and results delivered (leg=return) by VNPost, per "
            "agency and month, within the postal deadline or late.",
            labels=["agency", "period", "leg", "timeliness"],
        )
        cod = GaugeMetricFamily(
            "dvchub_kpi_postal_cod_vnd",
            "Cash collected on delivery of results by VNPost, per agency and month (VND).",
            labels=["agency", "period"],
        )
        for s in self.views.snapshots.values():
            labels = [str(s["agency_code"]), str(s["period"])]
            kind = Period.parse(str(s["period"])).kind
            if kind == "year" and s["full_online_ratio"] is not None:
                ratio.add_metric(labels, float(s["full_online_ratio"]))
            if kind != "month":
                continue
            if s["resolved"]:
                on_time.add_metric(labels, s["resolved_on_time"] / s["resolved"])
            for name, rate in _snapshot_rates(s).items():
                if rate.denominator:
                    indicators.add_metric([*labels, name], rate.numerator / rate.denominator)
            for leg, done, in_time in (
                ("pickup", s["postal_pickups"], s["postal_pickups_on_time"]),
                ("return", s["postal_returns"], s["postal_returns_on_time"]),
            ):
                postal.add_metric([*labels, leg, "on_time"], in_time)
                postal.add_metric([*labels, leg, "late"], done - in_time)
            cod.add_metric(labels, s["postal_cod_vnd"])
        yield from (ratio, on_time, indicators, postal, cod, *_satisfaction(self.views))


def _satisfaction(views: KpiViews) -> tuple[GaugeMetricFamily, GaugeMetricFamily]:
    satisfied = GaugeMetricFamily(
        "dvchub_kpi_satisfied_ratio",
        "Ratings satisfied overall (4-5 of 5) / ratings counted, per agency and month (0-1).",
        labels=["agency", "period"],
    )
    scores = GaugeMetricFamily(
        "dvchub_kpi_satisfaction_score",
        "Mean QĐ 766 satisfaction score (1-5) of the ratings counted, per agency, month and "
        "criterion.",
        labels=["agency", "period", "criterion"],
    )
    for s in views.snapshots.values():
        group = Satisfaction.of(s.get("satisfaction"))
        if not group.rated or Period.parse(str(s["period"])).kind != "month":
            continue
        labels = [str(s["agency_code"]), str(s["period"])]
        satisfied.add_metric(labels, group.satisfied / group.rated)
        for criterion, value in group.mean_of.items():
            scores.add_metric([*labels, criterion], float(value or 0))
    return satisfied, scores


def _snapshot_rates(s: KpiSnapshot) -> dict[str, Rate]:
    """The 2024 indicators one snapshot holds (the procedures' needs the catalogue's history)."""
    return {
        "dossier_digitisation": Rate(s["dossiers_digitised"], received(s)),
        "result_digitisation": Rate(s["results_signed"], s["resolved"]),
        "online_payment": Rate(s["paid_online"], s["with_fee"]),
    }


def kpi_routes(views: KpiViews, config: KpiSettings | None = None) -> APIRouter:
    config = config or KpiSettings()
    targets = config.parsed_targets()
    indicator_targets = config.parsed_indicator_targets()
    not_eligible = config.not_eligible_codes()
    router = APIRouter()

    def period(label: str, kind: str | None = None) -> Period:
        try:
            parsed = Period.parse(label)
        except ValueError as exc:
            raise HTTPException(status_code=422, detail=str(exc)) from exc
        if kind is not None and parsed.kind != kind:
            raise HTTPException(status_code=422, detail=f"expected a {kind}, got {label!r}")
        return parsed

    def answer(
        format: Format, name: str, header: tuple[str, ...], titles: tuple[str, ...],
        rows: list[list[str]], body: dict[str, object],
    ) -> Any:  # fmt: skip
        """A report of a header and string rows: CSV, XLSX (titled ``body["title"]``), or
        ``body`` as JSON."""
        title = str(body.pop("title"))
        file = download(
            format, name, csv=lambda out: write_csv(header, rows, out),
            xlsx=lambda path: write_xlsx(title, titles, rows, path),
        )  # fmt: skip
        return file if file is not None else jsonable_encoder(body)

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
        month: str | None = Query(None, description="The month, e.g. 2025-03."),
        week: str | None = Query(None, description="Or the ISO week, e.g. 2025-W10."),
        format: Format = "json",  # the query parameter's name
    ) -> Any:
        """The QĐ 766 indicators of every agency for a month, or for a week (checked weekly)."""
        if (month is None) == (week is None):
            raise HTTPException(status_code=422, detail="give either month or week")
        label = period(month, "month").label if month else period(str(week), "week").label
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

    @router.get("/v1/reports/targets")
    def targets_2024(
        period_: str = Query(..., alias="period", description="2024, 2024-Q1, 2024-03, 2024-W05."),
        format: Format = "json",  # the query parameter's name
    ) -> Any:
        """The 2024 indicators of every agency: rate, target and verdict each, the total last."""
        label = period(period_).label
        rows, total = indicators_2024(views.kpis(), label, indicator_targets, not_eligible)
        return answer(format, f"targets-{label}", TARGET_COLUMNS, TARGET_TITLES,
                      target_rows(rows, total), {
            "title": f"Chỉ tiêu 2024 - {label}", "period": label,
            "rows": [_targets(r) for r in rows], "total": _targets(total),
        })  # fmt: skip

    @router.get("/v1/reports/postal")
    def postal(
        period_: str = Query(..., alias="period", description="2025, 2025-Q1, 2025-03, 2025-W10."),
        format: Format = "json",  # the query parameter's name
    ) -> Any:
        """Dossiers and results carried by VNPost per agency, on time, with COD collected."""
        label = period(period_).label
        rows, total = postal_figures(views.kpis(), label)
        return answer(format, f"postal-{label}", POSTAL_COLUMNS, POSTAL_TITLES,
                      postal_rows(rows, total), {
            "title": f"Bưu chính công ích {label}", "period": label,
            "rows": [_postal(r) for r in rows], "total": _postal(total),
        })  # fmt: skip

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


def _targets(row: TargetsRow) -> dict[str, object]:
    data: dict[str, object] = {"agency_code": row.agency_code}
    for name in INDICATOR_FIELDS:
        verdict = getattr(row, name)
        target = verdict.target
        data[name] = _rate(verdict.rate) | {
            "target_percent": None if target is None else f"{target}%",
            "verdict": verdict.verdict, "verdict_label": verdict.label,
        }  # fmt: skip
    return data


def _postal(row: PostalRow) -> dict[str, object]:
    return {"agency_code": row.agency_code, "picked_up": row.picked_up,
            "pickups_on_time": _rate(row.pickups_on_time), "returned": row.returned,
            "returns_on_time": _rate(row.returns_on_time), "cod_vnd": row.cod_vnd}  # fmt: skip


def _indicators(row: IndicatorsRow) -> dict[str, object]:
    data: dict[str, object] = {"agency_code": row.agency_code, "received": row.received}
    for name in RATE_COLUMNS:
        data[name] = _rate(getattr(row, name))
    group = row.satisfaction
    data["satisfaction"] = {"rated": group.rated, "satisfied": _rate(row.satisfied),
                            "means": {c: None if m is None else str(m)
                                      for c, m in group.mean_of.items()}}  # fmt: skip
    return data
