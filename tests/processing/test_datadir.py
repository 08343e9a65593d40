"""Each worker on a machine gets a RocksDB data directory of its own, and keeps it on restart."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from hub.processing._options import claim_datadir


def test_two_workers_of_one_app_get_different_slots(tmp_path: Path) -> None:
    first = claim_datadir(str(tmp_path), "p.lifecycle")
    second = claim_datadir(str(tmp_path), "p.lifecycle")
    other_app = claim_datadir(str(tmp_path), "p.routing")
    assert first != second
    assert first.parent == second.parent == tmp_path / "p.lifecycle"
    assert other_app.name == "slot-0"


def test_a_restarted_worker_gets_the_slot_its_predecessor_released(tmp_path: Path) -> None:
    claim = "from hub.processing._options import claim_datadir as c; import sys; "
    code = claim + "print(c(sys.argv[1], 'p.sla'))"
    runs = [
        subprocess.run([sys.executable, "-c", code, str(tmp_path)], check=True,
                       capture_output=True, text=True).stdout.strip()
        for _ in range(2)
    ]  # fmt: skip
    assert runs == [str(tmp_path / "p.sla" / "slot-0")] * 2
