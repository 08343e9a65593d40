"""``make run``'s demo works end to end (in its own process and topics)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from hub.settings import Settings

DVCHUB = Path(sys.executable).with_name("dvchub")


@pytest.mark.slow
@pytest.mark.timeout(600)  # the whole of make run: worker starts, a simulated SLA week, a KPI year
def test_demo_runs_and_signs_every_result(settings: Settings) -> None:
    env = {**os.environ, "DVC_TOPIC_PREFIX": settings.topic_prefix, "DVC_PARTITIONS": "3"}
    result = subprocess.run(
        [str(DVCHUB), "demo", "run", "--dossiers", "6"],
        env=env,
        capture_output=True,
        text=True,
        timeout=480,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    decoded = re.search(r"decoded (\d+)/(\d+) events", result.stdout)
    assert decoded, result.stdout[-2000:]
    assert decoded.group(1) == decoded.group(2)
    signed = re.search(r"(\d+) result documents signed and reported", result.stdout)
    assert signed, result.stdout[-2000:]
    verified_rows = re.findall(r"│ signed\s+│ PADES_B_T\s+│.*│ valid\s+│", result.stdout)
    assert len(verified_rows) == int(signed.group(1)), result.stdout[-3000:]
    assert "INVALID" not in result.stdout
    # Each dossier whose result was signed ends RESULT_RETURNED with the signature recorded.
    returned_rows = re.findall(r"│ RESULT_RETURNED\s+│.*│ 1\s+│ \d+\s+│", result.stdout)
    assert len(returned_rows) == int(signed.group(1)), result.stdout[-3000:]
    # Deadlines on the simulated clock: every awaited alert fired, once per dossier and kind.
    assert "alerts still missing" not in result.stdout, result.stdout[-3000:]
    alerts = re.findall(
        r"│ \w{3} \d\d/\d\d \d\d:\d\d\s+│ ([A-Z_]+)\s+│ (SLA-\w+-\d)", result.stdout
    )
    story = {(kind, dossier[-1]) for kind, dossier in alerts}
    assert len(alerts) == len(story), alerts
    assert {("OVERDUE", "1"), ("OVERDUE_WITHOUT_APOLOGY", "1")} <= story, alerts
    assert {("OVERDUE", "2"), ("REAPPOINTMENT_MISSED", "2")} <= story, alerts
    assert not {s for s in story if s[1] in "34"}, alerts  # paused, finished on time
    late = re.search(r"(\d+) late dossiers of this run in the list of 2025-06", result.stdout)
    assert late, result.stdout[-3000:]
    assert late.group(1) == "2"
    assert re.search(r'dvchub_sla_overdue_dossiers\{agency="UBND-PX-MX"\} [2-9]', result.stdout)
    # KPIs of the sample year, from the live folds, equal to a replay from offset 0.
    assert re.search(r"every dossier counted after [\d.]+ s", result.stdout), result.stdout[-3000:]
    assert "identical to the live KPIs" in result.stdout, result.stdout[-3000:]
    total = re.search(r"│\s+│ Tổng cộng\s+│ (\d+)\s+│ (\d+)\s+│", result.stdout)
    assert total, result.stdout[-3000:]
    assert int(total.group(1)) > 0
    assert int(total.group(2)) == 6  # the sample catalogue's procedures
