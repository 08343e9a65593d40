"""A processor worker as a real OS process: start it, read ``/ready`` and ``/metrics``, stop it.

The demo, the tests and the benchmarks all start workers this way (``python -m hub.processing
worker NAME --web-port N``, a processor of the registry), so readiness and metrics are read in
one place.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from hub.net import free_port
from hub.settings import REPO_ROOT, Settings


class WorkerProcess:
    """``python -m hub.processing worker <name> --web-port <port> <args>`` for ``settings``'
    prefix. ``module``: another entry point's ``worker`` command, with ``name`` (a test's
    ``worker_main`` on its own registry) or without (``None``: the outbox's, which has none).

    ``principal`` logs the worker in to the local stack as that service (its password file
    is the stack's), instead of as whoever this process is. ``command``: another program's
    arguments after the interpreter instead (an HTTP endpoint's ``-m dvchub bank-ipn``), which
    serves its ``/ready`` on ``port`` as its environment says."""

    def __init__(
        self,
        name: str | None,
        settings: Settings,
        log_path: Path,
        *,
        args: Sequence[str] = (),
        env: Mapping[str, str] | None = None,
        principal: str | None = None,
        module: str = "hub.processing",
        port: int | None = None,
        command: Sequence[str] | None = None,
    ) -> None:
        self.port = free_port() if port is None else port
        self.log_path = log_path
        log_path.parent.mkdir(parents=True, exist_ok=True)
        inherited = dict(os.environ)
        if principal is not None:
            for variable in ("DVC_KAFKA_PASSWORD", "DVC_KAFKA_PASSWORD_FILE"):
                inherited.pop(variable, None)  # the stack's file of the principal instead
            inherited["DVC_KAFKA_USERNAME"] = principal
        environment = {
            **inherited, "DVC_TOPIC_PREFIX": settings.topic_prefix,
            "DVC_PARTITIONS": str(settings.partitions), "PYTHONUNBUFFERED": "1",
            # the table's local data next to the log, not in the working directory
            "DVC_STATE_DIR": str(log_path.parent / f"{log_path.stem}-state"), **(env or {}),
        }  # fmt: skip
        self._argv = [sys.executable, *command] if command is not None else [
            sys.executable, "-m", module, "worker", *([] if name is None else [name]),
            "--web-port", str(self.port), *args]  # fmt: skip
        self._environment = environment
        self._spawn()

    def _spawn(self) -> None:
        self._log = self.log_path.open("ab")
        self.proc = subprocess.Popen(
            self._argv, cwd=REPO_ROOT, env=self._environment, stdout=self._log,
            stderr=subprocess.STDOUT,
        )  # fmt: skip

    def restart(self) -> None:
        """Start the same command again once the process ended (after ``kill``): what a
        supervisor (systemd, Kubernetes) does. Same port, log, state folder and environment, so
        whoever holds this object keeps reaching (and finally stopping) the new process."""
        if self.alive():
            raise RuntimeError(f"worker on port {self.port} is still running")
        self._log.close()
        self._spawn()

    @property
    def pid(self) -> int:
        return self.proc.pid

    def _get(self, path: str, timeout_s: float) -> bytes:
        url = f"http://127.0.0.1:{self.port}{path}"
        try:
            with urllib.request.urlopen(url, timeout=timeout_s) as response:
                return bytes(response.read())
        except urllib.error.HTTPError as exc:  # /ready answers 503 with the same document
            return bytes(exc.read())

    def status(self) -> dict[str, Any]:
        """The ``/ready`` document; empty while the web server does not answer."""
        try:
            return dict(json.loads(self._get("/ready", 2.0)))
        except (OSError, ValueError):
            return {}

    def ready(self) -> bool:
        return bool(self.status().get("ready"))

    def wait_ready(self, timeout_s: float = 120.0) -> None:
        """Block until ``/ready`` says ready; ``RuntimeError`` (with the log's tail) otherwise."""
        deadline = time.monotonic() + timeout_s
        while not self.ready():
            if not self.alive() or time.monotonic() > deadline:
                tail = self.log_path.read_text(errors="replace")[-3000:]
                raise RuntimeError(f"worker on port {self.port} did not become ready:\n{tail}")
            time.sleep(0.25)

    def metrics(self) -> str:
        """The ``/metrics`` page; empty while the web server does not answer."""
        try:
            return self._get("/metrics", 5.0).decode()
        except OSError:
            return ""

    def metric(self, name: str) -> float:
        """Sum of the samples of ``name`` (a metric name, optionally with some ``{labels}``)."""
        base, _, labels = name.partition("{")
        wanted = [part for part in labels.rstrip("}").split(",") if part]
        total = 0.0
        for line in self.metrics().splitlines():
            if line.startswith("#"):
                continue
            sample, _, value = line.rpartition(" ")
            metric, _, have = sample.partition("{")
            if metric == base and all(label in have for label in wanted):
                total += float(value)
        return total

    def alive(self) -> bool:
        return self.proc.poll() is None

    def kill(self) -> None:
        """SIGKILL: no leave-group, no flush, no commit."""
        if self.alive():
            self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)
        self._log.close()

    def stop(self, timeout_s: float = 30.0) -> None:
        """SIGTERM and wait (SIGKILL after ``timeout_s``)."""
        if self.alive():
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=timeout_s)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        self._log.close()
