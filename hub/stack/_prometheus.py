"""A real Prometheus server for the local stack, from the OS's ``prometheus`` package.

The hub's processes listen on ports chosen at run time (tests and the demo take free ones), so
the generated config discovers its targets from files (``file_sd_configs``): each process is
one JSON file under ``<stack home>/prometheus/targets``, written by ``register_scrape_target``
and picked up within seconds, without restarting or reloading the server. The alert rules are
the same file the docker-compose Prometheus loads (``infra/prometheus/alerts.yml``).
"""

from __future__ import annotations

import json
import os
import re
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from hub.settings import REPO_ROOT, Settings
from hub.stack._exceptions import ToolMissing
from hub.stack._process import ManagedProcess

INFRA = REPO_ROOT / "infra" / "prometheus"
ALERT_RULES = INFRA / "alerts.yml"
_INSTALL_HINT = "`make system-deps` installs it (Debian's `prometheus` package)"


class PrometheusSettings(BaseSettings):
    """``DVC_PROMETHEUS_*``: where the binary is, which port, how often to scrape."""

    model_config = SettingsConfigDict(env_prefix="DVC_PROMETHEUS_", frozen=True, extra="ignore")

    port: int = Field(19090, ge=1, le=65535, description="Web and API port (127.0.0.1).")
    binary: Path = Field(Path("/usr/bin/prometheus"), description="The server executable.")
    scrape_interval: str = Field("2s", description="Scrape and rule-evaluation interval.")
    retention: str = Field("1d", description="How long the local TSDB keeps samples.")


def targets_dir(settings: Settings) -> Path:
    """The folder the local Prometheus discovers scrape targets from."""
    return settings.stack_home / "prometheus" / "targets"


def _target_file(settings: Settings, job: str, address: str) -> Path:
    name = re.sub(r"[^A-Za-z0-9_.-]", "_", f"{job}@{address}")
    return targets_dir(settings) / f"{name}.json"


def register_scrape_target(
    settings: Settings, job: str, address: str, labels: dict[str, str] | None = None
) -> Path:
    """Have the local Prometheus scrape ``http://<address>/metrics`` as job ``job``.

    Written atomically (a rename), so Prometheus never reads half a file. Returns the file;
    registering the same job and address again replaces it.
    """
    path = _target_file(settings, job, address)
    path.parent.mkdir(parents=True, exist_ok=True)
    document = [{"targets": [address], "labels": {**(labels or {}), "job": job}}]
    scratch = path.with_suffix(".tmp")
    scratch.write_text(json.dumps(document, indent=1))
    os.replace(scratch, path)
    return path


def unregister_scrape_target(settings: Settings, job: str, address: str) -> bool:
    """Stop scraping ``address`` as ``job``; returns whether it was registered."""
    path = _target_file(settings, job, address)
    existed = path.exists()
    path.unlink(missing_ok=True)
    return existed


@contextmanager
def scrape_target(settings: Settings, job: str, address: str) -> Iterator[Path]:
    """``register_scrape_target`` for the duration of a ``with`` block."""
    path = register_scrape_target(settings, job, address)
    try:
        yield path
    finally:
        unregister_scrape_target(settings, job, address)


def render_config(settings: Settings, options: PrometheusSettings) -> str:
    """The local server's prometheus.yml (JSON is YAML): file-discovered hub targets, and
    Prometheus itself, evaluated every ``scrape_interval`` against the shared alert rules."""
    interval = options.scrape_interval
    config = {
        "global": {"scrape_interval": interval, "evaluation_interval": interval},
        "rule_files": [str(ALERT_RULES)],
        "scrape_configs": [
            {
                # The job name is only a default: each target file sets its own `job` label.
                "job_name": "dvchub",
                "file_sd_configs": [
                    {"files": [str(targets_dir(settings) / "*.json")], "refresh_interval": interval}
                ],
            },
            {
                "job_name": "prometheus",
                "static_configs": [{"targets": [f"127.0.0.1:{options.port}"]}],
            },
        ],
    }
    return json.dumps(config, indent=2) + "\n"


@dataclass(frozen=True)
class PrometheusServer:
    """The ``prometheus`` component: config, TSDB, pid file and log under the stack home."""

    settings: Settings
    options: PrometheusSettings = field(default_factory=PrometheusSettings)

    @property
    def home(self) -> Path:
        return self.settings.stack_home / "prometheus"

    @property
    def process(self) -> ManagedProcess:
        return ManagedProcess("prometheus", self.home)

    @property
    def address(self) -> str:
        return f"http://127.0.0.1:{self.options.port}"

    @property
    def config_file(self) -> Path:
        return self.home / "prometheus.yml"

    def fetch(self) -> Path:
        """Nothing to download: the binary comes from the OS package; check it is there."""
        binary = self.options.binary
        if not (binary.is_file() and os.access(binary, os.X_OK)):
            raise ToolMissing(f"{binary} is missing: {_INSTALL_HINT}")
        return binary

    def write_config(self) -> Path:
        targets_dir(self.settings).mkdir(parents=True, exist_ok=True)
        self.config_file.write_text(render_config(self.settings, self.options))
        return self.config_file

    def start(self) -> None:
        binary = self.fetch()
        config = self.write_config()
        self.process.start(
            [
                str(binary),
                f"--config.file={config}",
                f"--storage.tsdb.path={self.home / 'data'}",
                f"--storage.tsdb.retention.time={self.options.retention}",
                f"--web.listen-address=127.0.0.1:{self.options.port}",
                f"--web.external-url={self.address}",
            ],
            cwd=self.home,
            ports=[("127.0.0.1", self.options.port)],
        )

    def reload(self) -> bool:
        """Rewrite the config and have the running server re-read it and the alert rules
        (SIGHUP), e.g. after editing alerts.yml; returns whether one was running."""
        pid = self.process.pid()
        if pid is None:
            return False
        self.write_config()
        os.kill(pid, signal.SIGHUP)
        return True

    def is_ready(self) -> bool:
        try:
            return httpx.get(f"{self.address}/-/ready", timeout=2.0).status_code == 200
        except httpx.HTTPError:
            return False
