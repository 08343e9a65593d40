"""What an audit finds: a ``Finding`` per lost, doubled or disagreeing thing, a ``CheckResult``
per check, and the ``Report`` of them all (a table row per check, an exit code)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Final, Literal

#: lost: something the log says must exist does not; duplicated: something exists more than
#: once; disagreeing: something exists once but says something else than the log.
Kind = Literal["lost", "duplicated", "disagreeing"]
KINDS: Final[tuple[Kind, ...]] = ("lost", "duplicated", "disagreeing")
#: How many findings a row's detail names (the JSON output carries them all).
DETAIL_FIRST: Final = 3


@dataclass(frozen=True, slots=True)
class Finding:
    """One thing lost, doubled or disagreeing: ``subject`` names it (a dossier, an event id, a
    command id, a KPI key), ``detail`` says what is wrong without personal data."""

    check: str
    kind: Kind
    subject: str
    detail: str


@dataclass(frozen=True)
class CheckResult:
    """One check: how many things it examined and what it found; ``skipped`` says why it could
    not run (the derived topic does not exist on the prefix: that part is not deployed)."""

    check: str
    examined: int
    findings: tuple[Finding, ...] = ()
    skipped: str | None = None
    #: What the check counted without it being a finding (retries, redeliveries).
    notes: tuple[str, ...] = ()

    def count(self, kind: Kind) -> int:
        return sum(1 for f in self.findings if f.kind == kind)

    @property
    def clean(self) -> bool:
        return not self.findings

    def detail(self, first: int = DETAIL_FIRST) -> str:
        if self.skipped is not None:
            return f"skipped: {self.skipped}"
        shown = [f"{f.kind} {f.subject}: {f.detail}" for f in self.findings[:first]]
        if len(self.findings) > first:
            shown.append(f"... {len(self.findings) - first} more")
        return "; ".join([*shown, *self.notes]) or "ok"


def result(
    check: str, examined: int, findings: Iterable[Finding], notes: Iterable[str] = ()
) -> CheckResult:
    return CheckResult(check, examined, tuple(findings), notes=tuple(notes))


@dataclass(frozen=True)
class Report:
    """Every check's row; ``exit_code`` 0 when nothing was lost, doubled or disagreeing."""

    prefix: str
    checks: tuple[CheckResult, ...] = field(default_factory=tuple)

    @property
    def findings(self) -> tuple[Finding, ...]:
        return tuple(f for c in self.checks for f in c.findings)

    @property
    def clean(self) -> bool:
        return not self.findings

    @property
    def exit_code(self) -> int:
        return 0 if self.clean else 1

    def check(self, name: str) -> CheckResult:
        """The row of check ``name`` (``KeyError`` if the audit ran no such check)."""
        for c in self.checks:
            if c.check == name:
                return c
        raise KeyError(name)

    def totals(self) -> Mapping[Kind, int]:
        counted = Counter(f.kind for f in self.findings)
        return {kind: counted[kind] for kind in KINDS}

    def as_json(self) -> dict[str, object]:
        return {
            "prefix": self.prefix,
            "clean": self.clean,
            "totals": dict(self.totals()),
            "checks": [
                {
                    "check": c.check,
                    "examined": c.examined,
                    "skipped": c.skipped,
                    **{kind: c.count(kind) for kind in KINDS},
                    "notes": list(c.notes),
                    "findings": [
                        {"kind": f.kind, "subject": f.subject, "detail": f.detail}
                        for f in c.findings
                    ],
                }
                for c in self.checks
            ],
        }
