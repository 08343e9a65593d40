"""Routing configuration, read once from ``DVC_``-prefixed environment variables."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from hub.dossier import DeskDirectory
from hub.routing._agencies import AgencyDirectory
from hub.routing._rules import Rules


class RoutingSettings(BaseSettings):
    """Where agencies and desks are for VNPost, and how EMC counts a postal dossier."""

    model_config = SettingsConfigDict(env_prefix="DVC_", frozen=True, extra="ignore")

    agency_directory: Path | None = Field(
        None, description="TOML agency directory (code -> name, address, phone); None: built-in."
    )
    desk_directory: Path | None = Field(
        None, description="TOML directory of the province's desks and centres (hub.dossier)."
    )
    emc_postal_reception: Literal["DIRECT", "ONLINE"] = Field(
        "DIRECT", description="EMC reception form of a paper dossier carried by VNPost."
    )

    def directory(self) -> AgencyDirectory:
        if self.agency_directory is None:
            return AgencyDirectory()
        return AgencyDirectory.load(self.agency_directory)

    def desks(self) -> DeskDirectory:
        if self.desk_directory is None:
            return DeskDirectory()
        return DeskDirectory.load(self.desk_directory)

    def rules(self) -> Rules:
        return Rules(
            self.directory(), postal_counts_as=self.emc_postal_reception, desks=self.desks()
        )
