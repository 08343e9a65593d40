"""The province's SLA configuration, read once from ``DVC_SLA_``-prefixed environment variables."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from hub.sla._alerts import Reappointment
from hub.sla._calendar import CalendarOverrides, OfficeHours, WorkingCalendar
from hub.sla._deadline import SlaPolicy


class SlaSettings(BaseSettings):
    """Working calendar and alert thresholds of one province (DOMAIN.md §3: configurable)."""

    model_config = SettingsConfigDict(env_prefix="DVC_SLA_", frozen=True, extra="ignore")

    office_hours: str = Field(
        "07:00-11:30,13:30-17:00", description="Office periods of a working day, local time."
    )
    calendar_overrides: Path | None = Field(
        None, description="TOML file of the province's extra days off and extra working days."
    )
    due_soon_working_days: float = Field(
        1.0, gt=0, description="Working days before the appointment at which DUE_SOON is raised."
    )
    supplement_policy: Literal["PAUSE", "RESTART"] = Field(
        "PAUSE", description="What a received supplement does where the procedure says nothing."
    )
    explanation_working_days: int = Field(
        3, gt=0, description="Working days after a dossier became late within which the "
        "responsible unit's explanation is due (DOMAIN.md names no figure).",
    )  # fmt: skip
    apology_extension_working_days: int = Field(
        5, gt=0, description="Working days an apology letter of the hub moves the appointment "
        "by (from the appointment, or from the alert once it passed); DOMAIN.md names no figure.",
    )  # fmt: skip
    apology_extension_by_procedure: dict[str, int] = Field(
        default_factory=dict, description="Per procedure code, the extension in working days "
        'where it differs from the default (JSON, e.g. {"1.001": 10}).',
    )  # fmt: skip

    def reappointment(self) -> Reappointment:
        """The new dates the SLA's apology alerts propose."""
        return Reappointment(
            self.apology_extension_working_days, dict(self.apology_extension_by_procedure)
        )

    def calendar(self) -> WorkingCalendar:
        overrides = (
            CalendarOverrides()
            if self.calendar_overrides is None
            else CalendarOverrides.load(self.calendar_overrides)
        )
        return WorkingCalendar(OfficeHours.parse(self.office_hours), overrides)

    def policy(self) -> SlaPolicy:
        calendar = self.calendar()
        due_soon = calendar.hours.day_length * self.due_soon_working_days
        due_soon = timedelta(seconds=round(due_soon.total_seconds()))
        return SlaPolicy(calendar, due_soon, self.supplement_policy, self.explanation_working_days)
