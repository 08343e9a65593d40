"""CitizenNotification commands of the spec's workload, as PartnerCommand records named like
routing names them (by dossier and step), and what the gateways must hold for them."""

from __future__ import annotations

import uuid
from collections import Counter
from typing import Any

from connectors.notify import NotifySimulator, message_id
from connectors.notify._spec import NotifyWorkload
from hub.routing import COMMAND_NAMESPACE

WORKLOAD = NotifyWorkload()


def record(dossier: int, step: int, tag: str) -> dict[str, Any]:
    command_type, name, payload = WORKLOAD.payload(dossier, step)
    dossier_id = f"{tag}-{WORKLOAD.dossier_id(dossier)}"
    key = f"{dossier_id}:notify:{step}"
    return {
        "command_id": str(uuid.uuid5(COMMAND_NAMESPACE, key)), "command_type": command_type,
        "dossier_id": dossier_id, "idempotency_key": key,
        "created_at": WORKLOAD.started, "correlation_id": dossier_id, "causation_id": None,
        "payload": (f"vn.dvchub.command.{name}", dict(payload)),
    }  # fmt: skip


def records(dossiers: int, steps: range, tag: str) -> list[dict[str, Any]]:
    """Step by step over the dossiers, as a live stream interleaves them."""
    return [record(d, s, tag) for s in steps for d in range(dossiers)]


def delivered_once(sim: NotifySimulator, sent: list[dict[str, Any]]) -> None:
    """Every command is exactly one message at the gateways, and nothing else is."""
    expected = {message_id(r["idempotency_key"]) for r in sent}
    keys = Counter(d.key.strip("<>").partition("@")[0] for d in sim.ledger.delivered())
    assert set(keys) == expected, (
        f"{len(expected - set(keys))} missing, {len(set(keys) - expected)} more"
    )
    assert set(keys.values()) == {1}, f"doubled: {+(keys - Counter(set(keys)))}"


def personal_data(dossiers: int) -> set[str]:
    """What the workload's applicants give that no log may hold: names, addresses, and the
    numbers without their leading 0 (so that the 84... form gateways get is caught too)."""
    found: set[str] = set()
    for d in range(dossiers):
        contact = WORKLOAD.payload(d, 0)[2]["contact"]
        assert isinstance(contact, dict)
        found |= {contact["name"], contact["email"], contact["phone"][1:]}
    return found
