"""Apicurio Registry (in-memory storage) serving the Confluent API at ``/apis/ccompat/v7``."""

from __future__ import annotations

import tarfile
from dataclasses import dataclass
from pathlib import Path

import httpx

from hub.settings import REPO_ROOT, Settings
from hub.stack._maven import copy_dependencies
from hub.stack._process import ManagedProcess

INFRA = REPO_ROOT / "infra" / "registry"


@dataclass(frozen=True)
class ApicurioRegistry:
    settings: Settings

    @property
    def home(self) -> Path:
        return self.settings.stack_home / "registry"

    @property
    def process(self) -> ManagedProcess:
        return ManagedProcess("registry", self.home)

    @property
    def address(self) -> str:
        return f"http://127.0.0.1:{self.settings.registry_port}/apis/ccompat/v7"

    def fetch(self) -> Path:
        """The runner jar of the unpacked ``all`` distribution."""
        downloads = copy_dependencies(INFRA / "pom.xml", self.home / "dist", marker=".fetched")
        app = self.home / "app"
        runners = sorted(app.glob("*-runner.jar"))
        if not runners:
            for archive in downloads.glob("*.tar.gz"):
                with tarfile.open(archive) as tar:
                    tar.extractall(app, filter="data")
            runners = sorted(app.glob("*-runner.jar"))
        return runners[-1]

    def start(self) -> None:
        runner = self.fetch()
        port = self.settings.registry_port
        self.process.start(
            [
                "java",
                "-Xms128m",
                "-Xmx512m",
                f"-Dquarkus.http.port={port}",
                "-Dquarkus.http.host=127.0.0.1",
                f"-Dregistry.home={self.home}",
                "-jar",
                str(runner),
            ],
            cwd=self.home,
            ports=[("127.0.0.1", port)],
        )

    def is_ready(self) -> bool:
        try:
            return httpx.get(f"{self.address}/subjects", timeout=2.0).status_code == 200
        except httpx.HTTPError:
            return False
