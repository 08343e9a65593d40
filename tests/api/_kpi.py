"""Helpers of the KPI report tests: KPIs folded in memory, published as the workers publish them."""

from __future__ import annotations

import sys
from pathlib import Path

from hub.kafka import ensure_topics, make_producer
from hub.kpi import Kpis
from hub.serde import RegistryClient, serde_for
from hub.settings import Settings
from hub.topics import KPI, KPI_PROCEDURES

DVCHUB = Path(sys.executable).with_name("dvchub")


def publish(settings: Settings, registry: RegistryClient, kpis: Kpis) -> None:
    """``kpis``' snapshots and procedure histories to the ``kpi`` and ``kpi.procedures`` topics."""
    ensure_topics(settings)
    prefix = settings.topic_prefix
    producer = make_producer(settings)
    try:
        for spec, records in ((KPI, kpis.snapshots), (KPI_PROCEDURES, kpis.histories)):
            serde = serde_for(spec, prefix, registry)
            for key, record in records.items():
                producer.send(spec.name(prefix), key=key.encode(), value=serde.encode(record))
        producer.flush()
    finally:
        producer.close()
