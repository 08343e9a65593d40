"""Apicurio Registry serving the Confluent API at ``/apis/ccompat/v7``, on a file database.

The ``all`` distribution of 2.6 stores its data through Apicurio's SQL storage on an embedded
H2 database, in memory by default (``REGISTRY_DATASOURCE_URL=jdbc:h2:mem:registry_db``). We
point that URL at an H2 file under the stack home, so every schema and every schema id
survives ``stack down``/``stack up`` and a kill -9 (a reboot). On start the storage finds the
schema already created and continues its id sequences after the largest stored id.
"""

from __future__ import annotations

import tarfile
from dataclasses import dataclass
from pathlib import Path

import httpx

from hub.settings import REPO_ROOT, Settings
from hub.stack._exceptions import StackError
from hub.stack._maven import copy_dependencies
from hub.stack._process import ManagedProcess

INFRA = REPO_ROOT / "infra" / "registry"
# H2 names ``<name>.mv.db`` after the path in the URL.
_DB_NAME = "registry"


@dataclass(frozen=True)
class ApicurioRegistry:
    settings: Settings

    @property
    def home(self) -> Path:
        return self.settings.stack_home / "registry"

    @property
    def data_dir(self) -> Path:
        return self.home / "data"

    @property
    def process(self) -> ManagedProcess:
        return ManagedProcess("registry", self.home)

    @property
    def address(self) -> str:
        return f"http://127.0.0.1:{self.settings.registry_port}/apis/ccompat/v7"

    @property
    def jdbc_url(self) -> str:
        """The H2 file database, by absolute path (H2 resolves a bare relative one oddly).

        ``WRITE_DELAY=0``: each commit is written to the file before the registry answers,
        instead of within 500 ms, so a kill -9 right after a registration loses nothing.
        """
        path = (self.data_dir / _DB_NAME).resolve()
        if ";" in str(path):
            # ';' separates H2 URL settings; such a path would silently name another file.
            raise StackError(f"the stack home must not contain ';': {self.settings.stack_home}")
        return f"jdbc:h2:file:{path};WRITE_DELAY=0"

    def has_database(self) -> bool:
        """Whether a registry database exists (it is created on the first start)."""
        return (self.data_dir / f"{_DB_NAME}.mv.db").is_file()

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
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.process.start(
            [
                "java",
                "-Xms128m",
                "-Xmx512m",
                f"-Dquarkus.http.port={port}",
                "-Dquarkus.http.host=127.0.0.1",
                f"-Dregistry.home={self.home}",
                # application.properties reads the datasource URL from this name, and a system
                # property resolves it like the environment variable the Apicurio docs name.
                f"-DREGISTRY_DATASOURCE_URL={self.jdbc_url}",
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
