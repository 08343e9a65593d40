"""Who may do what on Kafka: one SCRAM principal per service and its ACLs, in one table.

Names are relative to the topic prefix (``DVC_TOPIC_PREFIX``, ``dvc.`` by default): the stack
creates the ACLs for its settings' prefix. The broker's ``StandardAuthorizer`` denies whatever
is not granted here (``allow.everyone.if.no.acl.found`` is false), except for super users (the
``admin`` principal and the broker's own ``broker`` and ``controller``: see ``_security.py``).

How to read a service's grants:

* ``reads``: READ and DESCRIBE on a topic (consume it, see its metadata and offsets);
* ``writes``: WRITE and DESCRIBE (produce; an idempotent producer needs nothing more since
  Kafka 2.8, KIP-679);
* ``creates``: CREATE on the hub topics a service declares: every service creates the topics
  it uses when they are missing (``hub.kafka.ensure_topics``), so their start order does not
  matter; creating a topic grants no right to read or write it;
* ``faust_app``: a faust worker's own resources: its consumer group ``<app id>`` and every
  topic prefixed ``<app id>-`` (table changelogs, ``__assignor-__leader``), which it creates,
  reads and writes;
* ``groups``: consumer groups by name (literal) or by prefix.

The portal, for one, may write ``dossier.events`` and ``catalog.procedures`` but not read them:
a compromised portal cannot read citizens' dossiers. The integrator reads state topics only.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Literal

from kafka.admin import (
    ACL,
    ACLOperation,
    ACLPermissionType,
    ACLResourcePatternType,
    ResourcePattern,
    ResourceType,
)

from hub.topics import (
    CATALOG_PROCEDURES,
    DEADLETTER,
    DOSSIER_EVENTS,
    DOSSIER_STATE,
    KPI,
    KPI_DOSSIERS,
    KPI_FACTS,
    KPI_PROCEDURES,
    PARTNER_COMMANDS,
    PARTNER_OUTCOMES,
    PAYMENT_RECONCILIATION,
    PAYMENTS,
    SLA_ALERTS,
    SLA_DEADLINES,
    TopicSpec,
)

Resource = Literal["topic", "group"]
#: The principal every super-user task runs as (creating ACLs and users included).
ADMIN = "admin"


@dataclass(frozen=True)
class Grant:
    """Operations on one resource; ``name`` follows the topic prefix (``{prefix}`` is put in
    front) unless ``absolute``; ``prefixed`` matches every name starting with it."""

    resource: Resource
    name: str
    operations: tuple[str, ...]
    prefixed: bool = False
    absolute: bool = False

    def resource_name(self, prefix: str) -> str:
        return self.name if self.absolute else f"{prefix}{self.name}"


def _topics(specs: Iterable[TopicSpec | str], *operations: str) -> tuple[Grant, ...]:
    names = [s if isinstance(s, str) else s.suffix for s in specs]
    return tuple(Grant("topic", name, operations) for name in names)


def reads(*specs: TopicSpec | str) -> tuple[Grant, ...]:
    return _topics(specs, "READ", "DESCRIBE")


def writes(*specs: TopicSpec | str) -> tuple[Grant, ...]:
    return _topics(specs, "WRITE", "DESCRIBE")


def creates(*specs: TopicSpec | str) -> tuple[Grant, ...]:
    return _topics(specs, "CREATE")


def faust_app(app_name: str) -> tuple[Grant, ...]:
    """A faust app ``<prefix><app_name>``: its group and its internal topics."""
    return (
        Grant("group", app_name, ("READ",)),
        Grant("topic", f"{app_name}-", ("READ", "WRITE", "DESCRIBE", "CREATE"), prefixed=True),
    )


def group(name: str, *, prefixed: bool = False, absolute: bool = False) -> tuple[Grant, ...]:
    return (Grant("group", name, ("READ",), prefixed=prefixed, absolute=absolute),)


def worker(
    apps: Iterable[str], inputs: Iterable[TopicSpec], outputs: Iterable[TopicSpec]
) -> tuple[Grant, ...]:
    """A hub.processing worker: reads its inputs (source and side inputs), writes its state
    and output topics and dead letters, creates any of them, and owns its faust apps."""
    inputs, outputs = (*inputs,), (*outputs, DEADLETTER)
    return (
        *reads(*inputs),
        *writes(*outputs),
        *creates(*dict.fromkeys((*inputs, *outputs))),
        *(grant for app in apps for grant in faust_app(app)),
    )


#: The inbound connectors' own state topics (hub/ may not import connectors/: the names are
#: repeated here, and tests/stack/test_kafka_security.py checks them against the connectors').
PORTAL_ACCEPTED_IDS = "portal.accepted-ids"  # connectors.portal._dedupe.ACCEPTED_IDS_SUFFIX
VNPOST_CALLBACK_IDS = "vnpost.callback-ids"  # connectors.vnpost._dedupe.CALLBACK_IDS_SUFFIX
BANK_SETTLED = "bank.settled"  # connectors.bank._settled.SETTLED_SUFFIX
NATIONAL_INTAKE = "national.intake"  # connectors.national._intake.INTAKE_STATE_SUFFIX
#: The evidence log of partner messages (connectors.evidence.EVIDENCE_LOG): whoever talks to a
#: partner appends to it (DVC_EVIDENCE=on) and may create it; only ``evidence`` (the stamper
#: and the archiver) reads it back.
EVIDENCE = "evidence.log"


def records_evidence() -> tuple[Grant, ...]:
    return (*writes(EVIDENCE), *creates(EVIDENCE))


def owns(*names: str) -> tuple[Grant, ...]:
    """A service's own state topics: it alone creates, reads and writes them."""
    return _topics(names, "READ", "WRITE", "DESCRIBE", "CREATE")


