"""The province's public pages (issue #21, item 4), kept from the events.

    sla.deadlines, kpi, kpi.procedures --Publisher--> DIR/current -> DIR/releases/<build>/
                                                      --dvchub publish serve DIR--> HTTPS

Per published month: the late list per agency and per official (the directive's automatic
publication), the QĐ 766 results per agency ranked with the praise and criticism lists; per
year: the full-online table (an agency offering no full-online procedure says so in the ratio
column, not 0,00%). Each page is static HTML (Vietnamese, responsive, no script), JSON and CSV,
and ``index.html`` / ``index.json`` link them.

* ``late_page`` / ``indicators_page`` / ``full_online_page``: page models from the reports
  ``hub.sla`` and ``hub.kpi`` compute (``_pages``); ``rank``: the praise/criticism rule
  (``_ranking``, its docstring states it).
* ``build_pages`` (pure), ``render_site`` (Jinja2, autoescaped; JSON; CSV),
  ``write_release`` (the whole set swapped in at once).
* ``Publisher``: builds from the log on a schedule (``run``) and on demand (``rebuild``);
  ``read_inputs`` / ``FollowedInputs`` read the topics. ``PublishSettings``: ``DVC_PUBLISH_*``.
* ``pages_app`` / ``serve_pages``: the read-only static server (TLS by ``hub.http_tls``).

Personal data: an official's name and unit only (see ``_pages``). Exceptions: ``PublishError``.
"""

from hub.publish._build import build_pages, recent_months
from hub.publish._errors import PublishError
from hub.publish._format import vn_date, vn_datetime, vn_days, vn_decimal, vn_int, vn_percent
from hub.publish._pages import (
    NO_FULL_ONLINE,
    NOT_MEASURED,
    FullOnlinePage,
    IndicatorsPage,
    LatePage,
    PublicLateDossier,
    full_online_page,
    indicators_page,
    late_page,
)
from hub.publish._publisher import (
    Built,
    FollowedInputs,
    Inputs,
    Publisher,
    PublishSettings,
    read_inputs,
)
from hub.publish._ranking import SCORED, SHOWN, RankedAgency, Ranking, rank, score
from hub.publish._render import Link, Page, PageFile, link, render_site
from hub.publish._server import pages_app, serve_pages
from hub.publish._site import CURRENT, RELEASES, Release, served, write_release

__all__ = [
    "CURRENT",
    "NOT_MEASURED",
    "NO_FULL_ONLINE",
    "RELEASES",
    "SCORED",
    "SHOWN",
    "Built",
    "FollowedInputs",
    "FullOnlinePage",
    "IndicatorsPage",
    "Inputs",
    "LatePage",
    "Link",
    "Page",
    "PageFile",
    "PublicLateDossier",
    "PublishError",
    "PublishSettings",
    "Publisher",
    "RankedAgency",
    "Ranking",
    "Release",
    "build_pages",
    "full_online_page",
    "indicators_page",
    "late_page",
    "link",
    "pages_app",
    "rank",
    "read_inputs",
    "recent_months",
    "render_site",
    "score",
    "serve_pages",
    "served",
    "vn_date",
    "vn_datetime",
    "vn_days",
    "vn_decimal",
    "vn_int",
    "vn_percent",
    "write_release",
]
