"""How long the faust workers of one kill test stood still in rebalances, from their logs.

A worker logs "Revoking previously assigned partitions" when a rebalance takes its partitions
and faust logs "Worker ready" once it has them back and their tables are recovered: between the
two it processes nothing. The killed worker's partitions wait longer: the session timeout (10 s)
before the rebalance starts, then the same pause. ``python bench/_chaos_pauses.py DIR``.
"""

from __future__ import annotations

import json
import sys
from datetime import datetime
from pathlib import Path


def pauses(log: Path) -> list[float]:
    """Seconds from each revocation of a non-empty assignment to the next "Worker ready"."""
    found: list[float] = []
    revoked: datetime | None = None
    for line in log.read_text(errors="replace").splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            continue
        event, stamp = str(record.get("event", "")), record.get("timestamp")
        if not stamp:
            continue
        at = datetime.fromisoformat(str(stamp).replace("Z", "+00:00"))
        if event.startswith("Revoking previously assigned partitions") and "set()" not in event:
            revoked = revoked or at
        elif event.endswith("Worker ready") and revoked is not None:
            found.append((at - revoked).total_seconds())
            revoked = None
    return found


def main(directory: str) -> None:
    logs = [p for p in Path(directory).rglob("*.log") if "-state" not in str(p.parent)]
    every = [(p, s) for p in logs for s in pauses(p)]
    if not every:
        print("    no faust rebalance in the workers' logs")
        return
    log, longest = max(every, key=lambda item: item[1])
    print(f"    {len(every)} rebalances of surviving faust workers; the longest stood still "
          f"{longest:.1f} s ({log.name}), revocation to ready")  # fmt: skip


if __name__ == "__main__":
    main(sys.argv[1])