#: Every service principal and its grants; ``admin`` is a super user and needs none.
SERVICE_GRANTS: Mapping[str, tuple[Grant, ...]] = {
    "portal": (
        *writes(DOSSIER_EVENTS, CATALOG_PROCEDURES),
        *creates(DOSSIER_EVENTS, CATALOG_PROCEDURES),
        # Its own record of accepted submission ids, read back at start to dedupe.
        *owns(PORTAL_ACCEPTED_IDS),
        *records_evidence(),
    ),
    # The partners' inbound endpoints: each writes the events its partner reports and reads
    # what the hub sent that partner, so that it acts only on that.
    "vnpost-callbacks": (
        *writes(DOSSIER_EVENTS),
        *reads(PARTNER_OUTCOMES),  # the postal orders the outbox created
        *creates(DOSSIER_EVENTS, PARTNER_OUTCOMES),
        *owns(VNPOST_CALLBACK_IDS),
        *records_evidence(),
    ),
    "bank-ipn": (
        *writes(DOSSIER_EVENTS),
        *reads(PAYMENTS),  # the payment requests the hub made
        *creates(DOSSIER_EVENTS, PAYMENTS),
        *owns(BANK_SETTLED),
        *records_evidence(),
    ),
    "national-intake": (
        *writes(DOSSIER_EVENTS, DEADLETTER),
        *creates(DOSSIER_EVENTS, DEADLETTER),
        *owns(NATIONAL_INTAKE),
        *records_evidence(),  # an InboundShell (a poll source): it records what it took in
    ),
    "lifecycle": worker(["lifecycle"], [DOSSIER_EVENTS, CATALOG_PROCEDURES], [DOSSIER_STATE]),
    "sla": worker(["sla"], [DOSSIER_EVENTS, CATALOG_PROCEDURES], [SLA_DEADLINES, SLA_ALERTS]),
    "routing": worker(["routing"], [DOSSIER_EVENTS, CATALOG_PROCEDURES], [PARTNER_COMMANDS]),
    "payments": (
        *worker(["payments"], [DOSSIER_EVENTS], [PAYMENTS, PARTNER_COMMANDS]),
        # The reconciliation run reads the payment states and reports mismatches.
        *reads(PAYMENTS),
        *writes(PAYMENT_RECONCILIATION),
        *creates(PAYMENT_RECONCILIATION),
    ),
    # Three faust apps: kpi-dossiers (events -> facts), kpi (facts -> snapshots) and
    # kpi-procedures (catalogue -> its history, which the kpi app reads back).
    "kpi": worker(
        ["kpi-dossiers", "kpi", "kpi-procedures"],
        [DOSSIER_EVENTS, CATALOG_PROCEDURES, KPI_FACTS, KPI_PROCEDURES],
        [KPI_DOSSIERS, KPI_FACTS, KPI, KPI_PROCEDURES],
    ),
    "outbox": (
        *reads(PARTNER_COMMANDS),
        *writes(PARTNER_OUTCOMES, DOSSIER_EVENTS, DEADLETTER),
        *creates(PARTNER_COMMANDS, PARTNER_OUTCOMES, DOSSIER_EVENTS, DEADLETTER),
        *group("outbox.", prefixed=True),  # one group per partner: <prefix>outbox.<partner>
        *records_evidence(),
    ),
    "signing": (  # on hub.processing.ConsumeLoop: it dead-letters what it cannot read
        *reads(DOSSIER_EVENTS),
        *writes(DOSSIER_EVENTS, DEADLETTER),
        *creates(DOSSIER_EVENTS, DEADLETTER),
        *group("signing"),  # <prefix>signing (signing.group_for)
    ),
    # the apology letters (signing._apology_worker): SLA alerts in, with two views; its
    # ApologyIssued events out. A principal of its own: it holds the agency's key, as signing
    # does, but reads what signing has no need of.
    "apology": (
        *reads(SLA_ALERTS, DOSSIER_STATE, SLA_DEADLINES),
        *writes(DOSSIER_EVENTS, DEADLETTER),
        *creates(SLA_ALERTS, DOSSIER_STATE, SLA_DEADLINES, DOSSIER_EVENTS, DEADLETTER),
        *group("apology"),
    ),
    # `dvchub evidence stamp|archive`: reads the chains, appends their timestamps.
    "evidence": owns(EVIDENCE),
    "api": reads(DOSSIER_STATE, SLA_DEADLINES, KPI, KPI_PROCEDURES),
    # An external integrator: the published states only, no events, no commands.
    "integrator": (
        *reads(DOSSIER_STATE, KPI, KPI_DOSSIERS, KPI_PROCEDURES, SLA_DEADLINES),
        *group("integrator.", prefixed=True),
    ),
}

