"""Routing: dossier events -> the partner commands they call for (VNPost, DVCQG, EMC).

``dossier.events`` -> ``RoutingProcessor`` (a ``hub.processing`` fold) -> ``dossiers`` table
(RoutingState, in its changelog only) -> PartnerCommands on ``partner.commands``, keyed by the
dossier id (one dossier's commands in its events' order, on one partition):

* postal pickup when the citizen asked for postal intake; cancelled if the dossier is refused,
  withdrawn or stopped before collection; postal delivery with cash on delivery of the fees
  still due when the signed result is returned by post;
* national portal: DongBoHoSoMC on every status change, CapNhatTienDoHoSoMC on every processing
  step and every status change with a handler;
* EMC: one tracking record per status change and processing step.
* the applicant: a CitizenNotification per step they are told about (received, supplement,
  fee with the payment link, result ready, apology, result returned), with their consent, one
  per dossier and step (``_notify``; sent by ``connectors.notify``).

Payment commands are not routing's (``hub.payments``). Every command's id and idempotency key
derive from its causing event (``command_id``, ``idempotency_key``), or for a notification
from its dossier and step, so a redelivered event gives identical commands. The rules are in
``Rules`` (pure), the EMC codes in ``tracking_record``; agencies' postal addresses come from an
``AgencyDirectory`` (``DVC_AGENCY_DIRECTORY``, a TOML file; a built-in default entry
otherwise).

Exceptions: configuration errors are ``ValueError`` (a bad agency directory); an event routing
cannot apply is a value (``Refused`` from the rules, ``hub.processing.Reject`` from the fold), a
dead letter from the runner.
"""

from hub.routing._agencies import DEFAULT_AGENCY, AgencyContact, AgencyDirectory
from hub.routing._app import (
    COMMANDS,
    SPEC,
    STATE_SCHEMA,
    state_serde,
    state_subject,
)
from hub.routing._commands import COMMAND_NAMESPACE, KINDS, command_id, fees_due, idempotency_key
from hub.routing._config import RoutingSettings
from hub.routing._emc import emc_level, emc_status, payment_form, reception_form, tracking_record
from hub.routing._notify import DEFAULT_CHANNELS, notification, notification_key
from hub.routing._processor import DEFAULT_REDELIVERY_WINDOW, RoutingProcessor
from hub.routing._rules import NOT_ROUTED, Refused, Routed, Rules, new_state

__all__ = [
    "COMMANDS",
    "COMMAND_NAMESPACE",
    "DEFAULT_AGENCY",
    "DEFAULT_CHANNELS",
    "DEFAULT_REDELIVERY_WINDOW",
    "KINDS",
    "NOT_ROUTED",
    "SPEC",
    "STATE_SCHEMA",
    "AgencyContact",
    "AgencyDirectory",
    "Refused",
    "Routed",
    "RoutingProcessor",
    "RoutingSettings",
    "Rules",
    "command_id",
    "emc_level",
    "emc_status",
    "fees_due",
    "idempotency_key",
    "new_state",
    "notification",
    "notification_key",
    "payment_form",
    "reception_form",
    "state_serde",
    "state_subject",
    "tracking_record",
]
