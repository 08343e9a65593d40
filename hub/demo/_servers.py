"""The demo's moving parts: HTTP apps on loopback threads, the lifecycle worker as a process."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import uvicorn
from fastapi import FastAPI

from hub.settings import REPO_ROOT, Settings


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def serving(app: FastAPI, name: str) -> Iterator[str]:
    """Serve ``app`` on a free loopback port in a thread; yields its base URL."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, name=name, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError(f"{name} did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)


def _worker_ready(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/ready", timeout=2) as response:
            status = json.loads(response.read())
    except OSError:
        return False
    busy = status.get("rebalancing") or status.get("in_recovery")
    return bool(status.get("catalog_ready") and status.get("partitions") and not busy)


@contextmanager
def lifecycle_worker(settings: Settings, log_path: Path) -> Iterator[int]:
    """``dvchub lifecycle worker`` as a separate OS process; yields its web port."""
    port = free_port()
    env = {**os.environ, "DVC_TOPIC_PREFIX": settings.topic_prefix, "PYTHONUNBUFFERED": "1"}
    env["DVC_PARTITIONS"] = str(settings.partitions)
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("ab") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "hub.lifecycle", "worker", "--web-port", str(port)],
            cwd=REPO_ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 120
        while not _worker_ready(port):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the lifecycle worker did not become ready; see {log_path}")
            time.sleep(0.25)
        yield port
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
