"""The simulated province: agencies, catalogue, volume, shares and office hours.

Read from a TOML file (``infra/province.toml``), then overridden by the command line; frozen
and checked once (``ProvinceError`` names the key), so the generator and the runner work on a
known shape. The catalogue is drawn from ``hub.sample.PROCEDURES`` (the procedures of the
configured agencies) and must hold every service level and agencies of both kinds (provincial
departments and district/commune people's committees): a province with fewer is not the one
the issue asks to run.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, fields, replace
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Final
from zoneinfo import ZoneInfo

from hub.sample import PROCEDURES, SampleProcedure, catalog_entry
from hub.settings import REPO_ROOT

DEFAULT_CONFIG: Final = REPO_ROOT / "infra" / "province.toml"
LEVELS: Final = frozenset(p.level for p in PROCEDURES)
PROVINCIAL: Final = "PROVINCIAL_DEPARTMENT"
LOCAL: Final = frozenset({"DISTRICT", "COMMUNE"})
#: How many days after the last filing day a dossier may still be handled (the longest
#: deadline, late, with a supplement): an automatic start leaves that much room before now.
TAIL_DAYS: Final = 45


class ProvinceError(ValueError):
    """A configuration the simulation cannot run; the message names the key."""


@dataclass(frozen=True)
class Agency:
    code: str
    name: str
    kind: str
    weight: float


@dataclass(frozen=True)
class Shares:
    """Each a probability in [0, 1], drawn per dossier (payment ones per online payment)."""

    national_portal: float = 0.15
    postal: float = 0.10
    refused: float = 0.03
    supplement: float = 0.15
    late: float = 0.08
    fee_online: float = 0.8
    callback_lost: float = 0.05
    callback_duplicated: float = 0.05
    notify: float = 0.3


@dataclass(frozen=True)
class OfficeHours:
    timezone: str = "Asia/Ho_Chi_Minh"
    sessions: tuple[tuple[time, time], ...] = ((time(7, 30), time(11, 30)),
                                               (time(13, 30), time(17, 0)))  # fmt: skip
    burst_minutes: int = 30
    burst_share: float = 0.4

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


@dataclass(frozen=True)
class Province:
    name: str
    agencies: tuple[Agency, ...]
    start: date
    days: int
    dossiers_per_day: int
    seed: int
    speed: float
    target_real_s: float
    shares: Shares = Shares()
    office_hours: OfficeHours = OfficeHours()

    @property
    def catalogue(self) -> tuple[SampleProcedure, ...]:
        codes = {a.code for a in self.agencies}
        return tuple(p for p in PROCEDURES if p.agency_code in codes)

    def agency(self, code: str) -> Agency:
        return next(a for a in self.agencies if a.code == code)

    def catalog_entry(self, procedure: SampleProcedure) -> dict[str, object]:
        """The procedure as the portal's PUT /v1/procedures takes it, named and typed by the
        province's agency."""
        agency = self.agency(procedure.agency_code)
        return {**catalog_entry(procedure), "agency_name": agency.name, "agency_type": agency.kind}

    @property
    def opening(self) -> datetime:
        """The first filing day's opening, in UTC."""
        first = self.office_hours.sessions[0][0]
        return datetime.combine(self.start, first, self.office_hours.tz).astimezone(UTC)

    def overridden(self, **changes: object) -> Province:
        """A copy with the given top-level keys changed (None: kept), checked again."""
        kept = {k: v for k, v in changes.items() if v is not None}
        unknown = set(kept) - {f.name for f in fields(self)}
        if unknown:
            raise ProvinceError(f"unknown setting(s) {', '.join(sorted(unknown))}")
        return _checked(replace(self, **kept))  # type: ignore[arg-type]


def load_province(path: Path = DEFAULT_CONFIG, *, today: date | None = None) -> Province:
    """The province of a TOML file (see ``infra/province.toml``)."""
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ProvinceError(f"cannot read {path}: {exc}") from exc
    try:
        agencies = tuple(Agency(str(a["code"]), str(a["name"]), str(a["kind"]),
                                float(a.get("weight", 1)))
                         for a in raw.get("agencies", ()))  # fmt: skip
        shares = Shares(**{k: float(v) for k, v in raw.get("shares", {}).items()})
        hours_raw = raw.get("office_hours", {})
        hours = OfficeHours(
            timezone=str(hours_raw.get("timezone", OfficeHours.timezone)),
            sessions=tuple((time.fromisoformat(a), time.fromisoformat(b))
                           for a, b in hours_raw.get("sessions", ()))
            or OfficeHours.sessions,
            burst_minutes=int(hours_raw.get("burst_minutes", 30)),
            burst_share=float(hours_raw.get("burst_share", 0.4)),
        )  # fmt: skip
        days = int(raw.get("days", 30))
        start_text = str(raw.get("start") or "")
        start = (date.fromisoformat(start_text) if start_text
                 else automatic_start(days, today or datetime.now(UTC).date()))  # fmt: skip
        province = Province(
            name=str(raw.get("name", "province")), agencies=agencies, start=start, days=days,
            dossiers_per_day=int(raw.get("dossiers_per_day", 100)), seed=int(raw.get("seed", 1)),
            speed=float(raw.get("speed", 0)), target_real_s=float(raw.get("target_real_s", 300)),
            shares=shares, office_hours=hours,
        )  # fmt: skip
    except (KeyError, TypeError, ValueError) as exc:
        raise ProvinceError(f"{path}: {exc!r}") from exc
    return _checked(province)


def automatic_start(days: int, today: date) -> date:
    """The Monday early enough that ``days`` filing days and their handling end before today."""
    latest = today - timedelta(days=days + TAIL_DAYS)
    return latest - timedelta(days=latest.weekday())


def _checked(p: Province) -> Province:
    if not p.agencies:
        raise ProvinceError("agencies: none configured")
    kinds = {a.kind for a in p.agencies}
    if PROVINCIAL not in kinds or not kinds & LOCAL:
        raise ProvinceError(f"agencies: need a {PROVINCIAL} and a DISTRICT or COMMUNE, got {kinds}")
    bare = [a.code for a in p.agencies if not any(q.agency_code == a.code for q in PROCEDURES)]
    if bare:
        raise ProvinceError(f"agencies {bare}: no procedure of hub.sample.PROCEDURES")
    missing = LEVELS - {q.level for q in p.catalogue}
    if missing:
        raise ProvinceError(f"agencies: the catalogue lacks the level(s) {sorted(missing)}")
    if any(a.weight <= 0 for a in p.agencies):
        raise ProvinceError("agencies: every weight must be positive")
    for f in fields(p.shares):
        value = getattr(p.shares, f.name)
        if not 0.0 <= value <= 1.0:
            raise ProvinceError(f"shares.{f.name}: {value} is not in [0, 1]")
    if p.shares.callback_lost + p.shares.callback_duplicated > 1:
        raise ProvinceError("shares: callback_lost + callback_duplicated exceed 1")
    if p.days < 1 or p.dossiers_per_day < 1:
        raise ProvinceError("days and dossiers_per_day must be at least 1")
    if p.speed < 0 or p.target_real_s <= 0:
        raise ProvinceError("speed must be >= 0 (0: automatic), target_real_s > 0")
    if not p.office_hours.sessions or not 0 <= p.office_hours.burst_share <= 1:
        raise ProvinceError("office_hours: need sessions and a burst_share in [0, 1]")
    return p
