"""The KPIs the workers published (``kpi``, ``kpi.procedures``) against the same three folds run
again over the whole log in memory (``hub.kpi.replay_kpis``, what ``dvchub kpi replay-check``
and the replay tests compare with).

A snapshot missing live, or a counter lower than the replay's, lost something; a counter higher
counted something twice; any other difference (a ratio, a verdict, a snapshot or a procedure
history the replay does not have) disagrees.
"""

from __future__ import annotations

from collections.abc import Mapping

from hub.audit._log import LogReader
from hub.audit._model import CheckResult, Finding, Kind, result
from hub.kpi import read_kpis, replay_kpis
from hub.topics import KPI

KPIS = "kpis"


def _kind(live: Mapping[str, object], replayed: Mapping[str, object], fields: list[str]) -> Kind:
    counters = [(live.get(f), replayed.get(f)) for f in fields]
    numbers = [(a, b) for a, b in counters if isinstance(a, int) and isinstance(b, int)]
    if any(a < b for a, b in numbers):
        return "lost"
    if any(a > b for a, b in numbers):
        return "duplicated"
    return "disagreeing"


def compare(
    what: str,
    live: Mapping[str, Mapping[str, object]],
    replayed: Mapping[str, Mapping[str, object]],
) -> list[Finding]:
    """A finding per key whose live record is missing, extra or different."""
    findings: list[Finding] = []
    for key in sorted(live.keys() | replayed.keys()):
        a, b = live.get(key), replayed.get(key)
        if a is None:
            findings.append(Finding(KPIS, "lost", key, f"{what} only in the replay"))
        elif b is None:
            findings.append(Finding(KPIS, "disagreeing", key, f"{what} not in the replay"))
        elif fields := sorted(f for f in a.keys() | b.keys() if a.get(f) != b.get(f)):
            shown = ", ".join(f"{f} live={a.get(f)!r} replay={b.get(f)!r}" for f in fields[:3])
            findings.append(Finding(KPIS, _kind(a, b, fields), key, f"{what}: {shown}"))
    return findings


def check_kpis(reader: LogReader) -> CheckResult:
    if not reader.exists(KPI):
        return CheckResult(KPIS, 0, skipped=f"no {reader.name(KPI)} (no KPI workers)")
    live = read_kpis(reader.settings, reader.registry)
    replayed = replay_kpis(reader.settings, reader.registry)
    findings = [
        *compare("snapshot", live.snapshots, replayed.snapshots),
        *compare("procedure history", live.histories, replayed.histories),
    ]
    examined = len(live.snapshots.keys() | replayed.snapshots.keys())
    return result(KPIS, examined, findings)
