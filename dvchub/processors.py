"""Every processor ``dvchub worker NAME`` runs: the hub's (``hub.processors.HUB_PROCESSORS``)
and those of the packages ``hub`` may not import (signing, on the shared consume loop).

Composed here, outside ``hub``, so the core still imports neither connectors nor signing; the
compose file's workers and Prometheus' scrape targets are checked against this registry
(tests/processing/test_registry.py). A spec's package is imported only when it is asked for.
"""

from __future__ import annotations

from hub.processors import HUB_PROCESSORS, Registered, Registry

PROCESSORS = Registry(
    (
        *HUB_PROCESSORS.entries,
        Registered("signing", "signing._worker", "SPEC",
                   "ResultReady -> each result document signed (ResultSigned / Failed)"),
        Registered("apology", "signing._apology_worker", "SPEC",
                   "SLA apology alerts -> a signed apology letter (ApologyIssued)"),
    )
)  # fmt: skip
