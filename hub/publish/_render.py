"""The pages as files: HTML from the Jinja2 templates (autoescaped: agency, department and
official names come from partners' events), JSON and CSV from ``hub.publish._data``, and the
index linking them all.

Page file names (the portal links to them): ``late-YYYY-MM``, ``766-YYYY-MM``,
``full-online-YYYY``, each ``.html``, ``.json`` and ``.csv``; ``index.html``, ``index.json``
and ``style.css``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from importlib import resources
from typing import Final

from jinja2 import Environment, PackageLoader, StrictUndefined

from hub.kpi import CSV_COLUMNS as FULL_ONLINE_COLUMNS
from hub.publish import _data
from hub.publish._format import iso, vn_date, vn_datetime, vn_days, vn_int, vn_percent
from hub.publish._pages import SATISFACTION, FullOnlinePage, IndicatorsPage, LatePage, ratio_cell
from hub.publish._ranking import SCORED, SHOWN

Page = LatePage | IndicatorsPage | FullOnlinePage
STYLESHEET: Final = "style.css"


@dataclass(frozen=True)
class PageFile:
    """One file of the site: its name (flat, no directories) and bytes."""

    name: str
    body: bytes


@dataclass(frozen=True)
class Link:
    """A page as the index lists it."""

    stem: str
    title: str


def _month(label: str) -> str:
    year, month = label.split("-")
    return f"tháng {month}/{year}"


def link(page: Page) -> Link:
    """The page's file stem and Vietnamese title."""
    if isinstance(page, LatePage):
        title = f"Cơ quan, cán bộ có hồ sơ trễ hạn {_month(page.month)}"
        return Link(f"late-{page.month}", title)
    if isinstance(page, IndicatorsPage):
        title = f"Kết quả chỉ số phục vụ người dân, doanh nghiệp (QĐ 766) {_month(page.month)}"
        return Link(f"766-{page.month}", title)
    return Link(f"full-online-{page.year}", f"Tỷ lệ hồ sơ trực tuyến toàn trình năm {page.year}")


def environment() -> Environment:
    env = Environment(
        loader=PackageLoader("hub.publish", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(vn_int=vn_int, vn_percent=vn_percent, vn_days=vn_days, vn_date=vn_date,
                       vn_datetime=vn_datetime)  # fmt: skip
    return env


def _formats(page: Page) -> tuple[str, Mapping[str, object], bytes]:
    """The page's template, JSON document and CSV."""
    if isinstance(page, LatePage):
        return "late.html", _data.late_json(page), _data.late_csv(page)
    if isinstance(page, IndicatorsPage):
        return "indicators.html", _data.indicators_json(page), _data.indicators_csv(page)
    return "full_online.html", _data.full_online_json(page), _data.full_online_csv(page)


def render_site(
    pages: Sequence[Page], *, province: str, as_of: datetime, praise_count: int
) -> list[PageFile]:
    """Every file of the site: each page in three formats, the index, the stylesheet."""
    env = environment()
    common = {"province": province, "as_of": as_of, "praise_count": praise_count,
              "scored": SCORED, "shown": SHOWN, "rate_names": (*SCORED, *SHOWN),
              "satisfaction": SATISFACTION,
              "count_columns": FULL_ONLINE_COLUMNS[2:12], "ratio_cell": ratio_cell}  # fmt: skip
    files: list[PageFile] = []
    links: list[Link] = []
    for page in pages:
        template, document, table = _formats(page)
        named = link(page)
        links.append(named)
        formats = [("JSON", f"{named.stem}.json"), ("CSV", f"{named.stem}.csv")]
        html = env.get_template(template).render(
            common, page=page, title=named.title, files=formats
        )
        files += [
            PageFile(f"{named.stem}.html", html.encode()),
            PageFile(f"{named.stem}.json", _data.encode_json(document)),
            PageFile(f"{named.stem}.csv", table),
        ]
    index = env.get_template("index.html").render(
        common, title="Công khai kết quả giải quyết thủ tục hành chính", links=links, files=()
    )
    listing = {"province": province, "as_of": iso(as_of),
               "pages": [{"title": k.title, "html": f"{k.stem}.html", "json": f"{k.stem}.json",
                          "csv": f"{k.stem}.csv"} for k in links]}  # fmt: skip
    stylesheet = resources.files("hub.publish").joinpath("templates", STYLESHEET).read_bytes()
    files += [
        PageFile("index.html", index.encode()),
        PageFile("index.json", _data.encode_json(listing)),
        PageFile(STYLESHEET, stylesheet),
    ]
    return files
