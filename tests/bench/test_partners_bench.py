"""bench/partners.py and bench/payments.py run in a tiny form against the local stack, so they
cannot rot: every CHECK holds and the figures are printed (their values are not asserted)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def run_bench(script: str, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, str(REPO / "bench" / script), *args],
        cwd=REPO, capture_output=True, text=True, timeout=240, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "FAIL" not in done.stdout
    return done.stdout


@pytest.mark.slow
def test_partners_bench_runs_every_partner() -> None:
    out = run_bench("partners.py", "--commands", "24", "--dossiers", "6", "--concurrency", "4",
                    "--partners", "vnpost,national,emc,bank")  # fmt: skip
    for partner in ("vnpost", "national", "emc", "bank"):
        assert f"CHECK {partner} direct: 24 commands -> simulator 24 effects" in out
        assert f"CHECK {partner} outbox: 24 commands -> simulator 24 effects" in out
    assert out.count(": OK") == 8
    for figure in ("commands/s", "calls/s", "p99"):
        assert figure in out


@pytest.mark.slow
def test_partners_bench_storm_retries_and_doubles_nothing() -> None:
    out = run_bench("partners.py", "--commands", "30", "--dossiers", "6", "--partners", "emc",
                    "--storm")  # fmt: skip
    assert "CHECK emc outbox storm: 30 commands -> simulator 30 effects" in out
    assert "answered 5xx" in out


@pytest.mark.slow
def test_payments_bench_gives_one_fee_paid_per_payment() -> None:
    out = run_bench("payments.py", "--payments", "30", "--storm-payments", "6", "--clients", "5")
    assert "CHECK callbacks: 30 payments, 30 callbacks -> 30 confirmed" in out
    assert "CHECK duplicate storm: 6 payments, 30 callbacks -> 6 confirmed, 24 already" in out
    assert "CHECK topic: 36 FeePaid for 36 payments, other events none: OK" in out
    for figure in ("callbacks/s", "callback -> FeePaid on the topic"):
        assert figure in out
