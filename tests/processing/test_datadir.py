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


def _claim_in_a_process(base: Path, origin: str) -> Path:
    """A slot claimed by a process of its own (the lock is released when it ends)."""
    code = (
        "from hub.processing._options import claim_datadir as c; import sys; "
        "print(c(sys.argv[1], 'p.kpi', sys.argv[2]))"
    )
    run = subprocess.run([sys.executable, "-c", code, str(base), origin], check=True,
                         capture_output=True, text=True)  # fmt: skip
    return Path(run.stdout.strip())


def test_a_slot_keeps_its_data_for_the_same_changelog_and_drops_it_for_another(
    tmp_path: Path,
) -> None:
    slot = _claim_in_a_process(tmp_path, "topic-id-1")
    (slot / "table.db").write_bytes(b"states and marks of topic-id-1")
    assert _claim_in_a_process(tmp_path, "topic-id-1") == slot
    assert (slot / "table.db").exists()  # a restart: only the changelog's tail is read again
    assert _claim_in_a_process(tmp_path, "topic-id-2") == slot
    # the topic was made again (or the cluster is another): its marks would skip offsets
    assert not (slot / "table.db").exists()
    assert (slot / "ORIGIN").read_text().strip() == "topic-id-2"
