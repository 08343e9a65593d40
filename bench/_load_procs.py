"""Resident memory and CPU time of the load bench's processes, sampled at named moments.

Read from ``/proc`` (psutil is not in the lock): VmRSS through ``bench._report``, user + system
CPU from ``/proc/PID/stat``. A process's growth is judged between the middle and the end of a
phase (start-up and first-touch caches are done by the middle), and over the whole run. A
counter sampled at the same moments (events accepted so far) tells memory that follows the data
(a bounded dedupe memory, a state store's caches) from memory that follows time.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from bench._report import process_memory_mib

#: utime and stime are fields 14 and 15 of /proc/PID/stat; after the ``(comm)`` field, which
#: may hold spaces, they are the 12th and 13th.
_UTIME_AFTER_COMM = 11
_TICKS_PER_S = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time ``pid`` has used so far."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    fields = stat.rpartition(")")[2].split()
    utime, stime = fields[_UTIME_AFTER_COMM], fields[_UTIME_AFTER_COMM + 1]
    return (int(utime) + int(stime)) / _TICKS_PER_S


@dataclass(frozen=True)
class Usage:
    rss_mib: float
    cpu_s: float


@dataclass(frozen=True)
class Growth:
    """One process's RSS change from ``before`` to ``after`` (a moment's label each)."""

    process: str
    before: str
    after: str
    percent: float


@dataclass
class Sampler:
    """RSS and CPU of named processes (name -> pid) at each labelled moment, in order."""

    pids: Mapping[str, int]
    counter: Callable[[], float]  # e.g. events accepted so far
    samples: dict[str, dict[str, Usage]] = field(default_factory=dict)
    counts: dict[str, float] = field(default_factory=dict)

    def take(self, label: str) -> None:
        self.samples[label] = {
            name: Usage(process_memory_mib(pid)[0], cpu_seconds(pid))
            for name, pid in self.pids.items()
        }
        self.counts[label] = self.counter()

    def mib_per(self, unit: float, before: str, after: str) -> dict[str, float]:
        """Each process's RSS change per ``unit`` counted between the two moments."""
        counted = max(self.counts[after] - self.counts[before], 1.0)
        first, last = self.samples[before], self.samples[after]
        return {
            name: (last[name].rss_mib - first[name].rss_mib) / counted * unit for name in self.pids
        }

    def growth(self, before: str, after: str) -> list[Growth]:
        first, last = self.samples[before], self.samples[after]
        return [
            Growth(name, before, after, 100 * (last[name].rss_mib / first[name].rss_mib - 1))
            for name in self.pids
        ]

    def cpu_between(self, before: str, after: str) -> dict[str, float]:
        first, last = self.samples[before], self.samples[after]
        return {name: last[name].cpu_s - first[name].cpu_s for name in self.pids}

    def table(self, spans: Sequence[tuple[str, str]], flag_percent: float) -> list[str]:
        """RSS at every moment, then each span's growth %, flagged above ``flag_percent``."""
        labels = list(self.samples)
        width = max(len(name) for name in self.pids)
        lines = [
            f"  {'RSS MiB':<{width}} "
            + " ".join(f"{label:>11}" for label in labels)
            + "   "
            + "  ".join(f"{a}->{b}" for a, b in spans)
        ]
        for name in self.pids:
            row = " ".join(f"{self.samples[label][name].rss_mib:>11,.1f}" for label in labels)
            grown = []
            for before, after in spans:
                (growth,) = (g for g in self.growth(before, after) if g.process == name)
                mark = " GROWS" if growth.percent > flag_percent else ""
                grown.append(f"{growth.percent:+.1f}%{mark}")
            lines.append(f"  {name:<{width}} {row}   " + "  ".join(grown))
        counted = " ".join(f"{self.counts[label]:>11,.0f}" for label in labels)
        lines.append(f"  {'(events)':<{width}} {counted}")
        return lines
