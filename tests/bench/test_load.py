"""bench/load.py in its short form against the local stack: the figures are printed and agree
with each other (their speed is not asserted); and its load keeps each dossier's order."""

from __future__ import annotations

import re
import subprocess
import sys
from collections import defaultdict
from datetime import datetime, timedelta
from itertools import islice
from pathlib import Path

import pytest

from bench._load_gen import SPREAD_DAYS, PhaseSpec, dossier_events
from hub.events import payload_name_of
from hub.sample import VN_TZ
from hub.settings import Settings

REPO = Path(__file__).resolve().parents[2]
RATE, MINUTES, CLIENTS, BATCH = 60, 0.5, 3, 10

NUMBER = r"-?[\d,.]+"
PHASE = re.compile(
    rf"  (?P<name>paced [\d,]+/s|flat out) (?P<minutes>{NUMBER}) min: (?P<requests>{NUMBER}) "
    rf"requests \((?P<requests_s>{NUMBER})/s\), (?P<events>{NUMBER}) events "
    rf"\((?P<events_s>{NUMBER})/s, (?P<share>{NUMBER})% of Kafka's limit\); "
    rf"HTTP p50 (?P<http50>{NUMBER}) ms p99 (?P<http99>{NUMBER}) ms; "
    rf"POST -> state p50 (?P<state50>{NUMBER}) ms p99 (?P<state99>{NUMBER}) ms; "
    rf"reaching a state (?P<state_s>{NUMBER}) events/s"
)
LIMIT = re.compile(
    rf"ConsumerPerformance \(fetch\) {NUMBER} records/s; limit (?P<limit>{NUMBER})/s"
)
PROCESSES = ("portal", "lifecycle", "routing", "bench clients")
MOMENTS = 5  # start, then the middle and the end of each phase


def number(text: str) -> float:
    return float(text.replace(",", ""))


def share_of(rate: float, limit: float) -> float:
    return 100 * rate / limit


@pytest.mark.slow
@pytest.mark.timeout(600)  # two phases, a Kafka limit and the workers: ~100 s alone
def test_short_load_prints_consistent_figures(stack_settings: Settings) -> None:
    done = subprocess.run(
        [sys.executable, str(REPO / "bench" / "load.py"), "--minutes", str(MINUTES),
         "--rate", str(RATE), "--clients", str(CLIENTS), "--batch", str(BATCH),
         "--kafka-records", "20000", "--routing"],
        cwd=REPO, capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    out = done.stdout
    assert done.returncode == 0, out[-3000:] + done.stderr[-3000:]
    assert out.count("CHECK") == 4, out
    assert out.count(": OK") == 4, out
    limit_match = LIMIT.search(out)
    assert limit_match, out
    limit = number(limit_match["limit"])
    phases = {m["name"]: {k: number(v) for k, v in m.groupdict().items() if k != "name"}
              for m in PHASE.finditer(out)}  # fmt: skip
    assert list(phases) == [f"paced {RATE}/s", "flat out"], out
    for figures in phases.values():
        assert figures["events"] == figures["requests"] * BATCH  # every event of a batch taken
        # the rates come from the same duration
        seconds = figures["events"] / figures["events_s"]
        assert abs(figures["requests"] / seconds - figures["requests_s"]) <= 0.06
        assert figures["http50"] <= figures["http99"]
        assert 0 < figures["state50"] <= figures["state99"]  # no state before its request
        assert figures["state_s"] > 0
        assert abs(share_of(figures["events_s"], limit) - figures["share"]) <= 0.006
    paced = phases[f"paced {RATE}/s"]
    # Pacing never runs ahead of the rate: at most one batch beyond rate x duration.
    assert paced["events"] <= RATE * MINUTES * 60 + BATCH
    for name in PROCESSES:
        row = re.search(rf"^  {name} +((?:{NUMBER} +){{{MOMENTS}}})", out, re.MULTILINE)
        assert row, f"no RSS row for {name}:\n{out}"
        assert all(number(mib) > 0 for mib in row[1].split())
    counted = re.search(rf"^  \(events\) +((?:{NUMBER} *){{{MOMENTS}}})$", out, re.MULTILINE)
    assert counted, out
    events = [number(n) for n in counted[1].split()]
    assert events == sorted(events)
    assert events[-1] == paced["events"] + phases["flat out"]["events"]  # all counted by the end
    assert out.count("MiB per 10,000 events accepted") == 2


def test_the_load_keeps_each_dossiers_order_and_shares_no_dossier() -> None:
    first = datetime(2025, 3, 3, tzinfo=VN_TZ)
    specs = [
        PhaseSpec("a", 1, None, first, CLIENTS, BATCH, window=20, seed=1),
        PhaseSpec("b", 1, None, first + timedelta(days=SPREAD_DAYS + 1), CLIENTS, BATCH, 20, 2),
    ]
    owner: dict[str, tuple[str, int]] = {}
    per_dossier: dict[str, list[str]] = defaultdict(list)
    for spec in specs:
        for client in range(CLIENTS):
            events = list(islice(dossier_events(spec, client), 400))
            first_batch = {e["dossier_id"] for e in events[:BATCH]}
            assert len(first_batch) > 1  # dossiers interleaved, not one dossier's whole life
            for event in events:
                dossier = str(event["dossier_id"])
                assert owner.setdefault(dossier, (spec.name, client)) == (spec.name, client)
                per_dossier[dossier].append(payload_name_of(event))
    for dossier, names in per_dossier.items():
        assert names[0] == "DossierSubmitted", dossier
        assert "DossierSubmitted" not in names[1:], dossier
