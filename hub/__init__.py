"""dvc-hub: the event-sourced integration hub for provincial public-service dossiers.

Public modules: ``hub.settings`` (typed ``DVC_`` configuration), ``hub.topics`` (topic names
and their value schemas), ``hub.serde`` (Avro in the Confluent wire format), ``hub.stack`` (the
local Kafka + schema registry), ``hub.events`` (building canonical events), ``hub.deadletter``,
``hub.logs`` (redacting structured logging).

``hub`` is the core: it imports neither the connectors (``connectors``), nor ``signing``, nor the
application that composes them (``dvchub``, which holds the ``dvchub`` command).
"""

__version__ = "0.1.0"
