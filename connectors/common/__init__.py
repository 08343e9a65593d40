"""Pieces every connector shares, public so none is copied::

AckedPublisher    encode (hub.serde) and produce, returning only after the broker acked
NotAcknowledged   ... it did not in time: the partner is told to retry
AvroRecord        what it encodes: a record the connector built, not read back
RequestRefused    a request refused before validation, with its HTTP status
read_capped       a request body, refused with 413 as soon as it exceeds a limit
require_json      415 unless the body is declared application/json
runtime_in_threads  an endpoint's lifespan: the blocking runtime started and stopped in threads
Backoff           pauses doubling up to a ceiling within a time budget: sending again while
                  the other side does not take it (the portal's client, VNPost's callbacks)

The inbound shell (``_inbound``, ``_dedupe``), every endpoint a partner pushes to::

InboundShell      lifespan, readiness, acked publishing and claim/settle dedupe of one endpoint
InboundSpec       what it runs: produced and followed topics, dedupe, timeouts, threads
Readiness         what ``/ready`` says, and what it waits for
NotReady          a request before the views are loaded: the partner is told to retry
PollSource        a partner the shell polls (``InboundShell(poll=...)``); PollFailed: a round
                  that did not get through, asked again after a back-off
ClaimedIds        produced ids, followed from a compacted marker topic; ``claim``/``settle``
Marker, Claim, DedupeSpec, IdConflict   its parts

For the government's JSON APIs (the national portal, EMC)::

IDEMPOTENCY_HEADER  the header carrying a command's idempotency key
to_portal / from_portal  yyyyMMddHHmmss in Vietnam time <-> aware datetimes (VIETNAM)

Declaring a partner (``connectors.partners`` lists them)::

PartnerSpec       name, command types, client, simulator, inbound endpoints, workload
Inbound           an endpoint by which the partner calls the hub (a dvchub command)
Workload          the commands the bench and the contract test send; what the simulator holds
Received          ... summed up; Payload: one command's (type, record name, payload)
DemoPart          what ``make run`` shows of it (``connectors.common.demo``: Calls, CallsHub,
                  Stage, SampleEvents, Event)

JSON, typed (``_json``)::

JsonValue, JsonObject   what ``json.loads`` returns; ``loads`` returns it typed

For the partner simulators::

ServerThread      an ASGI app served by uvicorn in a daemon thread
SimulatorServer   the simulators' base: start/stop, ``with``, serve_forever; ``of``: checked
FaultSwitches     counted faults (5xx, timeouts, malformed, lost replies) armed by a test
SimulatorLedger   what a simulator applied, for ``dvchub audit`` (``Workload.ledger``);
                  ``ledgers``: those of the simulators at hand
"""

from connectors.common._backoff import Backoff
from connectors.common._body import RequestRefused, read_capped, require_json
from connectors.common._dedupe import Claim, ClaimedIds, DedupeSpec, IdConflict, Marker
from connectors.common._faults import FAULT_KINDS, FaultKind, FaultSwitches
from connectors.common._gov import (
    IDEMPOTENCY_HEADER,
    VIETNAM,
    from_portal,
    to_portal,
    to_portal_or_none,
)
from connectors.common._inbound import (
    InboundShell,
    InboundSpec,
    NotReady,
    NoViews,
    Readiness,
    Runtime,
    Views,
)
from connectors.common._json import JsonObject, JsonValue, loads
from connectors.common._lifespan import runtime_in_threads
from connectors.common._poll import PollFailed, PollSource
from connectors.common._publisher import AckedPublisher, AvroRecord, NotAcknowledged
from connectors.common._server import ServerThread, SimulatorServer
from connectors.common._spec import Inbound, PartnerSpec, Payload, Received, Workload
from connectors.common.audit import SimulatorLedger, ledgers
from connectors.common.demo import Calls, CallsHub, DemoPart, Event, SampleEvents, Stage

__all__ = [
    "FAULT_KINDS",
    "IDEMPOTENCY_HEADER",
    "VIETNAM",
    "AckedPublisher",
    "AvroRecord",
    "Backoff",
    "Calls",
    "CallsHub",
    "Claim",
    "ClaimedIds",
    "DedupeSpec",
    "DemoPart",
    "Event",
    "FaultKind",
    "FaultSwitches",
    "IdConflict",
    "Inbound",
    "InboundShell",
    "InboundSpec",
    "JsonObject",
    "JsonValue",
    "Marker",
    "NoViews",
    "NotAcknowledged",
    "NotReady",
    "PartnerSpec",
    "Payload",
    "PollFailed",
    "PollSource",
    "Readiness",
    "Received",
    "RequestRefused",
    "Runtime",
    "SampleEvents",
    "ServerThread",
    "SimulatorLedger",
    "SimulatorServer",
    "Stage",
    "Views",
    "Workload",
    "from_portal",
    "ledgers",
    "loads",
    "read_capped",
    "require_json",
    "runtime_in_threads",
    "to_portal",
    "to_portal_or_none",
]
