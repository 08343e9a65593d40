"""The procedure catalogue as every worker sees it: the whole compacted ``catalog.procedures``.

Like a faust GlobalTable, but without its multi-worker recovery caveats: each process reads every
partition of the catalogue topic from offset 0 in a background thread (kafka-python, manual
assignment, no consumer group) and keeps following it. ``ready`` is set once the topic's end
offsets at start-up were reached, and the lifecycle agent waits for it before its first event,
so a restart never judges a dossier against a half-loaded catalogue. A procedure published
*after* a dossier that needs it is handled by the agent (a grace wait, then dead-letter).
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Mapping
from typing import Any

from hub.kafka import follow_topic
from hub.lifecycle._errors import CatalogNotReady
from hub.serde import AvroSerde, DecodeError
from hub.settings import Settings
from hub.topics import CATALOG_PROCEDURES

log = logging.getLogger(__name__)


class CatalogView:
    """procedure code -> Procedure record, kept up to date by a daemon thread."""

    def __init__(self, settings: Settings, serde: AvroSerde) -> None:
        self.topic = CATALOG_PROCEDURES.name(settings.topic_prefix)
        self._settings = settings
        self._serde = serde
        self._procedures: dict[str, dict[str, Any]] = {}
        self._ready = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.skipped = 0

    def get(self, code: str) -> Mapping[str, Any] | None:
        return self._procedures.get(code)

    def __len__(self) -> int:
        return len(self._procedures)

    @property
    def ready(self) -> bool:
        return self._ready.is_set()

    def start(self) -> CatalogView:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="catalog-view", daemon=True)
            self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def wait_ready(self, timeout_s: float = 60.0) -> None:
        """Block until the catalogue as of start-up is loaded."""
        if not self._ready.wait(timeout_s):
            raise CatalogNotReady(f"catalogue {self.topic} not loaded within {timeout_s}s")

    async def wait_ready_async(self, timeout_s: float = 60.0) -> None:
        await asyncio.to_thread(self.wait_ready, timeout_s)

    async def wait_for(self, code: str, timeout_s: float) -> Mapping[str, Any] | None:
        """The procedure, waiting up to ``timeout_s`` for it to arrive on the catalogue topic."""
        deadline = time.monotonic() + timeout_s
        while (found := self._procedures.get(code)) is None and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        return found

    def _run(self) -> None:
        follow_topic(
            self._settings,
            self.topic,
            self._put,
            loaded=self._ready,
            stop=self._stop,
            on_loaded=lambda: log.info(
                "catalogue %s loaded: %d procedures", self.topic, len(self._procedures)
            ),
        )

    def _put(self, key: bytes | None, value: bytes | None) -> None:
        if value is None:  # tombstone: the procedure left the catalogue
            if key is not None:
                self._procedures.pop(key.decode(), None)
            return
        try:
            procedure = self._serde.decode(value)
        except DecodeError as exc:
            self.skipped += 1
            log.warning("skipping undecodable catalogue entry: %s", exc)
            return
        self._procedures[str(procedure["procedure_code"])] = procedure
