"""Each partner's ledger (``Workload.ledger``) against its own simulator, called by the partner's
real client: every sample command, sent twice under its key (a redelivery), is applied once at
the partner under the key the ledger maps it to, so the audit's partner row is clean; a command
the partner never got is lost there."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import pytest

from connectors.common import PartnerSpec, ledgers
from connectors.outbox import Command
from connectors.partners import NAMES, spec
from hub.audit._commands import Commands
from hub.audit._partners import check_partner
from tests.connectors.test_partner_specs import command


@pytest.fixture(params=NAMES)
def partner(request: pytest.FixtureRequest) -> PartnerSpec:
    return spec(str(request.param))


@pytest.fixture
def sim(partner: PartnerSpec) -> Iterator[Any]:
    with partner.simulator() as running:
        yield running


def _accepted(partner: str, sent: list[Command]) -> Commands:
    """The commands as the hub's topics would hold them, each with an ACCEPTED outcome."""
    by_id: dict[str, Mapping[str, object]] = {
        c.command_id: {"command_type": c.command_type, "idempotency_key": c.idempotency_key}
        for c in sent
    }
    outcomes = {c.command_id: {f"o-{c.command_id}": {"partner": partner, "outcome": "ACCEPTED",
                                                     "dossier_id": c.dossier_id}}
                for c in sent}  # fmt: skip
    order = {sent[0].dossier_id: [c.command_id for c in sent]} if sent else {}
    return Commands(by_id, order, outcomes, (), ())


def test_each_command_the_partner_accepted_is_applied_once_in_its_ledger(
    partner: PartnerSpec, sim: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    for variable, value in partner.workload.env(partner.workload.url(sim)).items():
        monkeypatch.setenv(variable, value)
    client = partner.client()
    sent: list[Command] = []
    try:
        for sample in partner.workload.samples():
            partner.workload.before(sim, sample)
            sent.append(command(sample))
            for attempt in (1, 2):
                client.call(sent[-1], attempt)
    finally:
        client.close()
    [ledger] = ledgers([partner], {partner.name: sim})
    applied = [c for c in sent if c.command_type in ledger.command_types]
    assert applied, "the ledger shows some of the partner's commands"
    row = check_partner(ledger, _accepted(partner.name, sent))
    assert row.clean, row.findings
    assert row.examined == len(applied)
    never = command(partner.workload.samples()[0])
    lost = check_partner(ledger, _accepted(partner.name, [*sent, never]))
    assert [(f.kind, f.subject) for f in lost.findings] == [("lost", never.command_id)]
