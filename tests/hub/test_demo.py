"""``make run``'s demo works end to end (in its own process and topics)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from hub.serde import RegistryClient
from hub.settings import Settings
from tests.lifecycle._support import EventProducer, chain

DVCHUB = Path(sys.executable).with_name("dvchub")


@pytest.mark.slow
# the whole of make run: worker starts, a simulated SLA week, a KPI year, the partners, the desks
# and a simulated month (smaller than make run's: 4 dossiers a working day)
@pytest.mark.timeout(900)
def test_demo_runs_and_signs_every_result(hub_topics: Settings, registry: RegistryClient) -> None:
    settings = hub_topics
    # An earlier run's dossier, already in the log: the demo reads it back and decodes it.
    producer = EventProducer(settings, registry)
    try:
        producer.send(chain("HS-EARLIER-RUN", "DOSSIER_SUBMITTED", "DOSSIER_ACCEPTED"))
    finally:
        producer.close()
    env = {**os.environ, "DVC_TOPIC_PREFIX": settings.topic_prefix, "DVC_PARTITIONS": "3"}
    result = subprocess.run(
        [
            str(DVCHUB),
            "demo",
            "run",
            "--dossiers",
            "6",
            "--month-per-day",
            "4",
            "--month-seconds",
            "30",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=780,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "keeps 2 events of 1 dossiers from earlier runs" in result.stdout, result.stdout[-3000:]
    assert "0 of them could not be decoded" in result.stdout
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
    # no officer's apology: the hub wrote and signed one at APOLOGY_DUE, the SLA took its date
    assert {("APOLOGY_DUE", "1"), ("OVERDUE", "1")} <= story, alerts
    assert ("OVERDUE_WITHOUT_APOLOGY", "1") not in story, alerts
    letter = r"the hub's apology letter of SLA-\w+-1: PAdES B-T, verify: valid"
    assert re.search(letter, result.stdout), result.stdout[-3000:]
    assert {("OVERDUE", "2"), ("REAPPOINTMENT_MISSED", "2")} <= story, alerts
    assert not {s for s in story if s[1] in "34"}, alerts  # paused, finished on time
    late = re.search(r"(\d+) late dossiers of this run in the list of 2025-06", result.stdout)
    assert late, result.stdout[-3000:]
    assert late.group(1) == "2"
    # dossier 2 missed its new date; dossier 1's letter moved its appointment past the clock
    metrics = re.search(r"query API /metrics: .*", result.stdout)
    assert metrics, result.stdout[-3000:]
    assert 'dvchub_sla_overdue_dossiers{agency="UBND-PX-MX"} 1' in metrics.group(0), metrics
    # KPIs of the sample year, from the live folds, equal to a replay from offset 0.
    assert re.search(r"every dossier counted after [\d.]+ s", result.stdout), result.stdout[-3000:]
    assert "identical to the live KPIs" in result.stdout, result.stdout[-3000:]
    total = re.search(r"│\s+│ Tổng cộng\s+│ (\d+)\s+│ (\d+)\s+│", result.stdout)
    assert total, result.stdout[-3000:]
    assert int(total.group(1)) > 0
    assert int(total.group(2)) == 6  # the sample catalogue's procedures
    # Every partner message of the partners' section in the evidence log: archived with its
    # chain heads timestamped, verified, and VNPost's order shown with the time it existed.
    assert re.search(r"OK \d+ entries, [1-9]\d* timestamps", result.stdout), result.stdout[-3000:]
    assert re.search(r"entry \d+ of vnpost's chain: existed at", result.stdout)
    # The simulated month: every dossier ended as its script says (else exit 1) and the audit
    # found nothing lost, doubled or disagreeing.
    month = re.search(r"([\d,]+) dossiers, ([\d,]+) events in [\d,]+ s", result.stdout)
    assert month, result.stdout[-3000:]
    assert int(month.group(1).replace(",", "")) > 0
    assert "audit: clean" in result.stdout, result.stdout[-3000:]
    # No personal datum the run sent (names, ID numbers, phones, e-mails, street addresses) is in
    # its own output or in what it appended to a log file under .cache/demo/.
    _assert_demo_logged_no_personal_data(result.stdout + "\n" + result.stderr)


# -- personal data in the demo's logs ---------------------------------------------------------

#: When the test started and how long each demo log was then: the run's lines come after.
_STARTED: list[float] = []
_SIZES_BEFORE: dict[Path, int] = {}
#: Personal keys that also name things that are not personal (a document's or a fee's "name"):
#: their values count only inside a personal record (an applicant, an address).
_GENERIC_KEYS = frozenset({"name", "line"})


@pytest.fixture(autouse=True)
def _demo_logs_before() -> None:
    import time

    from dvchub.demo._sla import DEMO_DIR

    _STARTED[:] = [time.time()]
    _SIZES_BEFORE.clear()
    _SIZES_BEFORE.update({path: path.stat().st_size for path in DEMO_DIR.glob("*.log")})


def _assert_demo_logged_no_personal_data(output: str) -> None:
    import time

    from dvchub.demo._sla import DEMO_DIR
    from tests.hub.test_no_personal_data_in_logs import assert_no_personal_data

    start, sizes = _STARTED[0], _SIZES_BEFORE
    # Worker logs are appended to across runs: only what this run wrote counts. Not recursive:
    # the workers' table state (<name>-state/, RocksDB's own *.log) is data, not a log.
    written = [path for path in sorted(DEMO_DIR.glob("*.log")) if path.stat().st_mtime >= start]
    assert written, f"the demo wrote no log under {DEMO_DIR}"
    texts = [output]
    for path in written:
        with path.open("rb") as log:
            before = sizes.get(path, 0)
            log.seek(before if before <= path.stat().st_size else 0)
            texts.append(log.read().decode("utf-8", errors="replace"))
    secrets = _demo_personal_values(start, time.time())
    assert {"Trần Thị Mai", "0913456789", "25 Hai Bà Trưng"} <= secrets  # the partners' story
    assert_no_personal_data("\n".join(texts), sorted(secrets))


def _demo_personal_values(start: float, end: float) -> set[str]:
    """What the demo sends of its applicants: hub.sample's dossiers (the run's own, seeded with
    the second it started, and the KPI year's, seeded per month) and the literals in dvchub/demo/
    and the partners' specs (their demo stories: the national-portal dossier). Which keys are
    personal: the schemas' ``personal`` marks and the partners' names for them, as hub.logs
    reads them."""
    import ast
    from datetime import datetime

    import connectors
    import dvchub.demo
    from dvchub.demo._kpi import PER_MONTH, YEAR
    from hub.sample import VN_TZ, sample_events

    events = [
        e for seed in range(int(start) - 1, int(end) + 2) for e in sample_events(6, seed=seed)
    ]
    for month in range(1, 13):
        first = datetime(YEAR, month, 1, tzinfo=VN_TZ)
        events += sample_events(PER_MONTH, seed=month, start=first)
    values = _personal_strings(events)
    # the partners' stories are their specs' demo parts (connectors/<partner>/_spec.py)
    specs = Path(connectors.__file__).parent.glob("*/_spec.py")
    for path in [*Path(dvchub.demo.__file__).parent.glob("*.py"), *specs]:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Dict):
                values |= _personal_strings(_literal(node))
    return values


def _literal(node: object) -> object:
    """A dict display's constant keys and values, nested ones included (anything else None)."""
    import ast

    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.Dict):
        return {_literal(k): _literal(v) for k, v in zip(node.keys, node.values, strict=True)}
    return None


def _personal_strings(node: object, inside: bool = False) -> set[str]:
    from hub.logs import PARTNER_PERSONAL_KEYS, PERSONAL_FIELDS

    def squash(key: str) -> str:
        return key.replace("_", "").replace("-", "").casefold()

    personal_keys = {squash(key) for key in PERSONAL_FIELDS | PARTNER_PERSONAL_KEYS}
    found: set[str] = set()
    if isinstance(node, list | tuple):
        for item in node:
            found |= _personal_strings(item, inside)
    elif isinstance(node, dict):
        for key, value in node.items():
            personal = (
                isinstance(key, str)
                and squash(key) in personal_keys
                and (inside or key not in _GENERIC_KEYS)
            )
            if personal and isinstance(value, str) and len(value) >= 5:
                found.add(value)
            else:
                found |= _personal_strings(value, inside or personal)
    return found
