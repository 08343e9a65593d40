"""The province's KPI configuration, read once from ``DVC_KPI_``-prefixed environment variables."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

#: 2024: 70% for every agency; 2025: 85% for departments, 70% for districts (DOMAIN.md §4).
DEFAULT_TARGETS = "2024:*=70; 2025:PROVINCIAL_DEPARTMENT=85; 2025:*=70"


@dataclass(frozen=True)
class Targets:
    """Full-online ratio targets (percent) by year and agency type; ``*`` is any type.

    A year with no rule of its own takes the latest earlier year's rules.
    """

    rules: tuple[tuple[int, str, Decimal], ...]

    @classmethod
    def parse(cls, text: str) -> Targets:
        """``"2024:*=70; 2025:PROVINCIAL_DEPARTMENT=85; 2025:*=70"``."""
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
                    f"KPI target {part!r}: expected YEAR:AGENCY_TYPE=PERCENT (e.g. 2025:*=70)"
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


class KpiSettings(BaseSettings):
    """How the province counts (DOMAIN.md §4: configurable)."""

    model_config = SettingsConfigDict(env_prefix="DVC_KPI_", frozen=True, extra="ignore")

    postal_counts_as: Literal["DIRECT", "ONLINE"] = Field(
        "DIRECT", description="The column a dossier carried by VNPost counts in."
    )
    targets: str = Field(DEFAULT_TARGETS, description="Full-online ratio targets (percent).")

    def parsed_targets(self) -> Targets:
        return Targets.parse(self.targets)
