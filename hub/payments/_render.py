"""A reconciliation report for people and programs: a rich table, CSV, JSON.

``render_report(report, "table" | "csv" | "json", out)`` is what ``dvchub report reconciliation``
prints; ``write_csv`` and ``as_json`` are its parts. Times are Vietnam time (ISO 8601, +07:00).
"""

from __future__ import annotations

import csv
import json
from datetime import datetime
from typing import Final, Literal, TextIO

from rich.console import Console
from rich.table import Table

from hub.payments._reconcile import ReconciliationReport
from hub.payments._statement import TZ

Format = Literal["table", "csv", "json"]
FORMATS: Final = ("table", "csv", "json")
CSV_COLUMNS: Final = (
    "kind", "line", "payment_reference", "dossier_id", "provider_transaction_ids",
    "provider_amount_vnd", "hub_amount_vnd", "hub_status", "occurred_at", "detail",
    "mismatch_id",
)  # fmt: skip


def render_report(report: ReconciliationReport, format: Format, out: TextIO) -> None:
    """``report`` as a table (with its summary), CSV (mismatches, then bad rows as ``BAD_ROW``)
    or JSON, written to ``out`` (open a file with ``newline=""`` for CSV)."""
    if format == "csv":
        write_csv(report, out)
    elif format == "json":
        json.dump(as_json(report), out, ensure_ascii=False, indent=2)
        out.write("\n")
    elif format == "table":
        console = Console(file=out, width=160)
        for table in report_tables(report):
            console.print(table)
    else:
        raise ValueError(f"format must be one of {', '.join(FORMATS)}")


def report_tables(report: ReconciliationReport) -> list[Table]:
    """The summary, the mismatches and (if any) the bad rows, as rich tables."""
    title = f"Reconciliation {report.provider} {report.day.isoformat()}"
    summary = Table("rows in file", "compared", "matched", "other days", "paid in hub",
                    *report.counts(), "bad rows", title=title)  # fmt: skip
    summary.add_row(
        str(report.rows),
        str(report.compared),
        str(report.matched),
        str(report.outside_day),
        str(report.hub_paid),
        *(str(n) for n in report.counts().values()),
        str(len(report.bad_rows)),
    )
    tables = [summary]
    mismatches = Table("line", "kind", "reference", "dossier", "transactions", "provider VND",
                       "hub VND", "hub status", "when", "detail", title="Mismatches")  # fmt: skip
    for m in report.mismatches:
        mismatches.add_row(
            "-" if m.line is None else str(m.line), m.kind, m.payment_reference,
            m.dossier_id or "-", " ".join(m.provider_transaction_ids) or "-",
            _amount(m.provider_amount_vnd), _amount(m.hub_amount_vnd), m.hub_status or "-",
            _local(m.occurred_at), m.detail,
        )  # fmt: skip
    tables.append(mismatches)
    if report.bad_rows:
        bad = Table("line", "reason", title="Bad rows")
        for row in report.bad_rows:
            bad.add_row(str(row.line), row.reason)
        tables.append(bad)
    return tables


def write_csv(report: ReconciliationReport, out: TextIO) -> None:
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS)
    writer.writeheader()
    for m in report.mismatches:
        writer.writerow({
            "kind": m.kind, "line": "" if m.line is None else m.line,
            "payment_reference": m.payment_reference, "dossier_id": m.dossier_id or "",
            "provider_transaction_ids": " ".join(m.provider_transaction_ids),
            "provider_amount_vnd": _blank(m.provider_amount_vnd),
            "hub_amount_vnd": _blank(m.hub_amount_vnd), "hub_status": m.hub_status or "",
            "occurred_at": _iso(m.occurred_at) or "", "detail": m.detail,
            "mismatch_id": m.mismatch_id,
        })  # fmt: skip
    for row in report.bad_rows:
        writer.writerow({"kind": "BAD_ROW", "line": row.line, "detail": row.reason})


def as_json(report: ReconciliationReport) -> dict[str, object]:
    return {
        "provider": report.provider, "day": report.day.isoformat(),
        "detected_at": _iso(report.detected_at),
        "summary": {
            "rows": report.rows, "compared": report.compared, "matched": report.matched,
            "outside_day": report.outside_day, "hub_paid": report.hub_paid,
            "bad_rows": len(report.bad_rows), "published": report.published,
            "mismatches": report.counts(),
        },
        "mismatches": [
            {"mismatch_id": m.mismatch_id, "kind": m.kind, "line": m.line,
             "payment_reference": m.payment_reference, "dossier_id": m.dossier_id,
             "provider_transaction_ids": list(m.provider_transaction_ids),
             "provider_amount_vnd": m.provider_amount_vnd, "hub_amount_vnd": m.hub_amount_vnd,
             "hub_status": m.hub_status, "occurred_at": _iso(m.occurred_at),
             "detail": m.detail}
            for m in report.mismatches
        ],
        "bad_rows": [{"line": b.line, "reason": b.reason} for b in report.bad_rows],
    }  # fmt: skip


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.astimezone(TZ).isoformat()


def _local(moment: datetime | None) -> str:
    return "-" if moment is None else moment.astimezone(TZ).strftime("%d/%m/%Y %H:%M")


def _amount(value: int | None) -> str:
    return "-" if value is None else f"{value:,}"


def _blank(value: int | None) -> int | str:
    return "" if value is None else value
