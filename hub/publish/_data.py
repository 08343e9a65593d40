"""Each page's JSON and CSV: data for machines, so decimal points and ISO 8601 times (+07:00),
never the HTML pages' localised numbers. Percentages are strings (``"42.50"``): the reports'
two-decimal values exactly, not a float's approximation.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, fields
from decimal import Decimal

from hub.kpi import CSV_COLUMNS as FULL_ONLINE_COLUMNS
from hub.kpi import FullOnlineRow, Rate
from hub.publish._format import iso
from hub.publish._pages import (
    NO_FULL_ONLINE,
    FullOnlinePage,
    IndicatorsPage,
    LatePage,
    PublicLateDossier,
    offers_full_online,
)
from hub.publish._ranking import SCORED, SHOWN, RankedAgency
from hub.sla import LateCount

LATE_COLUMNS = ("level", "agency_code", "agency_name", "department", "official", "overdue",
                "late_returned", "total", "without_apology", "without_explanation")  # fmt: skip
_RATES = (*SCORED, *SHOWN)
_DOSSIER_FIELDS = tuple(f.name for f in fields(PublicLateDossier))
INDICATOR_COLUMNS = (
    "rank", "agency_code", "agency_name", "received", "score",
    *(f"{name}_{part}" for name in _RATES for part in ("numerator", "denominator", "percent")),
    "praised", "criticised",
)  # fmt: skip


def _text(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def encode_json(document: Mapping[str, object]) -> bytes:
    """UTF-8 JSON, Vietnamese left readable (not ``\\u`` escaped)."""
    return json.dumps(document, ensure_ascii=False, indent=1).encode()


def encode_csv(columns: Sequence[str], rows: Iterable[Mapping[str, object]]) -> bytes:
    """UTF-8 CSV with a byte-order mark: Excel, which province staff open it with, otherwise
    reads Vietnamese as mojibake."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows({k: "" if v is None else v for k, v in row.items()} for row in rows)
    return ("\ufeff" + out.getvalue()).encode()


# -- late lists -------------------------------------------------------------------------------


def _late(row: LateCount) -> dict[str, object]:
    return asdict(row) | {"total": row.total}


def late_json(page: LatePage) -> dict[str, object]:
    dossiers = []
    for d in page.dossiers:
        # Not asdict: it deep-copies each value, a third of a large month's build.
        data: dict[str, object] = {name: getattr(d, name) for name in _DOSSIER_FIELDS}
        for name in ("due_at", "reappointed_at", "finished_at"):
            data[name] = iso(getattr(d, name))
        dossiers.append(data)
    return {
        "month": page.month, "as_of": iso(page.as_of), "provisional": page.provisional,
        "agencies": [_late(r) for r in page.agencies],
        "officials": [_late(r) for r in page.officials],
        "total": _late(page.total), "dossiers": dossiers,
    }  # fmt: skip


def late_csv(page: LatePage) -> bytes:
    """The agency rows, then the official rows (the ``level`` column says which)."""
    rows = [_late(r) for r in (*page.agencies, *page.officials)]
    return encode_csv(LATE_COLUMNS, rows)


# -- QĐ 766 -----------------------------------------------------------------------------------


def _rate(rate: Rate) -> dict[str, object]:
    return {"numerator": rate.numerator, "denominator": rate.denominator,
            "percent": _text(rate.percent)}  # fmt: skip


def _agency(agency: RankedAgency, page: IndicatorsPage) -> dict[str, object]:
    return {
        "rank": agency.rank, "agency_code": agency.agency_code, "agency_name": agency.agency_name,
        "received": agency.received, "score": _text(agency.score_percent),
        "rates": {name: _rate(agency.rates[name]) for name in _RATES},
        "praised": agency in page.ranking.praised,
        "criticised": agency in page.ranking.criticised,
    }  # fmt: skip


def indicators_json(page: IndicatorsPage) -> dict[str, object]:
    ranking = page.ranking
    return {
        "month": page.month, "as_of": iso(page.as_of), "provisional": page.provisional,
        "scored": list(SCORED),
        "not_measured": list(page.not_measured),
        "agencies": [_agency(a, page) for a in ranking.agencies],
        "praised": [a.agency_code for a in ranking.praised],
        "criticised": [a.agency_code for a in ranking.criticised],
    }  # fmt: skip


def indicators_csv(page: IndicatorsPage) -> bytes:
    rows = []
    for agency in page.ranking.agencies:
        data = _agency(agency, page)
        rates = data.pop("rates")
        assert isinstance(rates, dict)
        for name, rate in rates.items():
            data |= {f"{name}_{part}": value for part, value in rate.items()}
        rows.append(data)
    return encode_csv(INDICATOR_COLUMNS, rows)


# -- full-online table ------------------------------------------------------------------------


def _full_online_row(row: FullOnlineRow) -> dict[str, object]:
    data = {name: getattr(row, name) for name in FULL_ONLINE_COLUMNS}
    data["ratio"] = _text(row.ratio) if offers_full_online(row) else NO_FULL_ONLINE
    data["verdict"] = row.verdict_label
    return data


def full_online_json(page: FullOnlinePage) -> dict[str, object]:
    """Rows as the CSV's columns; ``ratio`` is the percent, null with nothing received, or the
    words the province's tables print for an agency offering no full-online procedure."""
    return {
        "year": page.year, "as_of": iso(page.as_of), "provisional": page.provisional,
        "rows": [_full_online_row(r) for r in page.rows],
        "total": _full_online_row(page.total),
    }  # fmt: skip


def full_online_csv(page: FullOnlinePage) -> bytes:
    rows = [_full_online_row(r) for r in (*page.rows, page.total)]
    return encode_csv(FULL_ONLINE_COLUMNS, rows)
