"""The demo's moving parts: HTTP apps on loopback threads, processor workers as processes."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import uvicorn
from fastapi import FastAPI

from hub.processing import WorkerProcess, free_port
from hub.settings import Settings


@contextmanager
def serving(app: FastAPI, name: str) -> Iterator[str]:
    """Serve ``app`` on a free loopback port in a thread; yields its base URL."""
    port = free_port()
    # log_config=None: uvicorn's records go to the process's hub.logs handler, redacted.
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, log_level=None)
    server = uvicorn.Server(config)
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


#: The Kafka principal each worker module runs as (hub.stack's ACL table): the demo's workers
#: show that every service works with exactly its grants.
PRINCIPAL_OF = {
    "hub.lifecycle": "lifecycle",
    "hub.sla": "sla",
    "hub.routing": "routing",
    "hub.payments": "payments",
    "hub.kpi": "kpi",
    "dvchub.outbox": "outbox",
}


def worker_process(
    module: str,
    settings: Settings,
    log_path: Path,
    *,
    args: tuple[str, ...] = (),
    env: Mapping[str, str] | None = None,
) -> WorkerProcess:
    """``python -m <module> worker``, logged in to Kafka as its own service."""
    return WorkerProcess(
        module, settings, log_path, args=args, env=env, principal=PRINCIPAL_OF[module]
    )


@contextmanager
def worker(
    module: str, settings: Settings, log_path: Path, *, env: Mapping[str, str] | None = None
) -> Iterator[WorkerProcess]:
    """``python -m <module> worker`` as a separate OS process, ready; stopped at the end."""
    process = worker_process(module, settings, log_path, env=env)
    try:
        process.wait_ready(120)
        yield process
    finally:
        process.stop()


@contextmanager
def lifecycle_worker(settings: Settings, log_path: Path) -> Iterator[int]:
    """``python -m hub.lifecycle worker``; yields its web port."""
    with worker("hub.lifecycle", settings, log_path) as process:
        yield process.port
