"""Pieces every connector shares, public so none is copied::

AckedPublisher    encode (hub.serde) and produce, returning only after the broker acked
NotAcknowledged   ... it did not in time: the partner is told to retry
RequestRefused    a request refused before validation, with its HTTP status
read_capped       a request body, refused with 413 as soon as it exceeds a limit
require_json      415 unless the body is declared application/json
"""

from connectors.common._body import RequestRefused, read_capped, require_json
from connectors.common._lifespan import runtime_in_threads
from connectors.common._publisher import AckedPublisher, NotAcknowledged

__all__ = [
    "AckedPublisher",
    "NotAcknowledged",
    "RequestRefused",
    "read_capped",
    "require_json",
    "runtime_in_threads",
]
