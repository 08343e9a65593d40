"""The province's KPI configuration, read once from ``DVC_KPI_``-prefixed environment variables."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Final, Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

#: 2024: 70% for every agency; 2025: 85% for departments, 70% for districts (DOMAIN.md §4).
DEFAULT_TARGETS = "2024:*=70; 2025:PROVINCIAL_DEPARTMENT=85; 2025:*=70"

#: The 2024 indicators with a Government target (DOMAIN.md §7): dossiers and results
#: digitised, eligible procedures offered full online, fees paid online.
INDICATORS: Final = ("DIGITISATION", "FULL_ONLINE_PROCEDURES", "ONLINE_PAYMENT")
#: 2024: 80% digitised, 80% of eligible procedures full online, 45% paid online; later years
#: keep them until the province configures its own.
DEFAULT_INDICATOR_TARGETS = (
    "2024:DIGITISATION=80; 2024:FULL_ONLINE_PROCEDURES=80; 2024:ONLINE_PAYMENT=45"
)


@dataclass(frozen=True)
class Targets:
    """Full-online ratio targets (percent) by year and agency type; ``*`` is any type.

    A year with no rule of its own takes the latest earlier year's rules.
    """

    rules: tuple[tuple[int, str, Decimal], ...]

    @classmethod
    def parse(cls, text: str, slot: str = "AGENCY_TYPE") -> Targets:
        """``"2024:*=70; 2025:PROVINCIAL_DEPARTMENT=85; 2025:*=70"``; ``slot`` names what
        stands between the colon and the equals sign, for the error message."""
        rules: list[tuple[int, str, Decimal]] = []
        for part in (p.strip() for p in text.split(";")):
            if not part:
                continue
            head, eq, value = part.partition("=")
            year, colon, kind = head.partition(":")
            try:
                if not eq or not colon:
                    raise ValueError(part)
                target = Decimal(value.strip())
                rule = (int(year), kind.strip() or "*", target)
            except (ValueError, InvalidOperation):
                raise ValueError(
                    f"KPI target {part!r}: expected YEAR:{slot}=PERCENT (e.g. 2025:*=70)"
                ) from None
            if not Decimal(0) <= target <= Decimal(100):
                raise ValueError(f"KPI target {part!r}: the percent must be 0-100")
            rules.append(rule)
        return cls(tuple(sorted(rules)))

    def target(self, year: int, agency_type: str) -> Decimal | None:
        """The target percent for ``agency_type`` in ``year`` (None: no rule applies)."""
        years = [y for y, _, _ in self.rules if y <= year]
        if not years:
            return None
        chosen = max(years)
        by_kind = {kind: value for y, kind, value in self.rules if y == chosen}
        return by_kind.get(agency_type, by_kind.get("*"))


@dataclass(frozen=True)
class PostalDeadlines:
    """Working days VNPost has, from the order, to collect a dossier and to deliver a result."""

    pickup_days: int = 1
    return_days: int = 2


#: The postal deadlines when the province configures none.
DEFAULT_POSTAL_DEADLINES: Final = PostalDeadlines()


class KpiSettings(BaseSettings):
    """How the province counts (DOMAIN.md §4: configurable)."""

    model_config = SettingsConfigDict(env_prefix="DVC_KPI_", frozen=True, extra="ignore")

    postal_counts_as: Literal["DIRECT", "ONLINE"] = Field(
        "DIRECT", description="The column a dossier carried by VNPost counts in."
    )
    targets: str = Field(DEFAULT_TARGETS, description="Full-online ratio targets (percent).")
    indicator_targets: str = Field(
        DEFAULT_INDICATOR_TARGETS,
        description="Targets (percent) of the 2024 indicators by year: YEAR:INDICATOR=PERCENT.",
    )
    not_eligible: str = Field(
        "",
        description="Procedure codes (comma-separated) that cannot be offered full online: "
        "left out of the full-online-procedure rate.",
    )
    # DOMAIN.md fixes no postal deadline: the province's contract with VNPost sets them.
    postal_pickup_days: int = Field(
        PostalDeadlines.pickup_days,
        ge=0,
        description="Working days from a pickup order to collection, to be on time.",
    )
    postal_return_days: int = Field(
        PostalDeadlines.return_days,
        ge=0,
        description="Working days from a delivery order to delivery, to be on time.",
    )

    def parsed_targets(self) -> Targets:
        return Targets.parse(self.targets)

    def parsed_indicator_targets(self) -> Targets:
        """The 2024 indicators' targets; ``ValueError`` for an indicator not in INDICATORS."""
        parsed = Targets.parse(self.indicator_targets, slot="INDICATOR")
        unknown = sorted({kind for _, kind, _ in parsed.rules} - {*INDICATORS, "*"})
        if unknown:
            raise ValueError(f"KPI indicator targets: unknown {unknown}; known {list(INDICATORS)}")
        return parsed

    def not_eligible_codes(self) -> frozenset[str]:
        return frozenset(c.strip() for c in self.not_eligible.split(",") if c.strip())

    def postal_deadlines(self) -> PostalDeadlines:
        return PostalDeadlines(self.postal_pickup_days, self.postal_return_days)
