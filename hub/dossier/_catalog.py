"""The procedure catalogue as every worker sees it: the whole compacted ``catalog.procedures``.

Like a faust GlobalTable, but without its multi-worker recovery caveats: each process reads every
partition of the catalogue topic from offset 0 in a background thread (kafka-python, manual
assignment, no consumer group) and keeps following it. ``ready`` is set once the topic's end
offsets at start-up were reached, and a dossier processor waits for it before its first event,
so a restart never judges a dossier against a half-loaded catalogue. A procedure published
*after* a dossier that needs it is handled by the agent (a grace wait, then dead-letter).
"""

from __future__ import annotations

import asyncio
import time

from hub.dossier._errors import CatalogNotReady
from hub.materialized import MaterializedTopic, TopicFollower
from hub.processing import SideInputs
from hub.records import Procedure
from hub.serde import AvroSerde, RegistryClient, serde_for
from hub.settings import Settings
from hub.topics import CATALOG_PROCEDURES


class CatalogView(MaterializedTopic[Procedure]):
    """procedure code -> Procedure record, kept up to date by a daemon thread."""

    #: The topic it follows (a worker creates it before it starts, as its other topics).
    topic_spec = CATALOG_PROCEDURES

    def __init__(self, settings: Settings, serde: AvroSerde) -> None:
        topic = CATALOG_PROCEDURES.name(settings.topic_prefix)
        super().__init__(settings, serde, topic, what="procedures")

    @classmethod
    def of(cls, settings: Settings, registry: RegistryClient) -> CatalogView:
        """The catalogue of ``settings``' topic prefix, decoded with ``registry``'s schemas."""
        return cls(settings, serde_for(CATALOG_PROCEDURES, settings.topic_prefix, registry))

    def key_of(self, key: bytes | None, record: Procedure) -> str | None:
        return record["procedure_code"]

    def require_ready(self, timeout_s: float = 60.0) -> None:
        """Block until the catalogue as of start-up is loaded; ``CatalogNotReady`` if it is not."""
        if not self.wait_ready(timeout_s):
            raise CatalogNotReady(f"catalogue {self.topic} not loaded within {timeout_s}s")

    async def wait_ready_async(self, timeout_s: float = 60.0) -> None:
        await asyncio.to_thread(self.require_ready, timeout_s)

    async def wait_for(self, code: str, timeout_s: float) -> Procedure | None:
        """The procedure, waiting up to ``timeout_s`` for it to arrive on the catalogue topic."""
        deadline = time.monotonic() + timeout_s
        while (found := self._records.get(code)) is None and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        return found


def catalog_input(catalog: CatalogView, *others: TopicFollower) -> SideInputs:
    """``catalog`` as a processor's side input (loaded before the first message, or the worker
    fails to start), with ``others`` followed beside it (waited for up to a minute)."""

    def start() -> None:
        catalog.start()
        for other in others:
            other.start()
        catalog.require_ready()
        for other in others:
            other.wait_ready(60)

    return SideInputs(
        start,
        lambda: catalog.ready and all(other.ready for other in others),
        lambda: {"catalog_ready": catalog.ready, "procedures": len(catalog)},
    )
