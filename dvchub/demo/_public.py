"""Demo section: the province's public pages (``hub.publish``), built from this run's topics.

The late lists, the QĐ 766 results with their ranking and the full-online table are built from
``sla.deadlines``, ``kpi`` and ``kpi.procedures`` (what the SLA and KPI sections just produced),
as at the end of the SLA section's month, into a directory a provincial portal can serve:
``.cache/demo/public/current`` (``dvchub publish serve`` serves it over HTTPS).
"""

from __future__ import annotations

from datetime import datetime

from rich.table import Table

from dvchub.demo._console import console
from hub.processing import AcceleratedClock
from hub.publish import Publisher, read_inputs, served
from hub.sample import VN_TZ
from hub.serde import RegistryClient
from hub.settings import REPO_ROOT, Settings

#: The end of the SLA section's month (its clock starts on 2 June 2025): its late dossiers and
#: the KPI section's 2025 are both in the pages published "now".
AS_OF = datetime(2025, 6, 30, 17, 0, tzinfo=VN_TZ)
PUBLIC_DIR = REPO_ROOT / ".cache" / "demo" / "public"


def show_public_pages(settings: Settings, registry: RegistryClient) -> None:
    console.rule("[bold]Public pages: late lists, QĐ 766 ranking, full-online table (hub.publish)")
    publisher = Publisher(
        PUBLIC_DIR,
        lambda: read_inputs(settings, registry),
        clock=AcceleratedClock.starting(AS_OF, 1.0),
    )
    built = publisher.rebuild()
    root = served(PUBLIC_DIR)
    as_of = built.as_of.astimezone(VN_TZ)
    table = Table(title=f"{built.pages} pages as at {as_of:%d/%m/%Y %H:%M}, built in "
                        f"{built.seconds:.2f} s (HTML, JSON, CSV each)")  # fmt: skip
    table.add_column("page")
    table.add_column("file")
    for name in sorted(f for f in built.release.files if f.endswith(".html")):
        table.add_row(name.removesuffix(".html"), str(root / name))
    console.print(table)
    console.print(f"open [bold]{root / 'index.html'}[/] in a browser, or serve the directory: "
                  f"[bold].venv/bin/dvchub publish serve {PUBLIC_DIR}[/]")  # fmt: skip
