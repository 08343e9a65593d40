"""The pages from the log, on the real broker and registry: a month of events through the folds,
their states on the test's topics; ``dvchub publish build`` and ``serve`` as processes (HTTPS),
every page rendered by headless Chromium (a screenshot each, paths printed), the numbers of the
rendered DOM equal to the reports', every link answering; and the followed publisher rebuilding
on demand and on its schedule."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from hub.kpi import KpiSettings, full_online_table, indicators_766
from hub.pki import CertificateAuthority, client_context
from hub.processing import FileClock, free_port
from hub.publish import FollowedInputs, Publisher, PublishSettings, served
from hub.serde import RegistryClient
from hub.settings import Settings
from hub.sla import Period, late_counts, late_dossiers
from tests.kpi._support import dossier
from tests.kpi._support import vn as at
from tests.lifecycle._support import wait_until
from tests.publish._flow import CATALOG, Flow, march_events, publish_flow
from tests.publish._support import AS_OF, CALENDAR, cells, vn_number
from tests.sla._late_support import vn

DVCHUB = Path(sys.executable).with_name("dvchub")
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
TARGETS = KpiSettings().parsed_targets()
PAGES = ("index", "late-2025-03", "766-2025-03", "full-online-2025", "late-2025-04",
         "766-2025-04")  # fmt: skip


@pytest.fixture
def flow(settings: Settings, registry: RegistryClient) -> Flow:
    return publish_flow(settings, registry, march_events())


def _env(settings: Settings, clock: Path) -> dict[str, str]:
    clock.write_text(AS_OF.isoformat())
    mine = {"DVC_TOPIC_PREFIX": settings.topic_prefix, "DVC_CLOCK": f"file:{clock}",
            "DVC_PUBLISH_MONTHS": "2", "DVC_PUBLISH_PROVINCE": "UBND tỉnh Thử"}  # fmt: skip
    return os.environ | mine


@pytest.fixture
def server(tmp_path: Path, settings: Settings, flow: Flow) -> Iterator[tuple[str, Path]]:
    """``dvchub publish build`` then ``dvchub publish serve`` over HTTPS: (base URL, CA file)."""
    env = _env(settings, tmp_path / "clock")
    site = tmp_path / "site"
    built = subprocess.run([str(DVCHUB), "publish", "build", str(site)], env=env,
                           capture_output=True, text=True, timeout=120, check=False)  # fmt: skip
    assert built.returncode == 0, built.stdout + built.stderr
    assert "5 pages (" in built.stdout  # two months of two pages, and the year's table
    ca = CertificateAuthority.create(tmp_path / "pki", "pages")
    cert = ca.issue_server("pages")
    port = free_port()
    tls = {
        "DVC_HTTP_TLS_CERT_FILE": str(cert.cert_file),
        "DVC_HTTP_TLS_KEY_FILE": str(cert.key_file),
    }
    command = [str(DVCHUB), "publish", "serve", str(site), "--port", str(port)]
    process = subprocess.Popen(command, env=env | tls, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)  # fmt: skip
    base = f"https://127.0.0.1:{port}"
    try:

        def up() -> bool:
            try:
                return httpx.get(base + "/", verify=client_context(ca.ca_file)).status_code == 200
            except httpx.TransportError:
                return False

        wait_until(up, timeout_s=30, every_s=0.3)
        yield base, ca.ca_file
    finally:
        process.terminate()
        process.wait(timeout=10)


def _chromium(args: list[str], profile: Path) -> str:
    assert CHROMIUM is not None
    command = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
               "--ignore-certificate-errors",  # the test CA is not in Chromium's trust store
               f"--user-data-dir={profile}", *args]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, timeout=90, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is installed by `make install`")
def test_the_pages_in_chromium_equal_the_reports(
    server: tuple[str, Path], flow: Flow, tmp_path: Path
) -> None:
    base, ca_file = server
    shots = tmp_path / "screenshots"
    shots.mkdir()
    dom: dict[str, str] = {}
    for name in PAGES:
        url = f"{base}/{name}.html"
        for width, kind in ((1280, "desktop"), (390, "phone")):
            shot = shots / f"{name}-{kind}.png"
            _chromium([f"--window-size={width},1400", f"--screenshot={shot}", url],
                      tmp_path / "profile")  # fmt: skip
            assert shot.stat().st_size > 1000, shot
            print(f"screenshot: {shot}")
        dom[name] = _chromium(["--dump-dom", url], tmp_path / "profile")
    # Every link of every page answers, over TLS with the CA verified.
    with httpx.Client(base_url=base, verify=client_context(ca_file)) as client:
        for name in PAGES:
            for href in cells(dom[name]).links:
                assert client.get(f"/{href}").status_code == 200, (name, href)

    deadlines = list(flow.deadlines.values())
    entries = late_dossiers(deadlines, Period.month("2025-03"), as_of=AS_OF, calendar=CALENDAR)
    assert {e.dossier_id for e in entries} == {"STP-OPEN", "STP-LATE"}
    late = cells(dom["late-2025-03"])
    for count in late_counts(entries):
        if count.level == "agency":
            assert vn_number(late.cells[("agencies", count.agency_code, "total")]) == count.total
    for entry in entries:
        shown = late.cells[("dossiers", entry.dossier_id, "working_days_late")]
        assert float(vn_number(shown)) == entry.working_days_late

    table = full_online_table(flow.kpis, 2025, TARGETS)
    full = cells(dom["full-online-2025"])
    for row in (*table.rows, table.total):
        code = row.agency_code
        assert vn_number(full.cells[("full-online", code, "hstn_total")]) == row.hstn_total
        if row.full_tthc and row.ratio is not None:
            assert vn_number(full.cells[("full-online", code, "ratio")]) == row.ratio
    assert full.cells[("full-online", "UBND-TS", "ratio")] == "Không có TTHC toàn trình"

    indicators = cells(dom["766-2025-03"])
    for rates in indicators_766(flow.kpis, "2025-03"):
        shown = indicators.cells[("indicators", rates.agency_code, "on_time")]
        assert shown.endswith(f"{rates.on_time.numerator}/{rates.on_time.denominator}")
        received = indicators.cells[("indicators", rates.agency_code, "received")]
        assert vn_number(received) == rates.received
    # the satisfaction group where ratings exist (STP: 2 of 2 satisfied, STP-2's later rating
    # replacing its first), "Chưa đo lường" where nobody rated (UBND-TS)
    assert indicators.cells[("indicators", "STP", "satisfied")].split() == ["100,00%", "2/2"]
    assert indicators.cells[("indicators", "UBND-TS", "satisfied")] == "Chưa đo lường"


def test_the_followed_publisher_rebuilds_on_demand_and_on_schedule(
    settings: Settings, registry: RegistryClient, flow: Flow, tmp_path: Path
) -> None:
    clock_file = tmp_path / "clock"
    clock_file.write_text(AS_OF.isoformat())
    site = tmp_path / "site"
    page = served(site) / "late-2025-04.html"
    followed = FollowedInputs(settings, registry).start()
    config = PublishSettings(months=1, interval_s=3600, praise_count=1)
    try:
        with _running(Publisher(site, followed.current, clock=FileClock(clock_file),
                                config=config)) as wake:  # fmt: skip
            wait_until(page.exists, timeout_s=60)
            assert "STP-OPEN" in page.read_text()  # still overdue in April
            assert "TS-APR" not in page.read_text()
            # A late dossier of April through the folds to the topics; a build on demand.
            publish_flow(settings, registry, march_events() + _april_events())
            clock_file.write_text(vn(4, 30, 9).isoformat())
            wake.set()
            wait_until(lambda: "TS-APR" in page.read_text(), timeout_s=60)
        # On the schedule: with a short interval it rebuilds without being asked, twice.
        quick = config.model_copy(update={"interval_s": 0.2})
        first = served(site).resolve()
        with _running(Publisher(site, followed.current, clock=FileClock(clock_file),
                                config=quick)):  # fmt: skip
            wait_until(lambda: served(site).resolve() != first, timeout_s=30, every_s=0.05)
            second = served(site).resolve()
            wait_until(lambda: served(site).resolve() != second, timeout_s=30, every_s=0.05)
    finally:
        followed.stop()


def test_dvchub_publish_run_builds_on_start_on_sighup_and_stops_on_sigterm(
    settings: Settings, flow: Flow, tmp_path: Path
) -> None:
    env = _env(settings, tmp_path / "clock") | {"DVC_PUBLISH_INTERVAL_S": "3600"}
    site = tmp_path / "site"
    process = subprocess.Popen([str(DVCHUB), "publish", "run", str(site)], env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)  # fmt: skip
    try:
        wait_until(lambda: served(site).exists(), timeout_s=60)
        first = served(site).resolve()
        process.send_signal(signal.SIGHUP)  # on demand: a new build, long before the interval
        wait_until(lambda: served(site).resolve() != first, timeout_s=60)
        process.send_signal(signal.SIGTERM)
        _, errors = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 0, errors.decode()[-2000:]
    assert (served(site) / "late-2025-03.html").exists()


@contextmanager
def _running(publisher: Publisher) -> Iterator[threading.Event]:
    """``publisher.run`` in a thread; yields its wake event; stops it on leaving."""
    stop, wake = threading.Event(), threading.Event()
    worker = threading.Thread(target=publisher.run, args=(stop, wake))
    worker.start()
    try:
        yield wake
    finally:
        stop.set()
        wake.set()
        worker.join(timeout=60)


def _april_events() -> list[dict[str, Any]]:
    # Accepted Tue 1 Apr 09:00, 5 working days (30 Apr and 1 May are holidays): overdue by 30 Apr.
    return dossier("TS-APR", CATALOG, "TS-P", "DIRECT", at(2025, 4, 1))
