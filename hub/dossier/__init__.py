"""The dossier kernel: what every processor of ``dossier.events`` shares, written once.

* ``DossierEvent`` / ``decode_event``: the typed envelope, decoded and validated once (key,
  event type against payload), or a ``hub.processing.Reject``;
* the status machine (``TRANSITIONS``, ``STATUS_CODES``, ``FEE_RETURN``, ...) and ``StatusView``,
  the one way to follow a dossier's status through it, fee returns included;
* ``CatalogView`` / ``catalog_input``: the procedure catalogue as a side input that names its
  own topic;
* ``Placement``: the receiving desk and the current competent agency of a dossier, and which
  transfer leg between them it is on (acceptance anywhere in the province); ``DeskDirectory``:
  the province's desks and centres from configuration (``DVC_DESK_DIRECTORY``);
* ``DossierFold``: a ``hub.processing`` processor that decodes, deduplicates and looks the
  procedure up, so a processor (lifecycle, SLA, routing, payments, KPI) writes only its rules.

Exceptions (everything raised from this package is a ``DossierError``)::

    DossierError
    └── CatalogNotReady        the procedure catalogue could not be loaded in time

An event that cannot be applied is not an exception but a value (``Reject``), set aside as a
dead letter by the runner.
"""

from hub.dossier._catalog import CatalogView, catalog_input
from hub.dossier._desks import (
    Desk,
    DeskDirectory,
    DeskKind,
    PostalContact,
    place_of,
    read_toml,
)
from hub.dossier._errors import CatalogNotReady, DossierError
from hub.dossier._event import DossierEvent, decode_event
from hub.dossier._fold import CatalogEntry, DossierFold, ProcedureLookup, no_catalogue
from hub.dossier._placement import Placement, Where, placement_of
from hub.dossier._status import (
    ACCEPTED,
    EVENT_TYPES,
    FEE_REQUESTED,
    FEE_RETURN,
    NON_TERMINAL,
    PROCESSING,
    RECORDED_IN,
    REFUSED,
    RESULT_READY,
    RESULT_RETURNED,
    STATUS_CODES,
    STATUSES,
    STOPPED,
    SUBMITTED,
    SUPPLEMENT_REQUESTED,
    TERMINAL,
    TRANSITIONS,
    WITHDRAWN,
    StatusView,
    is_status,
)

__all__ = [
    "ACCEPTED",
    "EVENT_TYPES",
    "FEE_REQUESTED",
    "FEE_RETURN",
    "NON_TERMINAL",
    "PROCESSING",
    "RECORDED_IN",
    "REFUSED",
    "RESULT_READY",
    "RESULT_RETURNED",
    "STATUSES",
    "STATUS_CODES",
    "STOPPED",
    "SUBMITTED",
    "SUPPLEMENT_REQUESTED",
    "TERMINAL",
    "TRANSITIONS",
    "WITHDRAWN",
    "CatalogEntry",
    "CatalogNotReady",
    "CatalogView",
    "Desk",
    "DeskDirectory",
    "DeskKind",
    "DossierError",
    "DossierEvent",
    "DossierFold",
    "Placement",
    "PostalContact",
    "ProcedureLookup",
    "StatusView",
    "Where",
    "catalog_input",
    "decode_event",
    "is_status",
    "no_catalogue",
    "place_of",
    "placement_of",
    "read_toml",
]
