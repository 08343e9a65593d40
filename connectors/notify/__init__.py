"""Citizen notifications: the applicant told about each step of their dossier, by Zalo ZNS, a
brandname SMS or e-mail, as a partner of the outbox ("notify").

``hub.routing`` commands one CitizenNotification per step the applicant is told about (with
their consent; one per dossier and step); ``NotifyClient`` renders the step's Vietnamese
templates and tries the applicant's channels in order: a channel that refuses for good (no
Zalo account, a bad number, a template refused) passes the message to the next (ZNS -> SMS); a
gateway down or over its rate fails the call, which the outbox retries with the same ids. Each
gateway dedupes on an id derived from the command's idempotency key, so a redelivery is one
message. SMS are counted in segments (GSM-7 160/153, UCS-2 70/67: Vietnamese with diacritics).
``NotifySimulator`` is the three gateways for real: SMS and ZNS over HTTP, e-mail over SMTP
(aiosmtpd), with faults, outages, rate limits and the messages they delivered.

Private modules::

    _config        NotifyConfig (DVC_NOTIFY_*: gateways, secrets, rates, SMS rules)
    _notification  Notification: the command's payload as a typed value (contact out of repr)
    _templates     the Vietnamese SMS, ZNS parameters and e-mails of each step
    _sms           GSM-7 / UCS-2, segments, unaccented Vietnamese
    _rate          TokenBucket (the client's limits and the simulators')
    _wire          the SMS gateway's and ZNS's JSON, their error codes, phone numbers
    _gateways      one sender per channel; httpx and smtplib errors -> outbox errors
    _client        NotifyClient: render, channels in order, fallback, rate limits
    _metrics       dvchub_notify_* (messages, SMS segments, fallbacks, rate waits)
    _ledger        what the simulators delivered, deduped; outages and rate limits
    _sim           NotifySimulator (SMS and ZNS over HTTP, and the SMTP relay)
    _sim_smtp      the SMTP relay's handler (aiosmtpd)
    _spec          SPEC: notifications as a PartnerSpec (connectors.partners)

Exceptions: ``ChannelRefused`` (a ``connectors.outbox.Permanent``) is one channel's refusal; the
client tries the next channel and raises it when none is left. Otherwise the outbox's
hierarchy::

    CallFailed
    ├── Transient   timeout, connection, 5xx, 429, 401, malformed reply, SMTP 4xx, RATE_LIMITED
    └── Permanent   ChannelRefused (last channel); INVALID_COMMAND; UNSUPPORTED_COMMAND;
                    another refusal of the gateway
"""

from __future__ import annotations

from connectors.notify._client import CITIZEN_NOTIFICATION, PARTNER, NotifyClient
from connectors.notify._config import DEV_ZNS_TEMPLATES, NotifyConfig
from connectors.notify._gateways import ChannelRefused, message_id
from connectors.notify._ledger import Delivered, Ledger
from connectors.notify._notification import CHANNELS, STEPS, Channel, Contact, Notification, Step
from connectors.notify._rate import TokenBucket
from connectors.notify._sim import NOT_ON_ZALO, NotifySimulator
from connectors.notify._sim_smtp import BOUNCING_DOMAIN
from connectors.notify._sms import Segments, encoding_of, segments, strip_diacritics
from connectors.notify._templates import ZNS_PARAMS, Rendered, render

__all__ = [
    "BOUNCING_DOMAIN",
    "CHANNELS",
    "CITIZEN_NOTIFICATION",
    "DEV_ZNS_TEMPLATES",
    "NOT_ON_ZALO",
    "PARTNER",
    "STEPS",
    "ZNS_PARAMS",
    "Channel",
    "ChannelRefused",
    "Contact",
    "Delivered",
    "Ledger",
    "Notification",
    "NotifyClient",
    "NotifyConfig",
    "NotifySimulator",
    "Rendered",
    "Segments",
    "Step",
    "TokenBucket",
    "encoding_of",
    "message_id",
    "render",
    "segments",
    "strip_diacritics",
]