#: Every principal the stack creates a SCRAM user for.
PRINCIPALS: tuple[str, ...] = (*SERVICE_GRANTS, ADMIN)

_RESOURCE_TYPES = {"topic": ResourceType.TOPIC, "group": ResourceType.GROUP}
_PATTERN_TYPES = {True: ACLResourcePatternType.PREFIXED, False: ACLResourcePatternType.LITERAL}


def principal(name: str) -> str:
    return f"User:{name}"


def acls_for(service: str, prefix: str) -> list[ACL]:
    """``service``'s grants as kafka-python ACLs (allow, from any host), each once."""
    acls = [
        ACL(
            principal=principal(service),
            host="*",
            operation=ACLOperation[operation],
            permission_type=ACLPermissionType.ALLOW,
            resource_pattern=ResourcePattern(
                _RESOURCE_TYPES[grant.resource],
                grant.resource_name(prefix),
                _PATTERN_TYPES[grant.prefixed],
            ),
        )
        for grant in SERVICE_GRANTS[service]
        for operation in grant.operations
    ]
    return list({acl_key(acl): acl for acl in acls}.values())


def all_acls(prefix: str) -> list[ACL]:
    return [acl for service in SERVICE_GRANTS for acl in acls_for(service, prefix)]


def acl_key(acl: ACL) -> tuple[str, str, int, int, int, str, int]:
    """What identifies an ACL, as a plain tuple (sortable, readable in a test failure)."""
    pattern = acl.resource_pattern
    return (
        acl.principal,
        acl.host,
        int(acl.operation),
        int(acl.permission_type),
        int(pattern.resource_type),
        pattern.resource_name,
        int(pattern.pattern_type),
    )
