"""The API's read model: the compacted ``dossier.state`` topic, materialised in memory.

One daemon thread per API process reads every partition of the state topic from offset 0 (no
consumer group: every replica holds everything) and keeps following it. Reads are eventually
consistent with the processor, typically milliseconds behind; ``ready`` says the topic as of
start-up has been loaded, so a fresh replica never answers 404 for a dossier it has not read yet.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from typing import Any

from hub.kafka import follow_topic
from hub.serde import AvroSerde, DecodeError
from hub.settings import Settings

log = logging.getLogger(__name__)


class StateStore:
    """dossier id -> decoded DossierState, following a state topic."""

    def __init__(self, settings: Settings, serde: AvroSerde, topic: str) -> None:
        self.topic = topic
        self._settings = settings
        self._serde = serde
        self._states: dict[str, dict[str, Any]] = {}
        self._ready = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.undecodable = 0

    @property
    def ready(self) -> bool:
        return self._ready.is_set()

    def __len__(self) -> int:
        return len(self._states)

    def get(self, dossier_id: str) -> dict[str, Any] | None:
        return self._states.get(dossier_id)

    def values(self) -> Iterator[dict[str, Any]]:
        return iter(list(self._states.values()))

    def start(self) -> StateStore:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="state-store", daemon=True)
            self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def wait_ready(self, timeout_s: float = 60.0) -> bool:
        return self._ready.wait(timeout_s)

    def _run(self) -> None:
        follow_topic(
            self._settings,
            self.topic,
            self._put,
            loaded=self._ready,
            stop=self._stop,
            on_loaded=lambda: log.info(
                "state topic %s loaded: %d dossiers", self.topic, len(self._states)
            ),
            max_poll_records=2000,
        )

    def _put(self, key: bytes | None, value: bytes | None) -> None:
        if key is None:
            return
        if value is None:
            self._states.pop(key.decode(), None)
            return
        try:
            self._states[key.decode()] = self._serde.decode(value)
        except DecodeError as exc:
            self.undecodable += 1
            log.warning("skipping undecodable state record: %s", exc)
