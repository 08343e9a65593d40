"""The API's read model: the compacted ``dossier.state`` topic, materialised in memory.

One daemon thread per API process reads every partition of the state topic from offset 0 (no
consumer group: every replica holds everything) and keeps following it. Reads are eventually
consistent with the processor, typically milliseconds behind; ``ready`` says the topic as of
start-up has been loaded, so a fresh replica never answers 404 for a dossier it has not read yet.
"""

from __future__ import annotations

from hub.materialized import MaterializedTopic
from hub.records import DossierDeadline, DossierState
from hub.serde import AvroSerde
from hub.settings import Settings
from hub.topics import SLA_DEADLINES


class StateStore(MaterializedTopic[DossierState]):
    """dossier id -> decoded DossierState, following a state topic."""

    def __init__(self, settings: Settings, serde: AvroSerde, topic: str) -> None:
        super().__init__(settings, serde, topic, what="dossiers", max_poll_records=2000)


class DeadlineStore(MaterializedTopic[DossierDeadline]):
    """dossier id -> decoded DossierDeadline, following ``<prefix>sla.deadlines``."""

    def __init__(self, settings: Settings, serde: AvroSerde) -> None:
        topic = SLA_DEADLINES.name(settings.topic_prefix)
        super().__init__(settings, serde, topic, what="deadlines", max_poll_records=2000)
