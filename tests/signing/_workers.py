"""What the signing kill tests share: a worker of the signing package as a process (keys from the
test PKI, no TSA), and the events of the log that a test looks for."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from hub.kafka import read_to_end
from hub.processing import WorkerProcess
from hub.serde import DecodeError, RegistryClient, serde_for
from hub.settings import Settings
from hub.topics import DOSSIER_EVENTS
from signing.testing import TestPKI


class SigningWorker(WorkerProcess):
    """``dvchub worker PROCESSOR`` (signing, apology) signing with the PKI's PKCS#12 key."""

    def __init__(self, settings: Settings, log_dir: Path, name: str, pki: TestPKI,
                 store: Path, processor: str = "signing") -> None:  # fmt: skip
        super().__init__(
            processor, settings, log_dir / f"{name}.log", module="dvchub",
            args=("--session-timeout", "6", "--commit-interval", "0.5"),
            env={
                "DVC_SIGNING_KEY_KIND": "pkcs12",
                "DVC_SIGNING_PKCS12_PATH": str(pki.pkcs12_path("agency")),
                "DVC_SIGNING_PKCS12_PASSWORD": pki.pkcs12_password.decode(),
                "DVC_SIGNING_TRUST_ANCHORS": str(pki.root_cert_path),
                "DVC_SIGNING_TSA_URL": "",  # no TSA: a signature is what is killed, not a TSA call
                "DVC_SIGNING_STORE_DIR": str(store),
            },
        )  # fmt: skip


def logged_events(
    settings: Settings, registry: RegistryClient, keep: Callable[[dict[str, Any]], bool]
) -> list[tuple[int, dict[str, Any]]]:
    """(partition, event) of every event on the event log so far that ``keep`` keeps."""
    serde = serde_for(DOSSIER_EVENTS, settings.topic_prefix, registry)
    found = []
    for record in read_to_end(settings, DOSSIER_EVENTS.name(settings.topic_prefix), timeout_s=30):
        try:
            event = serde.decode(record.value)
        except DecodeError:
            continue
        if keep(event):
            found.append((record.partition, event))
    return found
