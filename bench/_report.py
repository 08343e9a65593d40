"""Small helpers the benchmarks share: percentiles and resident memory."""

from __future__ import annotations

import resource
import statistics
from pathlib import Path


def percentile(samples: list[float], pct: float) -> float:
    """``pct``-th percentile (0-100) by the inclusive method; 0.0 for no samples."""
    if not samples:
        return 0.0
    if len(samples) == 1:
        return samples[0]
    return statistics.quantiles(samples, n=100, method="inclusive")[int(pct) - 1]


def peak_rss_mib() -> float:
    """Peak resident set size of this process, in MiB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def process_memory_mib(pid: int) -> tuple[float, float]:
    """(resident, peak resident) memory of another process ``pid`` in MiB, from /proc."""
    fields = dict(
        line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines()
    )
    return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024
